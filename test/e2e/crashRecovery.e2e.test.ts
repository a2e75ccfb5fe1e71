/**
 * kill -9 of a real bot process: between the request and the confirmation, and in the middle of
 * a slow revoke. The restarted process (same DATA_DIR, same port) must lose nothing and never
 * revoke twice.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AuditRecord } from '../../src/app/ports/auditLog';
import { NAMESPACE } from '../../src/app/ports/namespaces';
import type { RevocationRequest } from '../../src/domain/revocationRequest';
import { EmulatedCloud } from '../../emulator/cloud';
import { GRAPH_ROUTES } from '../../emulator/graph';
import { openSqliteStorage } from '../../src/storage/openSqliteStorage';
import { startChildBot, type ChildBot } from '../helpers/childBot';
import { freePort } from '../helpers/e2e';
import { sendForCard, textOf, requestIdOf } from '../helpers/flows';
import { testTls } from '../helpers/tls';
import { systemClock } from '../../src/domain/clock';

async function waitUntil(predicate: () => boolean | Promise<boolean>, timeoutInMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutInMs;
  while (!(await predicate())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('kill -9 of the bot process, end to end', function () {
  this.timeout(120_000);
  let cloud: EmulatedCloud;
  let root: string;
  let dataDir: string;
  let caFile: string;
  let port: number;
  const bots: ChildBot[] = [];

  before(async function () {
    const { ca } = await testTls();
    cloud = await EmulatedCloud.start({ ca, botAppId: '3f1e2d4c-5b6a-4978-8a9b-c0000000c001' });
    root = mkdtempSync(path.join(tmpdir(), 'revoker-kill-'));
    caFile = cloud.writeCaFile(path.join(root, 'emulator-ca.pem'));
  });

  beforeEach(async function () {
    dataDir = mkdtempSync(path.join(root, 'data-'));
    port = await freePort();
  });

  afterEach(async function () {
    cloud.graph.clearFaults();
    for (const bot of bots.splice(0)) await bot.kill();
  });

  after(async function () {
    await cloud?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  async function start(env: Record<string, string> = {}): Promise<ChildBot> {
    const bot = await startChildBot(cloud, { port, caFile, env: { DATA_DIR: dataDir, ...env } });
    bots.push(bot);
    cloud.teams.botEndpoint = `${bot.url}/api/messages`;
    return bot;
  }

  /** Reads the store as it is on disk (another connection; the bot may be running). */
  async function onDisk<T>(read: (storage: ReturnType<typeof openSqliteStorage>) => Promise<T>): Promise<T> {
    const storage = openSqliteStorage({ dataDir, clock: systemClock });
    try {
      return await read(storage);
    } finally {
      await storage.close();
    }
  }

  const trailOf = (requestId: string): Promise<AuditRecord[]> => onDisk(async (s) => (await s.audit.list({ requestId })).reverse());
  const requestOf = (requestId: string): Promise<RevocationRequest | undefined> =>
    onDisk(async (s) => (await s.state.get<RevocationRequest>(NAMESPACE.requests, requestId))?.value);
  const successfulRevokes = (): number =>
    cloud.graph.server.calls.filter((c) => c.route === GRAPH_ROUTES.revoke && c.status >= 200 && c.status < 300).length;

  it('when the bot is killed between the request and the confirmation, then the restarted bot revokes exactly once from the old card and the audit trail is whole and in order', async function () {
    const { teams, directory } = cloud;
    const uma = directory.user('uma');
    const adele = directory.user('adele');
    const chat = teams.personalChat(uma);
    const first = await start();
    const card = await sendForCard(teams, uma, chat, `revoke ${adele.userPrincipalName}`);
    const requestId = requestIdOf(card.card);
    await first.kill();
    assert.equal((await first.exited).signal, 'SIGKILL');
    const before = successfulRevokes();

    await start();
    const click = await teams.click(uma, card, 'Revoke sessions');
    assert.match(textOf(click.card), /Sessions revoked/, textOf(click));
    assert.equal(successfulRevokes() - before, 1);
    const trail = await trailOf(requestId);
    assert.deepEqual(
      trail.map((r) => r.action),
      ['request.created', 'revocation.started', 'revocation.succeeded'],
    );
    assert.ok(trail.every((r) => r.tenantId === directory.tenantId && r.actor?.aadObjectId === uma.id && r.target?.id === adele.id));
    assert.ok(trail[2]?.graphRequestId, 'the success carries Graph’s request id');
  });

  /** Clicks Revoke, waits until the request is executing and Graph holds the call, then kills the bot mid-call. */
  async function killMidRevoke(
    requestId: string,
    card: Parameters<EmulatedCloud['teams']['click']>[1],
    user: ReturnType<EmulatedCloud['directory']['user']>,
    bot: ChildBot,
  ): Promise<void> {
    const clicked = cloud.teams.click(user, card, 'Revoke sessions');
    await waitUntil(async () => (await requestOf(requestId))?.state === 'executing', 20_000, 'the request to be executing');
    await new Promise((resolve) => setTimeout(resolve, 200)); // the Graph call is on its way
    await bot.kill();
    const answer = await clicked;
    assert.notEqual(answer.status, 200, 'the killed bot never answered the click');
  }

  it('when the bot is killed while Graph is slowly revoking and the revoke lands, then the restarted bot reads the target back and records the success without revoking again', async function () {
    const { teams, directory, graph } = cloud;
    const uma = directory.user('uma');
    const megan = directory.user('megan.bowen');
    const chat = teams.personalChat(uma);
    const bot = await start({ INVOKE_BUDGET_SECONDS: '10', EXECUTION_STALE_AFTER_SECONDS: '3' });
    const card = await sendForCard(teams, uma, chat, `revoke ${megan.userPrincipalName}`);
    const requestId = requestIdOf(card.card);
    const before = successfulRevokes();
    graph.injectFault({ route: GRAPH_ROUTES.revoke, latencyInMs: 1500, times: 1 });
    await killMidRevoke(requestId, card, uma, bot);
    // Graph had the request: it finishes it although the caller died.
    await waitUntil(() => successfulRevokes() - before === 1, 10_000, 'Graph to finish the revoke');
    const stuck = await requestOf(requestId);
    assert.equal(stuck?.state, 'executing', 'nobody recorded the result');

    await start({ INVOKE_BUDGET_SECONDS: '10', EXECUTION_STALE_AFTER_SECONDS: '3' });
    await waitUntil(() => Date.now() - Date.parse(stuck?.decidedAt ?? '') > 3200, 10_000, 'the execution to become stale');
    const click = await teams.click(uma, card, 'Revoke sessions');
    assert.match(textOf(click.card), /Sessions revoked/, textOf(click));
    assert.equal(successfulRevokes() - before, 1, 'no second revoke');
    assert.equal((await requestOf(requestId))?.state, 'succeeded');
    const trail = await trailOf(requestId);
    assert.deepEqual(
      trail.map((r) => r.action),
      ['request.created', 'revocation.started', 'revocation.succeeded'],
    );
    assert.equal(trail[2]?.code, 'verified_after_interruption');
    assert.match(trail[2]?.detail ?? '', /interrupted/);
  });

  it('when the bot is killed before Graph revoked anything, then the restarted bot abandons the execution, says so, and a retry revokes exactly once', async function () {
    const { teams, directory, graph } = cloud;
    const uma = directory.user('uma');
    const liam = directory.user("liam.o'brien");
    const chat = teams.personalChat(uma);
    const bot = await start({ INVOKE_BUDGET_SECONDS: '10', EXECUTION_STALE_AFTER_SECONDS: '3' });
    const card = await sendForCard(teams, uma, chat, 'revoke a9b8c7d6-e5f4-4a3b-9c2d-1e0f9a8b7c44');
    const requestId = requestIdOf(card.card);
    const before = successfulRevokes();
    const validFrom = liam.signInSessionsValidFromDateTime;
    // The call never reaches Entra: Graph drops the connection after a while.
    graph.injectFault({ route: GRAPH_ROUTES.revoke, latencyInMs: 1500, resetConnection: true, times: 1 });
    await killMidRevoke(requestId, card, uma, bot);
    await waitUntil(
      () => graph.server.calls.some((c) => c.route === GRAPH_ROUTES.revoke && c.status === 0),
      10_000,
      'Graph to drop the call',
    );
    const stuck = await requestOf(requestId);
    assert.equal(stuck?.state, 'executing');

    await start({ INVOKE_BUDGET_SECONDS: '10', EXECUTION_STALE_AFTER_SECONDS: '3' });
    await waitUntil(() => Date.now() - Date.parse(stuck?.decidedAt ?? '') > 3200, 10_000, 'the execution to become stale');
    const first = await teams.click(uma, card, 'Revoke sessions');
    assert.match(textOf(first.card), /took too long/, textOf(first));
    assert.equal(successfulRevokes(), before, 'the recovery itself revoked nothing');
    assert.equal(liam.signInSessionsValidFromDateTime, validFrom);
    const retry = await teams.click(uma, card, 'Retry');
    assert.match(textOf(retry.card), /Sessions revoked/, textOf(retry));
    assert.equal(successfulRevokes() - before, 1);
    const trail = await trailOf(requestId);
    assert.deepEqual(
      trail.map((r) => `${r.action}${r.code ? `:${r.code}` : ''}`),
      ['request.created', 'revocation.started', 'revocation.failed:timeout', 'revocation.started', 'revocation.succeeded'],
    );
  });
});
