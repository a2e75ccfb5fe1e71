/**
 * `npm run bench:bulk`: the bulk revocation benchmark. The emulated Microsoft
 * cloud runs in this process, throttling as Graph does; a User Administrator's real delegated
 * directory (SSO token → on-behalf-of → Graph JS client) runs the engine (BulkRevocationService:
 * JSON batches of 20, paced to Graph's write quota, SQLite state and audit) in two phases:
 *
 * 1. 1,000 users against the per-user loop, every Graph request delayed by 100 ms, Graph's quotas
 *    at Microsoft's own limits and windows (1,000 revokes fit in the app's bucket of 3,000):
 *    - engine: latency injected on the $batch route;
 *    - baseline: one POST /users/{id}/revokeSignInSessions per user, one after the other, through
 *      the same GraphDirectory (the single-revoke path), latency injected on that route.
 *    Targets: ≤ 50 Graph requests, ≥ 20× faster than the loop.
 * 2. 10,000 users at the limit: Graph's windows run BENCH_TIME_SCALE times faster (default 20:
 *    3,000 writes per 150 s become 3,000 per 7.5 s, 400 a second) and the engine is told the same
 *    quota. The run is bound by the quota, not by the machine, when the engine keeps up (on the
 *    2-core development machine it does up to about 20; beyond, its per-user audit commits, each
 *    an fsync on the event loop, are what limits it): its limit-bound minimum is
 *    (users − 3,000) ÷ rate, since an app that has not written lately starts with a full bucket of
 *    3,000 and then gets 20 a second (scaled). users ÷ rate is printed too.
 *    Targets: wall time ≤ 1.15 × the limit-bound minimum, 429s under 1 % of the revoke requests,
 *    every user revoked exactly once.
 *
 * Graph requests are counted at the client's fetch and cross-checked with the emulator's log;
 * 429s and exactly-once are read from the emulator's log (every $batch step is logged with its
 * status). Token acquisition is warmed up first, so no phase pays for it.
 *
 * Options (environment): BENCH_USERS (default 1000), BENCH_LATENCY_MS (default 100),
 * BENCH_SEQUENTIAL_SAMPLE (default: all users; fewer runs the baseline on that many and
 * extrapolates its wall time linearly, and says so), BENCH_LARGE_USERS (default 10000; 0 skips
 * phase 2), BENCH_TIME_SCALE (default 20), BENCH_LARGE_IN_FLIGHT (batches in flight in phase 2;
 * default: the engine's own), BENCH_DATA_DIR (where the SQLite files go; default the OS temp
 * folder). CPU profile: node --cpu-prof --import tsx bench/bulk.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AuditTrail } from '../src/app/auditTrail';
import { BulkRevocationService, GRAPH_WRITE_QUOTA } from '../src/app/bulk/bulkRevocationService';
import type { BulkDirectoryGateway } from '../src/app/ports/directory';
import type { StateStore } from '../src/app/ports/stateStore';
import { EmulatedCloud } from '../emulator/cloud';
import { addBulkPopulation, seedDirectory, type DirectoryUser } from '../emulator/directory';
import { GRAPH_ROUTES, type ThrottlingOptions } from '../emulator/graph';
import { type PemPair } from '../emulator/tls';
import { openSqliteStorage } from '../src/storage';
import { BULK_GRAPH_SCOPES, bulkConfig, delegatedBulkDirectory, revokeStatusesByUser, successfulRevokes } from '../test/helpers/bulkCloud';
import { systemClock } from '../src/domain/clock';
import type { PersonRef } from '../src/domain/people';
import { startTrustingOwnCa } from './trustingOwnCa';

const USERS = Number(process.env.BENCH_USERS ?? 1000);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 100);
const SAMPLE = Math.min(USERS, Number(process.env.BENCH_SEQUENTIAL_SAMPLE ?? USERS));
const LARGE_USERS = Number(process.env.BENCH_LARGE_USERS ?? 10_000);
const TIME_SCALE = Number(process.env.BENCH_TIME_SCALE ?? 20);
const LARGE_IN_FLIGHT = process.env.BENCH_LARGE_IN_FLIGHT ? Number(process.env.BENCH_LARGE_IN_FLIGHT) : undefined;
/** Where the SQLite files go (default the OS temp folder, on disk here; /dev/shm takes the disk's fsyncs out). */
const DATA_DIR = process.env.BENCH_DATA_DIR ?? os.tmpdir();

