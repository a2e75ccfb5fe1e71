import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseDemoOptions } from '../../demo/demoOptions';
import { DemoOnlyError, PlaygroundRelay } from '../../demo/playgroundRelay';
import type { DirectoryUser } from '../../emulator/directory';
import { GRAPH_ROUTES } from '../../emulator/graph';
import { startE2E, type E2E } from '../helpers/e2e';
import { textOf } from '../helpers/flows';
import { produced } from '../helpers/secretScan';

interface Posted {
  readonly path: string;
  readonly body: Record<string, unknown>;
}

/** Stands in for the Playground's mocked connector: records what reaches it. */
async function fakePlaygroundConnector(): Promise<{ server: Server; url: string; posted: Posted[] }> {
  const posted: Posted[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (c: string) => (text += c));
    req.on('end', () => {
      posted.push({ path: req.url ?? '', body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: String(1_700_000_000_000 + posted.length) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/_connector`, posted };
}

describe('the demo relay between the Playground and the bot', function () {
  this.timeout(30_000);
  let e2e: E2E;
  let relay: PlaygroundRelay;
  let connector: Awaited<ReturnType<typeof fakePlaygroundConnector>>;
  let uma: DirectoryUser;
  const conversationId = 'a:1relay-test-chat';

  /** An activity as the Playground sends it: no Authorization header, its own ids, the relay as service URL. */
  function fromPlayground(extra: Record<string, unknown>): Record<string, unknown> {
    const tenantId = e2e.cloud.directory.tenantId;
    return {
      id: randomUUID(),
      timestamp: new Date().toISOString(),
      serviceUrl: relay.serviceUrl,
      channelId: 'msteams',
      from: { id: uma.teamsId, name: uma.displayName, aadObjectId: uma.id },
      recipient: { id: `28:${e2e.cloud.app.appId}`, name: 'Session Revoker' },
      conversation: { id: conversationId, conversationType: 'personal', tenantId },
      channelData: { tenant: { id: tenantId } },
      ...extra,
    };
  }

  async function post(activity: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
    const response = await fetch(relay.messagesUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(activity),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  }

  function cardsPosted(): Posted[] {
    return connector.posted.filter((p) => Array.isArray(p.body.attachments) && textOf(p.body.attachments).includes('AdaptiveCard'));
  }

  before(async function () {
    e2e = await startE2E();
    uma = e2e.cloud.directory.user('uma');
    connector = await fakePlaygroundConnector();
    // What the bot sent through the relay is scanned for secrets like everything else it sends.
    produced.watch('connector', 'activities the bot sent through the demo relay', () =>
      connector.posted.map((p) => JSON.stringify(p.body)),
    );
    relay = await PlaygroundRelay.start({ cloud: e2e.cloud, initialUser: uma, playgroundUserId: uma.teamsId, env: {} });
    relay.playgroundConnector = connector.url;
  });

  after(async function () {
    await relay?.stop();
    await new Promise<void>((resolve) => (connector ? connector.server.close(() => resolve()) : resolve()));
    await e2e?.stop();
  });

  it('refuses to start when MicrosoftAppId is set: the demo sign-in exists only in the demo', async function () {
    await assert.rejects(
      PlaygroundRelay.start({
        cloud: e2e.cloud,
        initialUser: uma,
        playgroundUserId: uma.teamsId,
        env: { MicrosoftAppId: e2e.cloud.app.appId },
      }),
      DemoOnlyError,
    );
  });

  it('the Playground alone cannot reach the bot: an unsigned activity is refused with 401', async function () {
    const response = await fetch(`${e2e.bot.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(fromPlayground({ type: 'message', text: 'help' })),
    });
    assert.equal(response.status, 401);
  });

  it('a message is signed for the bot, the OAuthCard is answered with a token exchange, and only the lookup card reaches the Playground', async function () {
    const before = connector.posted.length;
    const answer = await post(fromPlayground({ type: 'message', text: 'revoke adele', textFormat: 'plain' }));
    assert.equal(answer.status, 200);
    const posted = connector.posted.slice(before);
    assert.equal(
      posted.filter((p) => textOf(p.body).includes('application/vnd.microsoft.card.oauth')).length,
      0,
      'Teams does not show an OAuthCard it answers itself',
    );
    const card = cardsPosted().at(-1);
    assert.ok(card, 'the lookup card reached the Playground');
    assert.match(card.path, new RegExp(`/v3/conversations/${encodeURIComponent(conversationId)}/activities`));
    assert.match(textOf(card.body), /Adele Vance/);
    assert.match(textOf(card.body), /Requested by Uma Useradmin/);
  });

  it('after a restart (no warm session), a click gets a loginRequest and the relay re-sends it with an SSO token: the revoke happens', async function () {
    const lookup = cardsPosted().at(-1);
    assert.ok(lookup);
    const requestId = /"subjectId":"([0-9a-f-]{36})"/.exec(textOf(lookup.body))?.[1];
    assert.ok(requestId);
    await e2e.restartBot();
    const adele = e2e.cloud.directory.user('adele');
    const revokesBefore = e2e.cloud.graph.count(GRAPH_ROUTES.revoke, uma.id);
    const answer = await post(
      fromPlayground({
        type: 'invoke',
        name: 'adaptiveCard/action',
        replyToId: '1700000000001',
        value: { action: { type: 'Action.Execute', verb: 'revocation.confirm', data: { requestId } }, trigger: 'manual' },
      }),
    );
    assert.equal(answer.status, 200, textOf(answer.body));
    assert.match(textOf(answer.body), /Sessions revoked/);
    assert.match(textOf(answer.body), new RegExp(adele.displayName));
    assert.equal(e2e.cloud.graph.count(GRAPH_ROUTES.revoke, uma.id), revokesBefore + 1, 'Graph saw exactly one revoke, by Uma');
  });

  it('/as paul makes the Playground user act as Paul, and the bot never sees the demo command', async function () {
    const answer = await post(fromPlayground({ type: 'message', text: '/as paul' }));
    assert.equal(answer.status, 200);
    assert.match(textOf(connector.posted.at(-1)?.body), /You are now Paul Password \(Password Administrator\)/);
    await post(fromPlayground({ type: 'message', text: 'revoke alex' }));
    assert.match(textOf(cardsPosted().at(-1)?.body), /Requested by Paul Password/);
    relay.acting = uma;
  });

  it('the bot’s calls to the relay’s connector need the bot’s own token, like the real connector', async function () {
    const response = await fetch(`${relay.serviceUrl}/v3/conversations/${encodeURIComponent(conversationId)}/activities`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'message', text: 'spoofed' }),
    });
    assert.equal(response.status, 401);
    assert.ok(!connector.posted.some((p) => textOf(p.body).includes('spoofed')));
  });
});

