/**
 * `npm run bench:heap`: does the bot's heap grow with the number of turns? Starts the emulated
 * cloud and the compiled bot as bench/turns.ts does (production mode, SQLite, JWTs validated),
 * with bench/heapProbe.cjs preloaded under --expose-gc. After a warm-up it runs N lookups and their
 * confirms, then N more, then 2N more (N, 2N, 4N in all), each lookup about a new target, and after
 * each step asks the probe for process.memoryUsage() after a full GC. A heap that keeps what it
 * needs per turn grows about linearly; one that only has headroom levels off.
 *
 * Options (environment): BENCH_TURNS (N, default 1000: smaller steps are within JIT noise), BENCH_CONCURRENCY (default 8),
 * BENCH_SETTLE_MS (the wait after each step before measuring, default 12 s: longer than any timer
 * a turn arms), BENCH_HEAP_SNAPSHOTS (a directory: the bot also writes a heap snapshot at each step,
 * to compare object counts by constructor).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { EmulatedCloud } from '../emulator/cloud';
import type { DirectoryUser } from '../emulator/directory';
import type { PemPair } from '../emulator/tls';
import { startTrustingOwnCa } from './trustingOwnCa';

const ROOT = path.join(__dirname, '..');
const N = Number(process.env.BENCH_TURNS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const AGENTS = ['uma', 'helen', 'aaron', 'priya', 'grace'];
const WARM_UP = 100;
/** Longer than the longest timer a turn arms (GRAPH_TIMEOUT_SECONDS, 10 s by default). */
const SETTLE_IN_MS = Number(process.env.BENCH_SETTLE_MS ?? 12_000);
const targetOf = (i: number): string => `bench.user.${i}@contoso.onmicrosoft.com`;
const LIMITS = {
  RATE_LIMIT_USER_COMMANDS_PER_MINUTE: '1000000',
  RATE_LIMIT_USER_REVOKES_PER_MINUTE: '1000000',
  RATE_LIMIT_TENANT_COMMANDS_PER_MINUTE: '1000000',
  RATE_LIMIT_TENANT_REVOKES_PER_MINUTE: '1000000',
};