type Check = [string, boolean];

/** Counts the Graph client's HTTP requests to one host (the client calls the global fetch). */
function countFetches(host: string): { readonly count: () => number; readonly restore: () => void } {
  const original = globalThis.fetch;
  let count = 0;
  globalThis.fetch = (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (new URL(url).host === host) count += 1;
    return original(input, init);
  };
  return { count: () => count, restore: () => void (globalThis.fetch = original) };
}

/** Counts the state store's writes per namespace, with the size of what each wrote (JSON). */
function countWrites(store: StateStore): {
  readonly store: StateStore;
  readonly summary: () => string;
} {
  const seen = new Map<string, { writes: number; bytes: number; largest: number }>();
  const note = (namespace: string, value: unknown): void => {
    const bytes = Buffer.byteLength(JSON.stringify(value));
    const entry = seen.get(namespace) ?? { writes: 0, bytes: 0, largest: 0 };
    seen.set(namespace, { writes: entry.writes + 1, bytes: entry.bytes + bytes, largest: Math.max(entry.largest, bytes) });
  };
  const counted: StateStore = {
    get: (namespace, key) => store.get(namespace, key),
    create: (namespace, key, value, options) => (note(namespace, value), store.create(namespace, key, value, options)),
    replace: (namespace, key, value, etag, options) => (note(namespace, value), store.replace(namespace, key, value, etag, options)),
    delete: (namespace, key, etag) => store.delete(namespace, key, etag),
    list: (namespace, options) => store.list(namespace, options),
    check: () => store.check(),
    close: () => store.close(),
  };
  const size = (bytes: number): string => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} KB`);
  return {
    store: counted,
    summary: () =>
      [...seen]
        .map(([namespace, e]) => `${namespace} ${e.writes} (average ${size(e.bytes / e.writes)}, largest ${size(e.largest)})`)
        .join(', '),
  };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** The machine, as `lscpu` and `node -v` name it. */
function machine(): string {
  const lscpu = spawnSync('lscpu', { encoding: 'utf8' });
  const field = (name: string): string | undefined =>
    lscpu.status === 0 ? new RegExp(`^${name}:\\s*(.+)$`, 'm').exec(lscpu.stdout)?.[1]?.trim() : undefined;
  const model = field('Model name') ?? os.cpus()[0]?.model ?? 'unknown CPU';
  const cores = field('CPU\\(s\\)') ?? String(os.cpus().length);
  return `${model}, ${cores} cores (lscpu), ${Math.round(os.totalmem() / 2 ** 30)} GB, ${os.platform()} ${os.release()}, node ${process.version}`;
}

/** A cloud with `users` in a department, a store, an audit trail and Uma's warm delegated directories. */
async function setUp(
  ca: PemPair,
  populations: { department: string; count: number }[],
  throttling: ThrottlingOptions,
  directories: number,
): Promise<{
  cloud: EmulatedCloud;
  users: DirectoryUser[][];
  person: PersonRef;
  gateways: BulkDirectoryGateway[];
  storage: ReturnType<typeof openSqliteStorage>;
  audit: AuditTrail;
  fetches: ReturnType<typeof countFetches>;
  tearDown: () => Promise<void>;
}> {
  const directory = seedDirectory();
  const users = populations.map((p) => addBulkPopulation(directory, { department: p.department, count: p.count, privileged: 0 }).users);
  const cloud = await EmulatedCloud.start({ ca, directory, consentedGraphScopes: BULK_GRAPH_SCOPES, graphThrottling: throttling });
  const dataDir = mkdtempSync(path.join(DATA_DIR, 'revoker-bench-bulk-'));
  const storage = openSqliteStorage({ dataDir, clock: systemClock });
  const audit = new AuditTrail({ log: storage.audit, clock: systemClock });
  const fetches = countFetches(new URL(cloud.graph.endpoint).host);
  const config = bulkConfig(cloud, dataDir);
  const uma = directory.user('uma');
  const person = { tenantId: directory.tenantId, aadObjectId: uma.id, name: uma.displayName, userPrincipalName: uma.userPrincipalName };
  const gateways: BulkDirectoryGateway[] = [];
  for (let i = 0; i < directories; i += 1) {
    const gateway = await delegatedBulkDirectory(cloud, config, 'uma');
    // Warm: the on-behalf-of exchange happens on the first Graph call.
    const me = await gateway.getUser({ kind: 'self' });
    if (!me.ok) throw new Error(`warm-up failed: ${me.error.code}`);
    gateways.push(gateway);
  }
  return {
    cloud,
    users,
    person,
    gateways,
    storage,
    audit,
    fetches,
    tearDown: async () => {
      fetches.restore();
      await audit.close();
      await storage.close();
      await cloud.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Phase 1: 1,000 users, engine against the per-user loop, 100 ms per Graph request, Microsoft's own quotas. */
async function againstTheLoop(ca: PemPair): Promise<Check[]> {
  const env = await setUp(
    ca,
    [
      { department: 'Bench Engine', count: USERS },
      { department: 'Bench Sequential', count: SAMPLE },
    ],
    {},
    2,
  );
  const { cloud, fetches, person } = env;
  const [engineUsers, loopUsers] = env.users as [DirectoryUser[], DirectoryUser[]];
  const [engineDirectory, loopDirectory] = env.gateways as [BulkDirectoryGateway, BulkDirectoryGateway];
  try {
    const service = new BulkRevocationService({
      store: env.storage.state,
      audit: env.audit,
      requestTtlInMs: 15 * 60_000,
      maxTargets: USERS,
      clock: systemClock,
    });
    let start = performance.now();
    let before = fetches.count();
    const prepared = await service.prepare({ person, directory: engineDirectory }, { kind: 'department', department: 'Bench Engine' });
    if (prepared.kind !== 'prepared') throw new Error(`prepare: ${prepared.kind}`);
    const prepare = { requests: fetches.count() - before, ms: performance.now() - start };

    cloud.graph.injectFault({ route: GRAPH_ROUTES.batch, latencyInMs: LATENCY_MS, times: Infinity });
    const batchesBefore = cloud.graph.count(GRAPH_ROUTES.batch);
    let progressEvents = 0;
    before = fetches.count();
    start = performance.now();
    const started = await service.start({ person, directory: engineDirectory }, prepared.run.id, {
      onProgress: () => void (progressEvents += 1),
    });
    if (started.kind !== 'started') throw new Error(`start: ${started.kind}`);
    const outcome = await started.finished;
    const engine = {
      requests: fetches.count() - before,
      ms: performance.now() - start,
      serverBatches: cloud.graph.count(GRAPH_ROUTES.batch) - batchesBefore,
    };
    if (outcome.kind !== 'completed') throw new Error(`engine ended ${outcome.kind}`);
    cloud.graph.clearFaults();

    cloud.graph.injectFault({ route: GRAPH_ROUTES.revoke, latencyInMs: LATENCY_MS, times: Infinity });
    const revokesBefore = cloud.graph.count(GRAPH_ROUTES.revoke);
    before = fetches.count();
    start = performance.now();
    let loopFailures = 0;
    for (const user of loopUsers) {
      const result = await loopDirectory.revokeSessions({ kind: 'objectId', id: user.id });
      if (!result.ok) loopFailures += 1;
    }
    const loop = {
      requests: fetches.count() - before,
      ms: performance.now() - start,
      serverRevokes: cloud.graph.count(GRAPH_ROUTES.revoke) - revokesBefore,
    };
    cloud.graph.clearFaults();

    const statuses = revokeStatusesByUser(cloud);
    const engineOnce = engineUsers.filter((u) => successfulRevokes(statuses, u.id) === 1).length;
    const loopOnce = loopUsers.filter((u) => successfulRevokes(statuses, u.id) === 1).length;
    const extrapolated = SAMPLE < USERS;
    const loopMs = (loop.ms * USERS) / SAMPLE;
    const loopRequests = (loop.requests * USERS) / SAMPLE;

    console.log(`phase 1 — ${USERS} users against the per-user loop, ${LATENCY_MS} ms injected per Graph request, Graph's own quotas`);
    console.log(`engine settings: ${JSON.stringify(service.settings)}`);
    console.log(
      `prepare (not timed below): ${prepare.requests} Graph requests (member listing + memberships in $batch), ${seconds(prepare.ms)}, no injected latency`,
    );
    console.log(
      `engine:     ${engine.requests} Graph HTTP requests (emulator saw ${engine.serverBatches} $batch), ${seconds(engine.ms)}, ${progressEvents} progress events; report ${JSON.stringify({ done: outcome.report.done, failed: outcome.report.failed, remaining: outcome.report.remaining })}; ${engineOnce}/${USERS} users revoked exactly once`,
    );
    console.log(
      `sequential: ${loop.requests} Graph HTTP requests (emulator saw ${loop.serverRevokes} revokes), ${seconds(loop.ms)} for ${SAMPLE} users, ${loopFailures} failures; ${loopOnce}/${SAMPLE} revoked exactly once` +
        (extrapolated
          ? `\n            EXTRAPOLATED linearly to ${USERS} users: ${Math.round(loopRequests)} requests, ${seconds(loopMs)}`
          : ''),
    );
    const requestRatio = loopRequests / engine.requests;
    const speedup = loopMs / engine.ms;
    console.log(
      `ratios: ${requestRatio.toFixed(1)}× fewer Graph requests, ${speedup.toFixed(1)}× faster${extrapolated ? ' (baseline extrapolated)' : ''}`,
    );
    await service.close();
    return [
      [`≤ 50 Graph requests for ${USERS} users (${engine.requests})`, engine.requests <= 50],
      [`≥ 20× faster than the per-user loop (${speedup.toFixed(1)}×)`, speedup >= 20],
      [`every user revoked exactly once (${engineOnce}/${USERS})`, engineOnce === USERS],
    ];
  } finally {
    await env.tearDown();
  }
}

