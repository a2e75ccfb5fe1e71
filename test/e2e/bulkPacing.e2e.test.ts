/**
 * Bulk runs at Graph's write quota, end to end: the real Graph client against the emulated Graph
 * enforcing its quota per app and tenant (inside $batch too). The emulator's windows run 300 times
 * faster and its limits are a fiftieth of Microsoft's (60 writes per 0.5 s: 120 a second after a
 * full bucket), so a run of 200 users spans several windows in about a second. Assertions are
 * counts and order, never durations.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuditTrail } from '../../src/app/auditTrail';
import { BulkRevocationService, type BulkRevocationServiceOptions } from '../../src/app/bulk/bulkRevocationService';
import { loadBulkRun } from '../../src/app/bulk/bulkRunPages';
import type { BulkDirectoryGateway } from '../../src/app/ports/directory';
import type { Config } from '../../src/config/config';
import type { BulkRun } from '../../src/domain/bulkRun';
import type { PersonRef } from '../../src/domain/people';
import type { RateQuota } from '../../src/domain/pacing';
import { EmulatedCloud } from '../../emulator/cloud';
import { addBulkPopulation, seedDirectory, type BulkPopulation } from '../../emulator/directory';
import { GRAPH_ROUTES } from '../../emulator/graph';
import { PERMISSION_TABLE } from '../../emulator/permissions';
import { openSqliteStorage, type SqliteStorage } from '../../src/storage';
import { BULK_GRAPH_SCOPES, bulkConfig, delegatedBulkDirectory, revokeStatusesByUser, successfulRevokes } from '../helpers/bulkCloud';
import { testTls } from '../helpers/tls';
import { systemClock } from '../../src/domain/clock';

const THROTTLING = { timeScale: 300, quotaScale: 1 / 50 };
const USERS = 200;

describe('bulk runs paced to Graph’s write quota, against the emulated cloud', function () {
  this.timeout(60_000);
  let cloud: EmulatedCloud;
  let dataDir: string;
  let storage: SqliteStorage;
  let audit: AuditTrail;
  let config: Config;
  let uma: PersonRef;
  let writeQuota: RateQuota;
  const populations: Record<string, BulkPopulation> = {};
  const services: BulkRevocationService[] = [];

  function service(overrides: Partial<BulkRevocationServiceOptions> = {}): BulkRevocationService {
    const created = new BulkRevocationService({
      store: storage.state,
      audit,
      requestTtlInMs: 15 * 60_000,
      settleInMs: 200,
      writeQuota,
      clock: systemClock,
      ...overrides,
    });
    services.push(created);
    return created;
  }

  before(async function () {
    const { ca } = await testTls();
    const directory = seedDirectory();
    for (const department of ['Paced', 'Corrected', 'Restarted'])
      populations[department] = addBulkPopulation(directory, { department, count: USERS, privileged: 0 });
    cloud = await EmulatedCloud.start({ ca, directory, consentedGraphScopes: BULK_GRAPH_SCOPES, graphThrottling: THROTTLING });
    // What the emulator enforces for the bot's writes, from the permission table's quota row.
    const row = PERMISSION_TABLE['users.revokeSignInSessions'].quotas.find((q) => q.per === 'appAndTenant' && q.counts === 'writes')!;
    writeQuota = cloud.graph.throttle!.effective(row);
    assert.deepEqual(writeQuota, { requests: 60, windowInMs: 500 });
    dataDir = mkdtempSync(path.join(tmpdir(), 'revoker-bulk-pacing-'));
    storage = openSqliteStorage({ dataDir, clock: systemClock });
    audit = new AuditTrail({ log: storage.audit, clock: systemClock });
    config = bulkConfig(cloud, dataDir);
    const user = directory.user('uma');
    uma = { tenantId: directory.tenantId, aadObjectId: user.id, name: user.displayName, userPrincipalName: user.userPrincipalName };
  });

  afterEach(async function () {
    for (const svc of services.splice(0)) await svc.close();
    // Let the app's write bucket fill up again (a few windows) before the next test.
    await new Promise((resolve) => setTimeout(resolve, 3 * writeQuota.windowInMs));
  });

  after(async function () {
    await audit?.close();
    await storage?.close();
    await cloud?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function prepare(svc: BulkRevocationService, directory: BulkDirectoryGateway, department: string): Promise<BulkRun> {
    const outcome = await svc.prepare({ person: uma, directory }, { kind: 'department', department });
    assert.equal(outcome.kind, 'prepared', JSON.stringify(outcome));
    return outcome.kind === 'prepared' ? outcome.run : assert.fail('not prepared');
  }

  /** Revoke steps Graph saw for these users, in the order it saw them. */
  function revokeLog(population: BulkPopulation, from: number): number[] {
    const ids = new Set(population.users.map((u) => u.id.toLowerCase()));
    return cloud.graph.server.calls
      .slice(from)
      .filter((c) => c.route === GRAPH_ROUTES.revoke && ids.has(/\/users\/([^/]+)\//.exec(c.path)?.[1]?.toLowerCase() ?? ''))
      .map((c) => c.status);
  }

  function assertEachRevokedOnce(population: BulkPopulation): void {
    const statuses = revokeStatusesByUser(cloud);
    const twice = population.users.filter((u) => successfulRevokes(statuses, u.id) !== 1);
    assert.deepEqual(
      twice.map((u) => [u.displayName, statuses.get(u.id)]),
      [],
      'every user revoked exactly once',
    );
  }

  it('when a run is larger than several windows of the quota, then it completes with every user revoked exactly once and at most a batch’s worth of 429s', async function () {
    const directory = await delegatedBulkDirectory(cloud, config, 'uma');
    const svc = service();
    const run = await prepare(svc, directory, 'Paced');
    const logFrom = cloud.graph.server.calls.length;
    const started = await svc.start({ person: uma, directory }, run.id);
    assert.equal(started.kind, 'started');
    const outcome = started.kind === 'started' ? await started.finished : undefined;
    assert.equal(outcome?.kind, 'completed');
    assert.deepEqual(outcome?.kind === 'completed' && { done: outcome.report.done, failed: outcome.report.failed }, {
      done: USERS,
      failed: 0,
    });
    assertEachRevokedOnce(populations.Paced!);
    const statuses = revokeLog(populations.Paced!, logFrom);
    const throttled = statuses.filter((s) => s === 429).length;
    assert.ok(throttled <= 20, `${throttled} of ${statuses.length} revoke requests were throttled`);
    assert.equal(statuses.length, USERS + throttled, 'nothing sent beyond the users and the retries of throttled ones');
    assert.equal(svc.writeRate(uma.tenantId), 120, 'the pacer kept the documented rate');
  });

  it('when the bot assumes twice the quota Graph enforces, then the Retry-After of each 429 slows its bucket and the 429s stay at the start', async function () {
    const directory = await delegatedBulkDirectory(cloud, config, 'uma');
    // The bot believes 120 writes per 0.5 s; Graph allows 60.
    const svc = service({ writeQuota: { requests: 2 * writeQuota.requests, windowInMs: writeQuota.windowInMs } });
    const run = await prepare(svc, directory, 'Corrected');
    const logFrom = cloud.graph.server.calls.length;
    const started = await svc.start({ person: uma, directory }, run.id);
    const outcome = started.kind === 'started' ? await started.finished : undefined;
    assert.equal(outcome?.kind, 'completed');
    assertEachRevokedOnce(populations.Corrected!);
    const statuses = revokeLog(populations.Corrected!, logFrom);
    const throttled = statuses.filter((s) => s === 429).length;
    assert.ok(throttled > 0, 'Graph did throttle the over-eager start');
    assert.ok(statuses.indexOf(429) < writeQuota.requests + 20, 'the first 429 came where Graph’s bucket ran out, within a batch');
    const rate = svc.writeRate(uma.tenantId)!;
    assert.ok(rate < 240 && rate >= 240 / 16, `the bucket slowed from 240 to ${rate} requests a second`);
    const half = Math.floor(statuses.length / 2);
    const early = statuses.slice(0, half).filter((s) => s === 429).length;
    const late = statuses.slice(half).filter((s) => s === 429).length;
    assert.ok(late < early, `429s in the first half ${early}, in the second ${late}: corrected, they became rarer`);
    // The bot's first burst alone overshoots Graph's bucket by about 60; the corrections after it cost a few batches at most.
    assert.ok(throttled <= 2 * writeQuota.requests, `${throttled} of ${statuses.length} requests throttled`);
  });

  it('when the bot restarts mid-run, then the new instance resumes from the store at the quota and revokes nobody twice', async function () {
    const first = service({ maxInFlight: 1 });
    const firstDirectory = await delegatedBulkDirectory(cloud, config, 'uma');
    const run = await prepare(first, firstDirectory, 'Restarted');
    let batches = 0;
    const started = await first.start({ person: uma, directory: firstDirectory }, run.id, {
      onProgress: () => {
        batches += 1;
        if (batches === 3) void first.close();
      },
    });
    const interrupted = started.kind === 'started' ? await started.finished : undefined;
    assert.deepEqual(interrupted, { kind: 'interrupted', runId: run.id, reason: 'closed' });
    const between = await loadBulkRun(storage.state, run.id);
    const revokedBefore = between!.value.items.filter((i) => i.status === 'revoked').length;
    assert.ok(revokedBefore >= 60 && revokedBefore < USERS, `${revokedBefore} revoked before the restart`);
    assert.equal(between!.value.items.filter((i) => i.status === 'sent').length, 0, 'a graceful stop records every batch it sent');

    const second = service();
    const freshDirectory = await delegatedBulkDirectory(cloud, config, 'uma');
    const resumed = await second.resume(run.id, () => freshDirectory);
    assert.equal(resumed.kind, 'resumed');
    const outcome = resumed.kind === 'resumed' ? await resumed.finished : undefined;
    assert.equal(outcome?.kind, 'completed');
    assert.deepEqual(
      outcome?.kind === 'completed' && { done: outcome.report.done, failed: outcome.report.failed, verified: outcome.report.verified },
      { done: USERS, failed: 0, verified: 0 },
    );
    assertEachRevokedOnce(populations.Restarted!);
  });
});
