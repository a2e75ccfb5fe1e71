/**
 * The SQLite storage on its own: lookup-shaped turns (a state create, then an audit append, each
 * durable before the next step) run at several concurrencies against a fresh file, with the event
 * loop's delay measured meanwhile (perf_hooks.monitorEventLoopDelay). Prints turns/s, the turns'
 * p50/p99, the loop delay's p99 and max ("blocked" when the loop never ran a timer during the
 * row: then max is the row's whole duration), and, when the storage has a writer thread, how many
 * commits carried the writes.
 *
 *   node --import tsx bench/storageWrites.ts        (BENCH_TURNS, default 2000 per concurrency)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { systemClock } from '../src/domain/clock';
import { openSqliteStorage } from '../src/storage/openSqliteStorage';

const TURNS = Number(process.env.BENCH_TURNS ?? 2000);
const CONCURRENCIES = [1, 8, 32];

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

async function run(concurrency: number): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'revoker-storage-bench-'));
  const storage = openSqliteStorage({ dataDir: dir, clock: systemClock });
  const counts = (storage as { writer?: { counts: { commits: number; writes: number } } }).writer?.counts;
  try {
    const turn = async (i: number): Promise<void> => {
      await storage.state.create(
        'requests',
        `r-${concurrency}-${i}`,
        { target: { id: `user-${i}`, displayName: `User ${i}` }, state: 'pending' },
        { expiresAt: new Date(systemClock.now().getTime() + 60_000) },
      );
      await storage.audit.append({
        at: systemClock.now().toISOString(),
        tenantId: 'tenant',
        action: 'request.created',
        outcome: 'ok',
        requestId: `r-${concurrency}-${i}`,
      });
    };
    for (let i = 0; i < 50; i += 1) await turn(-1 - i); // warm: JIT, the writer thread
    const commitsBefore = counts?.commits ?? 0;
    const writesBefore = counts?.writes ?? 0;
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < TURNS; i = next++) {
          const at = performance.now();
          await turn(i);
          latencies.push(performance.now() - at);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    delay.disable();
    const writes = counts ? counts.writes - writesBefore : Number.NaN;
    const commits = counts ? counts.commits - commitsBefore : Number.NaN;
    return [
      String(concurrency),
      (TURNS / seconds).toFixed(0),
      percentile(latencies, 50).toFixed(2),
      percentile(latencies, 99).toFixed(2),
      // No sample at all: the loop never got to run a timer while the turns ran (blocked throughout).
      delay.count === 0 ? 'blocked' : (delay.percentile(99) / 1e6).toFixed(2),
      delay.count === 0 ? (seconds * 1000).toFixed(0) : (delay.max / 1e6).toFixed(2),
      counts ? `${commits} (${(writes / commits).toFixed(1)} writes each)` : 'one per write, on the event loop',
    ];
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const cpu = os.cpus();
  console.log(
    `SQLite storage benchmark — ${cpu.length} × ${cpu[0]?.model.trim() ?? 'CPU'}, Node ${process.version}; ${TURNS} lookup-shaped turns (create + append) per row`,
  );
  const header = ['concurrency', 'turns/s', 'p50 ms', 'p99 ms', 'loop delay p99 ms', 'max ms', 'commits'];
  const rows: string[][] = [];
  for (const concurrency of CONCURRENCIES) rows.push(await run(concurrency));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) console.log(row.map((c, i) => (i === row.length - 1 ? c : c.padStart(widths[i]!))).join('  '));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