describe('the demo command line', function () {
  it('in a terminal: the browser and the terminal client; without one: the browser only; in CI or --walkthrough: the walkthrough alone', function () {
    const tty = parseDemoOptions([], { isTTY: true, ci: false });
    assert.ok(tty.ok && tty.options.terminal === 'interactive' && tty.options.playground);
    const none = parseDemoOptions([], { isTTY: false, ci: false });
    assert.ok(none.ok && none.options.terminal === 'none' && none.options.playground);
    for (const [argv, ci] of [
      [[], true],
      [['--walkthrough'], false],
    ] as const) {
      const walk = parseDemoOptions(argv, { isTTY: true, ci });
      assert.ok(walk.ok && walk.options.terminal === 'walkthrough' && !walk.options.playground);
    }
  });

  it('reads --approvals, --as, --port and --no-playground, and refuses unknown or incomplete options', function () {
    const parsed = parseDemoOptions(['--approvals', '--as', 'paul', '--port', '56999', '--no-playground'], { isTTY: false, ci: false });
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.options, {
      approvals: true,
      as: 'paul',
      playground: false,
      terminal: 'none',
      help: false,
      playgroundPort: 56999,
    });
    assert.equal(parseDemoOptions(['--as'], { isTTY: false, ci: false }).ok, false);
    assert.equal(parseDemoOptions(['--port', 'x'], { isTTY: false, ci: false }).ok, false);
    assert.equal(parseDemoOptions(['--frobnicate'], { isTTY: false, ci: false }).ok, false);
  });
});