interface Memory {
  readonly n: number;
  readonly rss: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(url: string): Promise<void> {
  for (let i = 0; i < 400; i += 1) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not come up`);
}

/** Asks the probe for the bot's memory after a full GC. */
async function memoryAfterGc(child: ChildProcess, file: string, n: number): Promise<Memory> {
  child.kill('SIGUSR2');
  for (let i = 0; i < 6000; i += 1) {
    if (existsSync(file)) {
      const seen = JSON.parse(readFileSync(file, 'utf8')) as Memory;
      if (seen.n === n) return seen;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the heap probe did not answer');
}

async function run(caFile: string, ca: PemPair): Promise<void> {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  if (spawnSync(process.execPath, [tsc, '-b', 'src'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) throw new Error('tsc -b src failed');
  const cloud = await EmulatedCloud.start({ ca });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'revoker-heap-'));
  let child: ChildProcess | undefined;
  try {
    const { teams, directory } = cloud;
    for (let i = 0; i < 4 * N + WARM_UP; i += 1)
      directory.addUser({ userPrincipalName: targetOf(i), displayName: `Bench User ${i}`, jobTitle: 'Tester', department: 'Bench' });
    const agents: DirectoryUser[] = AGENTS.map((name) => directory.user(name));
    const chatOf = (user: DirectoryUser) => teams.personalChat(user);
    const port = await freePort();
    const heapFile = path.join(dataDir, 'heap.json');
    child = spawn(process.execPath, ['--expose-gc', '--require', path.join(__dirname, 'heapProbe.cjs'), '.'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        ...cloud.botEnvironment({ DATA_DIR: path.join(dataDir, 'bot'), LOG_LEVEL: 'warn', ...LIMITS }),
        NODE_EXTRA_CA_CERTS: caFile,
        PORT: String(port),
        BENCH_HEAP_FILE: heapFile,
        ...(process.env.BENCH_HEAP_SNAPSHOTS ? { BENCH_HEAP_SNAPSHOTS: process.env.BENCH_HEAP_SNAPSHOTS } : {}),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitUntilUp(`http://127.0.0.1:${port}`);
    cloud.teams.botEndpoint = `http://127.0.0.1:${port}/api/messages`;

    let failures = 0;
    /** One lookup about target i and the click on its card. */
    const turnPair = async (i: number): Promise<void> => {
      const agent = agents[i % agents.length]!;
      const turn = await teams.send(agent, chatOf(agent), `revoke ${targetOf(i)}`);
      const card = turn.posted.find((m) => m.card && JSON.stringify(m.card).includes(targetOf(i)));
      if (!card || !JSON.stringify(card.card).includes('Revoke sessions')) {
        if (failures === 0) console.error(`lookup ${i} failed: ${turn.status} ${JSON.stringify(turn.posted).slice(0, 400)}`);
        failures += 1;
        return;
      }
      const click = await teams.click(agent, card, 'Revoke sessions');
      if (!JSON.stringify(click.card ?? {}).includes('Sessions revoked')) {
        if (failures === 0) console.error(`confirm ${i} failed: ${JSON.stringify(click).slice(0, 400)}`);
        failures += 1;
      }
    };
    const runTurns = async (from: number, to: number): Promise<void> => {
      let next = from;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let i = next++; i < to; i = next++) await turnPair(i);
        }),
      );
      // Let work after the answers (read-backs, audit writes) land, and every timer a turn armed
      // (the invoke budget, Graph's AbortSignal.timeout, GRAPH_TIMEOUT_SECONDS at most) run out:
      // what such a timer holds is bounded by time, not by turns.
      await new Promise((r) => setTimeout(r, SETTLE_IN_MS));
    };

    // Sign every agent in first (their first lookup answers with a sign-in card).
    for (const agent of agents) await teams.send(agent, chatOf(agent), `revoke ${targetOf(4 * N)}`);
    let samples = 0;
    const rows: [string, Memory][] = [];
    await runTurns(4 * N, 4 * N + WARM_UP);
    rows.push([`warm-up (${WARM_UP})`, await memoryAfterGc(child, heapFile, ++samples)]);
    for (const [label, from, to] of [
      ['N', 0, N],
      ['2N', N, 2 * N],
      ['4N', 2 * N, 4 * N],
    ] as const) {
      await runTurns(from, to);
      rows.push([`${label} = ${to} after warm-up`, await memoryAfterGc(child, heapFile, ++samples)]);
    }
    const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
    console.log(`\nHeap after full GC, N = ${N} lookup+confirm pairs, concurrency ${CONCURRENCY}, ${failures} failed`);
    console.log('step                         heapUsed MB  heapTotal MB  external MB  RSS MB');
    for (const [label, m] of rows)
      console.log(
        `${label.padEnd(28)} ${mb(m.heapUsed).padStart(11)}  ${mb(m.heapTotal).padStart(12)}  ${mb(m.external).padStart(11)}  ${mb(m.rss).padStart(6)}`,
      );
    // Linear retention shows as the same growth per pair in each step; headroom and V8's own
    // metadata (JIT code, feedback, hidden classes) as growth per pair that falls step by step.
    for (const [i, pairs] of [
      [2, N],
      [3, 2 * N],
    ] as const)
      console.log(
        `heapUsed growth ${rows[i - 1]![0]} -> ${rows[i]![0]}: ${((rows[i]![1].heapUsed - rows[i - 1]![1].heapUsed) / pairs / 1024).toFixed(2)} KB per pair`,
      );
    if (failures > 0) process.exitCode = 1;
  } finally {
    if (child?.exitCode === null) child.kill('SIGKILL');
    await cloud.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

startTrustingOwnCa(run);
