/**
 * `npm run bench:bulk`: the bulk revocation benchmark. The emulated Microsoft cloud runs
 * in this process with every Graph request delayed by 100 ms; a User Administrator's real
 * delegated directory (SSO token → on-behalf-of → Graph JS client) revokes 1,000 users twice:
 *
 * - engine: BulkRevocationService (JSON batches of 20, 4 in flight, SQLite state and audit),
 *   latency injected on the $batch route;
 * - baseline: one POST /users/{id}/revokeSignInSessions per user, one after the other, through the
 *   same GraphDirectory (the single-revoke path), latency injected on that route.
 *
 * Prints Graph HTTP requests (counted at the client's fetch, cross-checked with the emulator's
 * log), wall time, and their ratios, against the targets (≤ 50 requests, ≥ 20× faster). Token
 * acquisition is warmed up first for both, so neither pays for it.
 *
 * Options (environment): BENCH_USERS (default 1000), BENCH_LATENCY_MS (default 100),
 * BENCH_SEQUENTIAL_SAMPLE (default: all users; a smaller number runs the baseline on that many
 * and extrapolates its wall time linearly, and says so).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AuditTrail } from '../src/app/auditTrail';
import { BulkRevocationService } from '../src/app/bulk/bulkRevocationService';
import type { BulkDirectoryGateway } from '../src/app/ports/directory';
import { EmulatedCloud } from '../emulator/cloud';
import { addBulkPopulation, seedDirectory } from '../emulator/directory';
import { GRAPH_ROUTES } from '../emulator/graph';
import { type PemPair } from '../emulator/tls';
import { rerunTrustingNewCa, trustedOwnCa } from '../emulator/selfTrust';
import { openSqliteStorage } from '../src/storage';
import { BULK_GRAPH_SCOPES, bulkConfig, delegatedBulkDirectory, revokeStatusesByUser, successfulRevokes } from '../test/helpers/bulkCloud';
import { systemClock } from '../src/domain/clock';

const USERS = Number(process.env.BENCH_USERS ?? 1000);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 100);
const SAMPLE = Math.min(USERS, Number(process.env.BENCH_SEQUENTIAL_SAMPLE ?? USERS));

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

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

async function run(ca: PemPair): Promise<void> {
  const directory = seedDirectory();
  const engineUsers = addBulkPopulation(directory, { department: 'Bench Engine', count: USERS, privileged: 0 }).users;
  const loopUsers = addBulkPopulation(directory, { department: 'Bench Sequential', count: SAMPLE, privileged: 0 }).users;
  const cloud = await EmulatedCloud.start({ ca, directory, consentedGraphScopes: BULK_GRAPH_SCOPES });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'revoker-bench-bulk-'));
  const storage = openSqliteStorage({ dataDir, clock: systemClock });
  const audit = new AuditTrail({ log: storage.audit, clock: systemClock });
  const fetches = countFetches(new URL(cloud.graph.endpoint).host);
  try {
    const config = bulkConfig(cloud, dataDir);
    const uma = directory.user('uma');
    const person = { tenantId: directory.tenantId, aadObjectId: uma.id, name: uma.displayName, userPrincipalName: uma.userPrincipalName };
    const engineDirectory: BulkDirectoryGateway = await delegatedBulkDirectory(cloud, config, 'uma');
    const loopDirectory: BulkDirectoryGateway = await delegatedBulkDirectory(cloud, config, 'uma');
    // Warm both: the on-behalf-of exchange happens on the first Graph call.
    for (const d of [engineDirectory, loopDirectory]) {
      const me = await d.getUser({ kind: 'self' });
      if (!me.ok) throw new Error(`warm-up failed: ${me.error.code}`);
    }

    const service = new BulkRevocationService({
      store: storage.state,
      audit,
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
    const cpus = os.cpus();

    console.log(`bulk revocation benchmark: ${USERS} users, ${LATENCY_MS} ms injected per Graph request`);
    console.log(
      `machine: ${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length}, ${Math.round(os.totalmem() / 2 ** 30)} GB, ${os.platform()} ${os.release()}, node ${process.version}`,
    );
    console.log(`engine settings: ${JSON.stringify(service.settings)}`);
    console.log('');
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
    console.log('');
    console.log(
      `ratios: ${requestRatio.toFixed(1)}× fewer Graph requests, ${speedup.toFixed(1)}× faster${extrapolated ? ' (baseline extrapolated)' : ''}`,
    );
    const checks: [string, boolean][] = [
      [`≤ 50 Graph requests (${engine.requests})`, engine.requests <= 50],
      [`≥ 20× faster than the sequential loop (${speedup.toFixed(1)}×)`, speedup >= 20],
      [`every user revoked exactly once (${engineOnce}/${USERS})`, engineOnce === USERS],
    ];
    console.log(`targets: ${checks.map(([what, ok]) => `${ok ? '✓' : '✗'} ${what}`).join('; ')}`);
    if (!checks.every(([, ok]) => ok)) process.exitCode = 1;
    await service.close();
  } finally {
    fetches.restore();
    await audit.close();
    await storage.close();
    await cloud.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Like scripts/test.ts: Node reads NODE_EXTRA_CA_CERTS only at start-up, so make the CA first and re-run with it. */
async function main(): Promise<void> {
  const trusted = trustedOwnCa();
  if (trusted) return run(trusted.ca);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'revoker-bench-ca-'));
  try {
    process.exitCode = await rerunTrustingNewCa(dir, 'bench');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