/** Phase 2: 10,000 users at Graph's write quota, its windows TIME_SCALE times faster. */
async function atTheLimit(ca: PemPair): Promise<Check[]> {
  const env = await setUp(ca, [{ department: 'Bench Large', count: LARGE_USERS }], { timeScale: TIME_SCALE }, 1);
  const { cloud, fetches, person } = env;
  const [users] = env.users as [DirectoryUser[]];
  const [directory] = env.gateways as [BulkDirectoryGateway];
  try {
    const writeQuota = { requests: GRAPH_WRITE_QUOTA.requests, windowInMs: GRAPH_WRITE_QUOTA.windowInMs / TIME_SCALE };
    const writes = countWrites(env.storage.state);
    const service = new BulkRevocationService({
      store: writes.store,
      audit: env.audit,
      requestTtlInMs: 15 * 60_000,
      maxTargets: LARGE_USERS,
      writeQuota,
      ...(LARGE_IN_FLIGHT ? { maxInFlight: LARGE_IN_FLIGHT } : {}),
      clock: systemClock,
    });
    let start = performance.now();
    const prepared = await service.prepare({ person, directory }, { kind: 'department', department: 'Bench Large' });
    if (prepared.kind !== 'prepared') throw new Error(`prepare: ${prepared.kind}`);
    const prepareMs = performance.now() - start;

    const writesAtPrepare = writes.summary();
    const logBefore = cloud.graph.server.calls.length;
    const requestsBefore = fetches.count();
    let progressEvents = 0;
    const estimates: { at: number; timeLeftInMs: number | undefined }[] = [];
    start = performance.now();
    const started = await service.start({ person, directory }, prepared.run.id, {
      onProgress: (_progress, _run, timeLeftInMs) => {
        progressEvents += 1;
        if (progressEvents % 50 === 1) estimates.push({ at: performance.now() - start, timeLeftInMs });
      },
    });
    if (started.kind !== 'started') throw new Error(`start: ${started.kind}`);
    const outcome = await started.finished;
    const wallMs = performance.now() - start;
    if (outcome.kind !== 'completed') throw new Error(`large run ended ${outcome.kind}`);
    await service.close();

    const calls = cloud.graph.server.calls.slice(logBefore);
    const revokeCalls = calls.filter((c) => c.route === GRAPH_ROUTES.revoke);
    const batchCalls = calls.filter((c) => c.route === GRAPH_ROUTES.batch);
    const throttledSteps = revokeCalls.filter((c) => c.status === 429).length;
    const throttledBatches = batchCalls.filter((c) => c.status === 429).length;
    const statuses = revokeStatusesByUser(cloud);
    const once = users.filter((u) => successfulRevokes(statuses, u.id) === 1).length;
    const ratePerMs = writeQuota.requests / writeQuota.windowInMs;
    const boundMs = Math.max(0, LARGE_USERS - writeQuota.requests) / ratePerMs;
    const allMs = LARGE_USERS / ratePerMs;
    const ratio = wallMs / boundMs;
    const throttledShare = throttledSteps / Math.max(1, revokeCalls.length);

    console.log('');
    console.log(
      `phase 2 — ${LARGE_USERS} users at Graph's write quota (3,000 per 150 s per app and tenant), its windows ${TIME_SCALE}× faster: ` +
        `${writeQuota.requests} per ${seconds(writeQuota.windowInMs)} = ${(ratePerMs * 1000).toFixed(0)} revokes/s after a full bucket of ${writeQuota.requests}; no injected latency`,
    );
    console.log(`engine settings: ${JSON.stringify(service.settings)}`);
    console.log(`prepare (not timed below): ${seconds(prepareMs)}; state written: ${writesAtPrepare}`);
    console.log(
      `engine: ${seconds(wallMs)} wall; limit-bound minimum ${seconds(boundMs)} ((users − bucket) ÷ rate), ${seconds(allMs)} (users ÷ rate); ` +
        `${ratio.toFixed(3)}× the limit-bound minimum`,
    );
    console.log(
      `Graph: ${fetches.count() - requestsBefore} HTTP requests (${batchCalls.length} $batch, ${throttledBatches} of them 429), ` +
        `${revokeCalls.length} revoke steps, ${throttledSteps} answered 429 (${(throttledShare * 100).toFixed(2)} %); emulator throttled ${cloud.graph.throttle?.throttled ?? 0} requests in all`,
    );
    console.log(
      `report ${JSON.stringify({ done: outcome.report.done, failed: outcome.report.failed, remaining: outcome.report.remaining })}; ${once}/${LARGE_USERS} users revoked exactly once; ${progressEvents} progress events`,
    );
    console.log(`state written, prepare and run: ${writes.summary()}`);
    console.log(
      `time left on the card, as estimated: ${estimates.map((e) => `${seconds(e.at)} → ${e.timeLeftInMs === undefined ? '—' : seconds(e.timeLeftInMs)}`).join(', ')}`,
    );
    return [
      [`within 1.15× the limit-bound minimum (${ratio.toFixed(3)}×)`, ratio <= 1.15],
      [`429s under 1 % of revoke requests (${(throttledShare * 100).toFixed(2)} %)`, throttledShare < 0.01],
      [`every user revoked exactly once (${once}/${LARGE_USERS})`, once === LARGE_USERS],
    ];
  } finally {
    await env.tearDown();
  }
}

async function run(ca: PemPair): Promise<void> {
  console.log(`bulk revocation benchmark — ${machine()}`);
  console.log(`SQLite state and audit under ${DATA_DIR}`);
  console.log('');
  const checks = await againstTheLoop(ca);
  if (LARGE_USERS > 0) checks.push(...(await atTheLimit(ca)));
  console.log('');
  console.log(`targets: ${checks.map(([what, ok]) => `${ok ? '✓' : '✗'} ${what}`).join('; ')}`);
  if (!checks.every(([, ok]) => ok)) process.exitCode = 1;
}

startTrustingOwnCa((_caFile, ca) => run(ca));
