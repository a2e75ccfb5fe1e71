/**
 * The bulk engine end to end against the emulated Microsoft cloud: a User Administrator's real
 * delegated directory (Teams SSO token → on-behalf-of in @azure/identity/msal → the Graph JS
 * client), the emulated Graph enforcing Entra's rules inside $batch, SQLite state and audit.
 * The chat side (commands, cards, approvals) is tested where the bot wires this in.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuditTrail } from '../../src/app/auditTrail';
import { BulkRevocationService, type BulkRevocationServiceOptions, type ExecutionOutcome } from '../../src/app/bulk/bulkRevocationService';
import type { BulkDirectoryGateway } from '../../src/app/ports/directory';
import { loadBulkRun } from '../../src/app/bulk/bulkRunPages';
import type { Config } from '../../src/config/config';
import type { BulkProgress, BulkRun } from '../../src/domain/bulkRun';
import type { PersonRef } from '../../src/domain/people';
import { EmulatedCloud } from '../../emulator/cloud';
import { addBulkPopulation, seedDirectory, type BulkPopulation } from '../../emulator/directory';
import { GRAPH_ROUTES } from '../../emulator/graph';
import { openSqliteStorage, type SqliteStorage } from '../../src/storage';
import { BULK_GRAPH_SCOPES, bulkConfig, delegatedBulkDirectory, revokeStatusesByUser, successfulRevokes } from '../helpers/bulkCloud';
import { testTls } from '../helpers/tls';
import { systemClock } from '../../src/domain/clock';

describe('bulk revocation engine against the emulated cloud', function () {
  this.timeout(60_000);
  let cloud: EmulatedCloud;
  let dataDir: string;
  let storage: SqliteStorage;
  let audit: AuditTrail;
  let config: Config;
  let uma: PersonRef;
  let phished: BulkPopulation;
  let hp: BulkPopulation;
  let restartOne: BulkPopulation;
  let restartTwo: BulkPopulation;
  let throttledBatch: BulkPopulation;
  let gatewayTimeout: BulkPopulation;
  const services: BulkRevocationService[] = [];

  function service(overrides: Partial<BulkRevocationServiceOptions> = {}): BulkRevocationService {
    const created = new BulkRevocationService({
      store: storage.state,
      audit,
      requestTtlInMs: 15 * 60_000,
      settleInMs: 200,
      clock: systemClock,
      ...overrides,
    });
    services.push(created);
    return created;
  }

  before(async function () {
    const { ca } = await testTls();
    const directory = seedDirectory();
    // 40 direct members and 5 through a nested group; the first a Security Administrator (a
    // User Administrator gets 403), the second a Password Administrator (a limited admin she may revoke).
    phished = addBulkPopulation(directory, { group: 'Phished Finance', count: 45, privileged: 1, limitedAdmins: 1, nested: 5 });
    hp = addBulkPopulation(directory, { department: 'HP', count: 45, privileged: 1 });
    restartOne = addBulkPopulation(directory, { department: 'Restart One', count: 45, privileged: 1 });
    restartTwo = addBulkPopulation(directory, { department: 'Restart Two', count: 45, privileged: 1 });
    addBulkPopulation(directory, { department: 'Big', count: 30, privileged: 0 });
    throttledBatch = addBulkPopulation(directory, { department: 'Throttled Batch', count: 20, privileged: 0 });
    gatewayTimeout = addBulkPopulation(directory, { department: 'Gateway Timeout', count: 20, privileged: 0 });
    cloud = await EmulatedCloud.start({ ca, directory, consentedGraphScopes: BULK_GRAPH_SCOPES });
    dataDir = mkdtempSync(path.join(tmpdir(), 'revoker-bulk-e2e-'));
    // The emulated Graph stamps revokes with the machine's time: the engine reads the same clock.
    storage = openSqliteStorage({ dataDir, clock: systemClock });
    audit = new AuditTrail({ log: storage.audit, clock: systemClock });
    config = bulkConfig(cloud, dataDir);
    const user = directory.user('uma');
    uma = { tenantId: directory.tenantId, aadObjectId: user.id, name: user.displayName, userPrincipalName: user.userPrincipalName };
  });

  afterEach(async function () {
    cloud.graph.clearFaults();
    for (const svc of services.splice(0)) await svc.close();
  });

  after(async function () {
    await audit?.close();
    await storage?.close();
    await cloud?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function prepare(
    svc: BulkRevocationService,
    directory: BulkDirectoryGateway,
    request: Parameters<BulkRevocationService['prepare']>[1],
  ): Promise<BulkRun> {
    const outcome = await svc.prepare({ person: uma, directory }, request);
    assert.equal(outcome.kind, 'prepared', JSON.stringify(outcome));
    return outcome.kind === 'prepared' ? outcome.run : assert.fail('not prepared');
  }

  async function start(
    svc: BulkRevocationService,
    directory: BulkDirectoryGateway,
    runId: string,
    events: BulkProgress[],
  ): Promise<ExecutionOutcome> {
    const started = await svc.start({ person: uma, directory }, runId, { onProgress: (p) => void events.push(p) });
    assert.equal(started.kind, 'started');
    return started.kind === 'started' ? started.finished : assert.fail('not started');
  }

  function assertEachRevokedOnce(population: BulkPopulation): void {
    const statuses = revokeStatusesByUser(cloud);
    for (const user of population.users) {
      const privileged = population.privileged.includes(user);
      assert.equal(
        successfulRevokes(statuses, user.id),
        privileged ? 0 : 1,
        `${user.displayName}: ${JSON.stringify(statuses.get(user.id))}`,
      );
      if (privileged)
        assert.equal((statuses.get(user.id) ?? []).filter((s) => s === 403).length, 1, `${user.displayName} refused once, not retried`);
    }
  }

  it('when a User Administrator runs a group of 45 (5 nested) with three throttled answers, then Graph revokes 44 exactly once, refuses the privileged one, and progress and report are exact', async function () {
    const directory = await delegatedBulkDirectory(cloud, config, 'uma');
    const svc = service({ maxInFlight: 1 });
    const outcome = await svc.prepare(
      { person: uma, directory },
      { kind: 'group', group: { kind: 'displayName', name: 'Phished Finance' } },
    );
    assert.equal(outcome.kind, 'prepared');
    if (outcome.kind !== 'prepared') return;
    assert.deepEqual(outcome.run.source, { kind: 'group', label: 'Phished Finance', id: phished.group?.id });
    assert.deepEqual(outcome.summary.tiers, { nonAdmin: 43, limitedAdmin: 1, privilegedAdmin: 1, unknown: 0 });
    assert.deepEqual(
      outcome.summary.admins.map((a) => [a.displayName, a.tier]),
      [
        ['Phished Finance User 001', 'privilegedAdmin'],
        ['Phished Finance User 002', 'limitedAdmin'],
      ],
    );
    assert.deepEqual(new Set(outcome.run.items.map((i) => i.id)), new Set(phished.users.map((u) => u.id)));

    const batchesBefore = cloud.graph.count(GRAPH_ROUTES.batch, uma.aadObjectId);
    // The first three revokes Graph sees (users 1-3, in the first batch) answer 429 inside the batch.
    cloud.graph.injectFault({ route: GRAPH_ROUTES.revoke, status: 429, retryAfterInSeconds: 0.2, times: 3 });
    const events: BulkProgress[] = [];
    const result = await start(svc, directory, outcome.run.id, events);
    assert.equal(result.kind, 'completed');
    if (result.kind !== 'completed') return;
    assert.deepEqual(events, [
      { done: 17, failed: 0, remaining: 28 },
      { done: 37, failed: 0, remaining: 8 },
      { done: 42, failed: 0, remaining: 3 },
      { done: 44, failed: 1, remaining: 0 },
    ]);
    assert.equal(cloud.graph.count(GRAPH_ROUTES.batch, uma.aadObjectId) - batchesBefore, 4, 'three batches and one retry batch');
    assertEachRevokedOnce(phished);
    const privileged = phished.privileged[0]!;
    assert.deepEqual(revokeStatusesByUser(cloud).get(privileged.id), [429, 403]);
    assert.equal(result.report.failures.length, 1);
    const [failure] = result.report.failures;
    assert.deepEqual(
      { ...failure, graphRequestId: typeof failure?.graphRequestId },
      {
        id: privileged.id,
        userPrincipalName: privileged.userPrincipalName,
        displayName: privileged.displayName,
        tier: 'privilegedAdmin',
        code: 'forbidden',
        graphRequestId: 'string',
      },
    );
    assert.deepEqual(
      { ...result.report, failures: undefined },
      { done: 44, failed: 1, remaining: 0, total: 45, verified: 0, notAttempted: 0, failures: undefined },
    );
    for (const user of phished.users) {
      if (phished.privileged.includes(user)) assert.equal(user.signInSessionsValidFromDateTime, '2026-01-05T08:00:00Z');
      else
        assert.ok(
          Date.parse(user.signInSessionsValidFromDateTime) >= Date.parse(outcome.run.createdAt) - 1000,
          `${user.displayName} revoked since the run began`,
        );
    }
    const records = await storage.audit.list({ requestId: outcome.run.id, limit: 1000 });
    assert.equal(records.filter((r) => r.action === 'revocation.succeeded').length, 44);
    assert.deepEqual(
      records.filter((r) => r.action === 'revocation.failed').map((r) => [r.target?.id, r.code]),
      [[privileged.id, 'forbidden']],
    );
    assert.ok(
      records
        .filter((r) => r.action === 'revocation.succeeded')
        .every((r) => typeof r.graphRequestId === 'string' && r.actor?.aadObjectId === uma.aadObjectId),
    );
  });

  it('when a department of 45 runs with four batches in flight and throttled answers, then everyone but the privileged user is revoked exactly once and the progress adds up', async function () {
    const directory = await delegatedBulkDirectory(cloud, config, 'uma');
    const svc = service();
    const run = await prepare(svc, directory, { kind: 'department', department: 'HP' });
    assert.equal(run.items.length, 45);
    const batchesBefore = cloud.graph.count(GRAPH_ROUTES.batch, uma.aadObjectId);
    cloud.graph.injectFault({ route: GRAPH_ROUTES.revoke, status: 429, retryAfterInSeconds: 0.1, times: 4 });
    const events: BulkProgress[] = [];
    const result = await start(svc, directory, run.id, events);
    assert.equal(result.kind, 'completed');
    assertEachRevokedOnce(hp);
    assert.equal(events.length, cloud.graph.count(GRAPH_ROUTES.batch, uma.aadObjectId) - batchesBefore, 'one progress event per batch');
    for (const [index, event] of events.entries()) {
      assert.equal(event.done + event.failed + event.remaining, 45);
      if (index > 0) assert.ok(event.done >= events[index - 1]!.done && event.failed >= events[index - 1]!.failed);
    }
    assert.deepEqual(events.at(-1), { done: 44, failed: 1, remaining: 0 });
    assert.deepEqual(result.kind === 'completed' && result.report.failures.map((f) => [f.id, f.code]), [
      [hp.privileged[0]!.id, 'forbidden'],
    ]);
  });

  it('when the bot shuts down after the first batch, then a new instance with a fresh sign-in resumes from the store and nobody is revoked twice', async function () {
    const first = service({ maxInFlight: 1 });
    const firstDirectory = await delegatedBulkDirectory(cloud, config, 'uma');
    const run = await prepare(first, firstDirectory, { kind: 'department', department: 'Restart One' });
    const started = await first.start({ person: uma, directory: firstDirectory }, run.id, { onProgress: () => void first.close() });
    assert.equal(started.kind, 'started');
    const interrupted = started.kind === 'started' ? await started.finished : undefined;
    assert.deepEqual(interrupted, { kind: 'interrupted', runId: run.id, reason: 'closed' });
    const between = await loadBulkRun(storage.state, run.id);
    assert.deepEqual(statusCounts(between!.value), { revoked: 19, failed: 1, pending: 25 });

    // The restarted bot has no sessions: the supplier gives none until Uma signs in again.
    const second = service();
    const waiting = await second.resumeAll(() => undefined);
    assert.deepEqual(
      waiting.map((o) => o.kind),
      ['waiting_for_sign_in'],
    );
    const freshDirectory = await delegatedBulkDirectory(cloud, config, 'uma');
    const resumed = await second.resume(run.id, (r) => (r.decidedBy?.aadObjectId === uma.aadObjectId ? freshDirectory : undefined));
    assert.equal(resumed.kind, 'resumed');
    const result = resumed.kind === 'resumed' ? await resumed.finished : undefined;
    assert.equal(result?.kind, 'completed');
    assertEachRevokedOnce(restartOne);
    assert.deepEqual(
      result?.kind === 'completed' && { done: result.report.done, failed: result.report.failed, verified: result.report.verified },
      { done: 44, failed: 1, verified: 0 },
    );
  });

  it('when the bot dies after Graph revoked a batch but before the result was stored, then the resumed run reads those users back instead of revoking them again', async function () {
    const directory = await delegatedBulkDirectory(cloud, config, 'uma');
    let died = false;
    // The second batch reaches Graph and is carried out; then the process "dies" before it hears the answer.
    const dying = dieAfterAnswer(directory, 1, () => (died = true));
    const first = new BulkRevocationService({
      store: storage.state,
      audit,
      requestTtlInMs: 15 * 60_000,
      maxInFlight: 1,
      leaseInMs: 800,
      clock: systemClock,
    });
    const run = await prepare(first, directory, { kind: 'department', department: 'Restart Two' });
    const started = await first.start({ person: uma, directory: dying }, run.id);
    assert.equal(started.kind, 'started');
    while (!died) await new Promise((resolve) => setTimeout(resolve, 10));
    const crashed = await loadBulkRun(storage.state, run.id);
    assert.deepEqual(statusCounts(crashed!.value), { revoked: 19, failed: 1, sent: 20, pending: 5 });

    const second = service();
    const early = await second.resume(run.id, () => directory);
    assert.equal(early.kind, 'leased', 'the dead instance holds the run until its lease runs out');
    await new Promise((resolve) => setTimeout(resolve, 900));
    const getsBefore = cloud.graph.count(GRAPH_ROUTES.getUser, uma.aadObjectId);
    const resumed = await second.resume(run.id, () => directory);
    assert.equal(resumed.kind, 'resumed');
    const result = resumed.kind === 'resumed' ? await resumed.finished : undefined;
    assert.equal(result?.kind, 'completed');
    assertEachRevokedOnce(restartTwo);
    assert.equal(cloud.graph.count(GRAPH_ROUTES.getUser, uma.aadObjectId) - getsBefore, 20, 'the 20 users left "sent" were read back');
    assert.deepEqual(
      result?.kind === 'completed' && { done: result.report.done, failed: result.report.failed, verified: result.report.verified },
      { done: 44, failed: 1, verified: 20 },
    );
    const records = await storage.audit.list({ requestId: run.id, limit: 1000 });
    assert.equal(
      records.filter((r) => r.action === 'revocation.succeeded' && (r.detail ?? '').includes('verified by reading the user back')).length,
      20,
    );
  });

  it("when Graph throttles a whole batch, then the client's retry handler sends it again; when a gateway times out, then the users are read back first and sent again once", async function () {
    const directory = await delegatedBulkDirectory(cloud, config, 'uma');
    const svc = service();
    const throttledRun = await prepare(svc, directory, { kind: 'department', department: 'Throttled Batch' });
    let batches = cloud.graph.count(GRAPH_ROUTES.batch, uma.aadObjectId);
    cloud.graph.injectFault({ route: GRAPH_ROUTES.batch, status: 429, retryAfterInSeconds: 0.1, times: 1 });
    const throttled = await start(svc, directory, throttledRun.id, []);
    assert.equal(throttled.kind, 'completed');
    assert.equal(
      cloud.graph.count(GRAPH_ROUTES.batch, uma.aadObjectId) - batches,
      2,
      'the outer 429 was retried by the Graph client (two HTTP requests)',
    );
    assertEachRevokedOnce(throttledBatch);

    const timeoutRun = await prepare(svc, directory, { kind: 'department', department: 'Gateway Timeout' });
    batches = cloud.graph.count(GRAPH_ROUTES.batch, uma.aadObjectId);
    const gets = cloud.graph.count(GRAPH_ROUTES.getUser, uma.aadObjectId);
    cloud.graph.injectFault({ route: GRAPH_ROUTES.batch, status: 504, times: 1 });
    const timedOut = await start(svc, directory, timeoutRun.id, []);
    assert.equal(timedOut.kind, 'completed');
    assert.equal(
      cloud.graph.count(GRAPH_ROUTES.batch, uma.aadObjectId) - batches,
      2,
      'a 504 is not re-sent blindly: one batch, then one after reading back',
    );
    assert.equal(cloud.graph.count(GRAPH_ROUTES.getUser, uma.aadObjectId) - gets, 20);
    assertEachRevokedOnce(gatewayTimeout);
  });

  it('when a source is larger than the limit, unknown, or paged, then Graph is asked the way the docs say and the answer is exact', async function () {
    const directory = await delegatedBulkDirectory(cloud, config, 'uma');
    const svc = service();
    const tooMany = await svc.prepare({ person: uma, directory }, { kind: 'department', department: 'Big' }, { maxTargets: 20 });
    assert.deepEqual(tooMany, { kind: 'too_many', source: { kind: 'department', label: 'Big' }, count: 30, exact: true, maxTargets: 20 });
    const unknown = await svc.prepare(
      { person: uma, directory },
      { kind: 'group', group: { kind: 'displayName', name: "No Such Group's Name" } },
    );
    assert.equal(unknown.kind, 'not_found');
    const byId = await svc.prepare(
      { person: uma, directory },
      { kind: 'group', group: { kind: 'objectId', id: '00000000-0000-4000-8000-000000000000' } },
    );
    assert.equal(byId.kind, 'not_found');

    const pagesBefore = cloud.graph.count(GRAPH_ROUTES.groupTransitiveMembers, uma.aadObjectId);
    const listed = await directory.listGroupUsers({ kind: 'objectId', id: phished.group!.id }, 1000, { pageSize: 7 });
    assert.ok(listed.ok);
    assert.equal(listed.value.users.length, 45);
    assert.equal(listed.value.truncated, false);
    assert.equal(
      cloud.graph.count(GRAPH_ROUTES.groupTransitiveMembers, uma.aadObjectId) - pagesBefore,
      7,
      'seven pages of seven, following @odata.nextLink',
    );
    const cut = await directory.listGroupUsers({ kind: 'displayName', name: 'Phished Finance' }, 10, { pageSize: 7 });
    assert.ok(cut.ok);
    assert.deepEqual([cut.value.users.length, cut.value.truncated, cut.value.totalCount], [10, true, 45]);
  });
});

function statusCounts(run: BulkRun): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of run.items) counts[item.status] = (counts[item.status] ?? 0) + 1;
  return counts;
}

/** A directory whose revokeMany call number `dieOn` is carried out by Graph but never answered (the process died). */
function dieAfterAnswer(directory: BulkDirectoryGateway, dieOn: number, onDeath: () => void): BulkDirectoryGateway {
  let calls = 0;
  return new Proxy(directory, {
    get(target, property) {
      if (property === 'revokeMany') {
        return async (...args: Parameters<BulkDirectoryGateway['revokeMany']>) => {
          const call = calls;
          calls += 1;
          const answer = await target.revokeMany(...args);
          if (call !== dieOn) return answer;
          onDeath();
          return new Promise(() => undefined);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
