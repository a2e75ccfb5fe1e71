import assert from 'node:assert/strict';
import { VERB } from '../../src/cards/verbs';
import { GRAPH_ROUTES } from '../../emulator/graph';
import { startE2E, type E2E } from '../helpers/e2e';
import { sendForCard, textOf, requestIdOf } from '../helpers/flows';

describe('exactly once, and only for the right person, end to end', function () {
  this.timeout(30_000);
  let e2e: E2E;

  before(async function () {
    e2e = await startE2E();
  });

  after(async function () {
    await e2e?.stop();
  });

  it('when the requester double-clicks and Teams replays the invoke, then exactly one revoke happens and every click gets a truthful answer', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const chat = teams.personalChat(uma);
    const card = await sendForCard(teams, uma, chat, 'revoke alex@contoso.onmicrosoft.com');
    const before = graph.count(GRAPH_ROUTES.revoke);
    const clicks = await Promise.all([
      teams.click(uma, card, 'Revoke sessions'),
      teams.click(uma, card, 'Revoke sessions'),
      teams.click(uma, card, 'Revoke sessions'),
    ]);
    for (const c of clicks) assert.match(textOf(c.card), /Sessions revoked|Revoking sessions/, textOf(c));
    const replay = teams.invokeActivityFor(uma, chat, card, 'adaptiveCard/action', {
      action: { type: 'Action.Execute', verb: VERB.confirm, data: { requestId: requestIdOf(card.card) } },
      trigger: 'manual',
    });
    const replayed = await teams.postActivity(replay);
    assert.equal(replayed.status, 200);
    assert.match(textOf(replayed.body), /Sessions revoked/);
    assert.equal(graph.count(GRAPH_ROUTES.revoke) - before, 1);
  });

  it('when a click carries the SSO token of someone else, then it is refused, said plainly, and nothing is revoked', async function () {
    const { teams, directory, graph, entra, app } = e2e.cloud;
    const helen = directory.user('helen');
    const grace = directory.user('grace');
    const chat = teams.personalChat(helen);
    const card = await sendForCard(teams, helen, chat, 'revoke megan.bowen@contoso.onmicrosoft.com');
    const before = graph.count(GRAPH_ROUTES.revoke);
    const gracesToken = await entra.issueSsoToken(grace.id, { appId: app.appId });
    const forged = teams.invokeActivityFor(helen, chat, card, 'adaptiveCard/action', {
      action: { type: 'Action.Execute', verb: VERB.confirm, data: { requestId: requestIdOf(card.card) } },
      trigger: 'manual',
      authentication: { id: 'x', connectionName: app.appId, token: gracesToken },
    });
    const answer = await teams.postActivity(forged);
    assert.match(textOf(answer.body), /belongs to someone else/);
    assert.equal(graph.count(GRAPH_ROUTES.revoke), before);
    assert.ok(!e2e.logs.join('').includes(gracesToken.split('.')[2]!), 'the token never reaches the log');
  });

  const badTokens: [string, (e: E2E) => Promise<string>, RegExp][] = [
    [
      'an expired',
      (e) => e.cloud.entra.issueSsoToken(e.cloud.directory.user('sam').id, { appId: e.cloud.app.appId, expired: true }),
      /expired/,
    ],
    [
      'a forged',
      (e) => e.cloud.entra.issueSsoToken(e.cloud.directory.user('sam').id, { appId: e.cloud.app.appId, forge: true }),
      /couldn’t be used/,
    ],
    [
      'another app’s',
      (e) => e.cloud.entra.issueSsoToken(e.cloud.directory.user('sam').id, { appId: '00000003-0000-0000-c000-000000000000' }),
      /couldn’t be used/,
    ],
  ];
  for (const [what, make, says] of badTokens) {
    it(`when a click carries ${what} SSO token, then it is refused with a clear card`, async function () {
      const { teams, directory, graph } = e2e.cloud;
      const sam = directory.user('sam');
      const priya = directory.user('priya');
      // Priya opens a request in a group chat with Sam; Sam's token could never confirm it anyway,
      // so use Sam's own request: Sam has no warm session before this click.
      const chat = teams.groupChat([sam, priya]);
      const card = await sendForCard(teams, sam, chat, 'revoke me');
      const before = graph.count(GRAPH_ROUTES.revokeMe);
      const invoke = teams.invokeActivityFor(sam, chat, card, 'adaptiveCard/action', {
        action: { type: 'Action.Execute', verb: VERB.confirm, data: { requestId: requestIdOf(card.card) } },
        trigger: 'manual',
        authentication: { id: 'x', connectionName: 'c', token: await make(e2e) },
      });
      const answer = await teams.postActivity(invoke);
      assert.equal(answer.status, 200);
      assert.match(textOf(answer.body), says);
      assert.equal(graph.count(GRAPH_ROUTES.revokeMe), before);
    });
  }

  it('when card data is forged with a request id that does not exist or a verb the bot does not know, then nothing happens', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const chat = teams.personalChat(uma);
    const card = await sendForCard(teams, uma, chat, 'revoke megan.bowman@contoso.onmicrosoft.com');
    const before = graph.server.calls.length;
    for (const action of [
      { type: 'Action.Execute', verb: VERB.confirm, data: { requestId: '00000000-0000-4000-8000-000000000000' } },
      { type: 'Action.Execute', verb: 'revocation.approveAll', data: { requestId: requestIdOf(card.card) } },
      { type: 'Action.Execute', verb: VERB.confirm, data: { requestId: '../../etc/passwd' } },
      { type: 'Action.Submit', verb: VERB.confirm, data: { requestId: requestIdOf(card.card) } },
    ]) {
      const answer = await teams.postActivity(
        teams.invokeActivityFor(uma, chat, card, 'adaptiveCard/action', { action, trigger: 'manual' }),
      );
      assert.equal(answer.status, 200, textOf(answer));
      assert.doesNotMatch(textOf(answer.body), /Sessions revoked/);
    }
    assert.equal(graph.server.calls.length, before, 'no Graph call for forged card data');
  });

  it('when the Bot Framework token is forged under a genuine key id, then the bot answers 401 and processes nothing', async function () {
    const { teams, directory } = e2e.cloud;
    const uma = directory.user('uma');
    const chat = teams.personalChat(uma);
    const before = teams.connectorLog.length;
    const activity = teams.messageActivity(uma, chat, 'revoke adele@contoso.onmicrosoft.com');
    for (const token of [
      { forge: true },
      { expired: true },
      { audience: 'someone-else' },
      { issuer: 'https://evil.example' },
      { omit: true },
      { serviceUrl: 'https://evil.example/teams/' },
    ]) {
      const answer = await teams.postActivity(activity, token);
      assert.equal(answer.status, 401, `${JSON.stringify(token)} → ${answer.status}`);
    }
    assert.equal(teams.connectorLog.length, before, 'nothing was sent to the channel');
  });

  it('when an activity comes from a tenant the bot does not serve, then it is refused without any Graph call', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const activity = teams.messageActivity(uma, teams.personalChat(uma), 'revoke adele@contoso.onmicrosoft.com') as Record<string, unknown>;
    const other = '11111111-2222-4333-8444-555555555555';
    const conversation = { ...(activity.conversation as object), tenantId: other };
    const before = graph.server.calls.length;
    const answer = await teams.postActivity({ ...activity, conversation, channelData: { tenant: { id: other } } });
    assert.equal(answer.status, 200);
    assert.equal(graph.server.calls.length, before);
  });

  it('when the request body is too large, not JSON or of the wrong type, then the bot answers cleanly and stays up', async function () {
    const url = `${e2e.bot.url}/api/messages`;
    const big = await fetch(url, {
      method: 'POST',
      headers: { authorization: 'Bearer forged.token.here', 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'message', text: 'x'.repeat(400_000) }),
    });
    assert.equal(big.status, 413);
    const broken = await fetch(url, {
      method: 'POST',
      headers: { authorization: 'Bearer forged.token.here', 'content-type': 'application/json' },
      body: '{"type": "message",',
    });
    assert.equal(broken.status, 400);
    const text = await fetch(url, {
      method: 'POST',
      headers: { authorization: 'Bearer forged.token.here', 'content-type': 'text/plain' },
      body: 'hello',
    });
    assert.equal(text.status, 415);
    let deep = '{"type":"message","x":';
    for (let i = 0; i < 200; i += 1) deep += '{"a":';
    deep += '1' + '}'.repeat(200) + '}';
    const nested = await fetch(url, {
      method: 'POST',
      headers: { authorization: 'Bearer forged.token.here', 'content-type': 'application/json' },
      body: deep,
    });
    assert.equal(nested.status, 400);
    const health = await fetch(`${e2e.bot.url}/healthz`);
    assert.equal(health.status, 200);
  });
});

describe('an expired card, end to end', function () {
  this.timeout(30_000);
  let e2e: E2E;

  before(async function () {
    e2e = await startE2E({ env: { REQUEST_TTL_MINUTES: '0.02' } });
  });

  after(async function () {
    await e2e?.stop();
  });

  it('when the requester confirms after the card expired, then it says so and nothing is revoked', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const card = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke adele@contoso.onmicrosoft.com');
    await new Promise((r) => setTimeout(r, 1500));
    const click = await teams.click(uma, card, 'Revoke sessions');
    assert.match(textOf(click.card), /Expired/);
    assert.equal(graph.count(GRAPH_ROUTES.revoke), 0);
  });
});
