/**
 * `npm run bench`: the turn benchmark. The emulated Microsoft cloud runs in this process; the
 * bot runs as production runs it (`node .`, the compiled build: a child process, production
 * mode, JWT validation on) and, for the framework's floor, a bare botbuilder echo bot on the
 * same adapter set-up (bench/echoBot.ts, compiled too). For comparison each also runs from its
 * TypeScript under tsx, one after the other in the same run. Activities come from the emulated
 * Teams channel, signed as the Bot Connector signs them; Graph answers with no injected latency.
 * Prints throughput at a fixed concurrency, p50/p99 latency, Graph and token-endpoint calls,
 * each process's RSS after start-up and at its peak under load, and ratios.
 *
 * Options (environment): BENCH_TURNS (default 400), BENCH_CONCURRENCY (default 8), BENCH_DATA_DIR
 * (where the bot's SQLite file goes; default the OS temp dir), BENCH_PROFILE (a directory:
 * the bots run with --cpu-prof and write their profiles there), BENCH_APP_INSIGHTS=1 (the compiled
 * bot runs once more with APPLICATIONINSIGHTS_CONNECTION_STRING set, exporting every span and
 * metric to an ingestion endpoint on loopback: what telemetry costs).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { EmulatedCloud } from '../emulator/cloud';
import type { DirectoryUser } from '../emulator/directory';
import { ENTRA_ROUTE } from '../emulator/entra';
import { GRAPH_ROUTES } from '../emulator/graph';
import type { PostedMessage } from '../emulator/teams';
import { rerunTrustingNewCa, trustedOwnCa } from '../emulator/selfTrust';
import { issueServerCertificate, type PemPair } from '../emulator/tls';
import { startIngestion } from '../test/helpers/appInsightsIngestion';

const ROOT = path.join(__dirname, '..');
const TURNS = Number(process.env.BENCH_TURNS ?? 400);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const APP_INSIGHTS = process.env.BENCH_APP_INSIGHTS === '1';
const AGENTS = ['uma', 'helen', 'aaron', 'priya', 'grace'];
/** Each lookup names its own target (added to the directory), as real incidents do; a target is revoked once. */
const targetOf = (i: number): string => `bench.user.${i}@contoso.onmicrosoft.com`;

interface Phase {
  readonly name: string;
  readonly turns: number;
  readonly seconds: number;
  readonly latenciesInMs: number[];
  readonly failures: number;
  readonly graphCalls: number;
  readonly revokeCalls: number;
  readonly tokenCalls: number;
  /** Graph calls per route during the phase. */
  readonly routes: Readonly<Record<string, number>>;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
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

/** How a bot process runs: its compiled JavaScript (as production runs), or its TypeScript under tsx. */
type Runtime = 'compiled' | 'tsx';
const RUNTIMES: readonly Runtime[] = ['compiled', 'tsx'];

/** The node arguments that start each bot in each runtime (from the repository root). */
const COMMANDS: Readonly<Record<'bot' | 'echo', Readonly<Record<Runtime, readonly string[]>>>> = {
  bot: { compiled: ['.'], tsx: ['--import', 'tsx', 'src/main.ts'] },
  echo: { compiled: ['build/bench/bench/echoBot.js'], tsx: ['--import', 'tsx', 'bench/echoBot.ts'] },
};

/** Builds what the compiled runs start: the bot (npm run build) and the echo bot (bench/tsconfig.echoBot.json). */
function compile(): void {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const args of [
    ['-b', 'src'],
    ['-p', 'bench/tsconfig.echoBot.json'],
  ]) {
    if (spawnSync(process.execPath, [tsc, ...args], { cwd: ROOT, stdio: 'inherit' }).status !== 0)
      throw new Error(`tsc ${args.join(' ')} failed`);
  }
}

function spawnBot(args: readonly string[], env: Record<string, string>): ChildProcess {
  const child = spawn(
    process.execPath,
    [...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []), ...args],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return child;
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

/** Peak (VmHWM) or current (VmRSS) resident set size of a process, in MB. */
function rssInMb(pid: number | undefined, which: 'VmHWM' | 'VmRSS' = 'VmHWM'): number {
  if (pid === undefined) return Number.NaN;
  const match = new RegExp(`${which}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Runs `count` turns, `CONCURRENCY` at a time; `turn(i)` resolves to true when the turn did what it should. */
async function measure(cloud: EmulatedCloud, name: string, count: number, turn: (i: number) => Promise<boolean>): Promise<Phase> {
  const graphBefore = cloud.graph.server.calls.length;
  const routes: Record<string, number> = {};
  const revokeBefore = cloud.graph.count(GRAPH_ROUTES.revoke);
  const tokenBefore = cloud.entra.server.count(ENTRA_ROUTE.token);
  const latenciesInMs: number[] = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < count; i = next++) {
        const at = performance.now();
        const ok = await turn(i).catch((error: unknown) => {
          if (failures === 0) console.error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
          return false;
        });
        latenciesInMs.push(performance.now() - at);
        if (!ok) failures += 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const call of cloud.graph.server.calls.slice(graphBefore)) routes[call.route] = (routes[call.route] ?? 0) + 1;
  return {
    name,
    turns: count,
    seconds,
    latenciesInMs,
    failures,
    graphCalls: cloud.graph.server.calls.length - graphBefore,
    revokeCalls: cloud.graph.count(GRAPH_ROUTES.revoke) - revokeBefore,
    tokenCalls: cloud.entra.server.count(ENTRA_ROUTE.token) - tokenBefore,
    routes,
  };
}

function isCard(m: PostedMessage | undefined, pattern: RegExp): m is PostedMessage {
  return m !== undefined && pattern.test(JSON.stringify(m.card ?? {}));
}

/** One bot process under load: its phases, and its resident set size after start-up and at its peak. */
interface Measured {
  readonly runtime: Runtime;
  /** How this run differs from the plain one, e.g. "+ Application Insights". */
  readonly variant?: string;
  readonly phases: readonly [Phase, Phase];
  readonly rssAtStart: number;
  readonly rssPeak: number;
}

/** Generous limits: one benchmark agent sends far more than a person would. */
const LIMITS = {
  RATE_LIMIT_USER_COMMANDS_PER_MINUTE: '1000000',
  RATE_LIMIT_USER_REVOKES_PER_MINUTE: '1000000',
  RATE_LIMIT_TENANT_COMMANDS_PER_MINUTE: '1000000',
  RATE_LIMIT_TENANT_REVOKES_PER_MINUTE: '1000000',
};

/** Starts a bot process, points the emulated Teams channel at it, runs `load`, and stops it. */
async function underLoad(
  cloud: EmulatedCloud,
  children: ChildProcess[],
  args: readonly string[],
  env: Record<string, string>,
  load: () => Promise<[Phase, Phase]>,
): Promise<Omit<Measured, 'runtime'>> {
  const port = await freePort();
  const child = spawnBot(args, { ...env, PORT: String(port) });
  children.push(child);
  await waitUntilUp(`http://127.0.0.1:${port}`);
  const rssAtStart = rssInMb(child.pid, 'VmRSS');
  cloud.teams.botEndpoint = `http://127.0.0.1:${port}/api/messages`;
  const phases = await load();
  const rssPeak = rssInMb(child.pid);
  await stopChild(child);
  return { phases, rssAtStart, rssPeak };
}

async function run(caFile: string, ca: PemPair): Promise<void> {
  compile();
  const cloud = await EmulatedCloud.start({ ca });
  const dataDir = mkdtempSync(path.join(process.env.BENCH_DATA_DIR ?? os.tmpdir(), 'revoker-bench-'));
  const children: ChildProcess[] = [];
  try {
    const { teams, directory } = cloud;
    for (let i = 0; i < TURNS + 200; i += 1)
      directory.addUser({ userPrincipalName: targetOf(i), displayName: `Bench User ${i}`, jobTitle: 'Tester', department: 'Bench' });
    const agents: DirectoryUser[] = AGENTS.map((name) => directory.user(name));
    const chatOf = (user: DirectoryUser) => teams.personalChat(user);
    const lookup = async (i: number): Promise<PostedMessage | undefined> => {
      const agent = agents[i % agents.length]!;
      const turn = await teams.send(agent, chatOf(agent), `revoke ${targetOf(i)}`);
      // Other turns run at the same time: take the card about this turn's target.
      return turn.status === 200 ? turn.posted.find((m) => m.card && JSON.stringify(m.card).includes(targetOf(i))) : undefined;
    };

    // ---- Session Revoker: compiled, then under tsx; each on its own SQLite file ----
    // With BENCH_APP_INSIGHTS=1, the compiled bot once more, exporting to an ingestion endpoint on loopback.
    const ingestion = APP_INSIGHTS ? await startIngestion(await issueServerCertificate(ca)) : undefined;
    const variants: { runtime: Runtime; variant?: string; args: readonly string[]; env: Record<string, string> }[] = RUNTIMES.map(
      (runtime) => ({ runtime, args: COMMANDS.bot[runtime], env: {} }),
    );
    if (ingestion)
      variants.push({
        runtime: 'compiled',
        variant: '+ Application Insights',
        args: ['--require', path.join(__dirname, 'noInstanceMetadata.cjs'), ...COMMANDS.bot.compiled],
        // The SDK's own usage statistics would go to Microsoft: off (its own switch).
        env: { APPLICATIONINSIGHTS_CONNECTION_STRING: ingestion.connectionString, APPLICATION_INSIGHTS_NO_STATSBEAT: 'true' },
      });
    const bots: Measured[] = [];
    for (const { runtime, variant, args, env: extra } of variants) {
      const env = {
        ...cloud.botEnvironment({ DATA_DIR: path.join(dataDir, `${runtime}${variant ? '-telemetry' : ''}`), LOG_LEVEL: 'warn', ...LIMITS }),
        NODE_EXTRA_CA_CERTS: caFile,
        ...extra,
      };
      const measured = await underLoad(cloud, children, args, env, async () => {
        // Sign every agent in, then warm up (JIT, connections, caches).
        for (const agent of agents) await teams.send(agent, chatOf(agent), `revoke ${targetOf(TURNS)}`);
        for (let i = 0; i < 100; i += 1) await lookup(TURNS + 100 + (i % 100));
        const cards: { agent: DirectoryUser; card: PostedMessage }[] = [];
        const lookups = await measure(cloud, 'lookup (message → card)', TURNS, async (i) => {
          const card = await lookup(i);
          if (!isCard(card, /Revoke sessions/)) return false;
          cards.push({ agent: agents[i % agents.length]!, card });
          return true;
        });
        const confirms = await measure(cloud, 'confirm (invoke → revoke → card)', Math.min(TURNS, cards.length), async (i) => {
          const { agent, card } = cards[i]!;
          const click = await teams.click(agent, card, 'Revoke sessions');
          return JSON.stringify(click.card ?? {}).includes('Sessions revoked');
        });
        return [lookups, confirms];
      });
      bots.push({ runtime, variant, ...measured });
    }
    if (ingestion) {
      console.log(`Application Insights run: ${ingestion.envelopes().length} telemetry items received on loopback`);
      await ingestion.stop();
    }

    // ---- the echo bot, same adapter set-up: compiled, then under tsx ----
    const echoes: Measured[] = [];
    for (const runtime of RUNTIMES) {
      const env = { ...cloud.botEnvironment({}), NODE_EXTRA_CA_CERTS: caFile };
      const measured = await underLoad(cloud, children, COMMANDS.echo[runtime], env, async () => {
        for (let i = 0; i < 100; i += 1) await lookup(i);
        const echoCards: { agent: DirectoryUser; card: PostedMessage }[] = [];
        const messages = await measure(cloud, 'echo message (message → card)', TURNS, async (i) => {
          const card = await lookup(i);
          if (!isCard(card, /Echo/)) return false;
          echoCards.push({ agent: agents[i % agents.length]!, card });
          return true;
        });
        const invokes = await measure(cloud, 'echo invoke (invoke → card)', Math.min(TURNS, echoCards.length), async (i) => {
          const { agent, card } = echoCards[i]!;
          const click = await teams.click(agent, card, 'Echo');
          return JSON.stringify(click.card ?? {}).includes('echoed');
        });
        return [messages, invokes];
      });
      echoes.push({ runtime, ...measured });
    }

    report(bots, echoes, { agents: agents.length, dataDir });
    const failed = [...bots, ...echoes].flatMap((m) => m.phases).reduce((n, p) => n + p.failures, 0);
    if (failed > 0) process.exitCode = 1;
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await cloud.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function report(bots: readonly Measured[], echoes: readonly Measured[], extra: { agents: number; dataDir: string }): void {
  const byRuntime = (all: readonly Measured[], runtime: Runtime): Measured => all.find((m) => m.runtime === runtime)!;
  const bot = byRuntime(bots, 'compiled');
  const echo = byRuntime(echoes, 'compiled');
  const [lookups, confirms] = bot.phases;
  const [echoMessages, echoInvokes] = echo.phases;
  const rate = (p: Phase): number => p.turns / p.seconds;
  const cpu = os.cpus();
  console.log(
    `\nTurn benchmark — ${os.cpus().length} × ${cpu[0]?.model.trim() ?? 'CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}`,
  );
  console.log(
    `${TURNS} turns per phase, concurrency ${CONCURRENCY}, ${extra.agents} warm agents; Graph latency 0; channel JWTs validated\n`,
  );
  const rows = [...bots, ...echoes].flatMap((m) =>
    m.phases.map((p) => [
      p.name,
      label(m),
      rate(p).toFixed(0),
      percentile(p.latenciesInMs, 50).toFixed(1),
      percentile(p.latenciesInMs, 99).toFixed(1),
      (p.graphCalls / p.turns).toFixed(2),
      (p.revokeCalls / p.turns).toFixed(2),
      String(p.tokenCalls),
      String(p.failures),
    ]),
  );
  table(['turn', 'runs', 'turns/s', 'p50 ms', 'p99 ms', 'Graph calls/turn', 'revokes/turn', 'token calls', 'failed'], rows, 2);
  for (const p of [lookups, confirms])
    console.log(
      `Graph calls in ${p.name}: ${Object.entries(p.routes)
        .map(([route, n]) => `${route} ${(n / p.turns).toFixed(2)}/turn`)
        .join(', ')}`,
    );
  console.log('');
  const rss = [...bots.map((m) => ['Session Revoker', m] as const), ...echoes.map((m) => ['echo bot', m] as const)].map(([name, m]) => [
    name,
    label(m),
    m.rssAtStart.toFixed(0),
    m.rssPeak.toFixed(0),
  ]);
  table(['RSS (MB)', 'runs', 'after start-up', 'peak under load'], rss, 2);
  console.log(
    '(compiled: node on the tsc build, as node . runs in production; tsx: the TypeScript compiled at load, as npm start ran the bot before)',
  );
  console.log(`the bots' SQLite files: under ${path.dirname(extra.dataDir)}`);
  console.log(
    `token-endpoint calls per warm agent during the measured phases: ${((lookups.tokenCalls + confirms.tokenCalls) / extra.agents).toFixed(2)}`,
  );
  console.log(
    `ratios (compiled): lookup/echo message throughput ${(rate(lookups) / rate(echoMessages)).toFixed(2)}, confirm/echo invoke throughput ${(rate(confirms) / rate(echoInvokes)).toFixed(2)}`,
  );
  const checks: [string, boolean][] = [
    ['lookup throughput ≥ ½ echo', rate(lookups) >= rate(echoMessages) / 2],
    ['≤ 2 Graph calls per lookup', lookups.graphCalls / lookups.turns <= 2],
    ['≤ 1 Graph call per revoke', confirms.graphCalls / confirms.turns <= 1],
    ['no token-endpoint call for a warm user', lookups.tokenCalls + confirms.tokenCalls === 0],
    ['p99 < 50 ms (lookup and confirm)', percentile(lookups.latenciesInMs, 99) < 50 && percentile(confirms.latenciesInMs, 99) < 50],
    ['peak RSS < 200 MB', bot.rssPeak < 200],
  ];
  console.log(`\ntargets (compiled): ${checks.map(([what, ok]) => `${ok ? '✓' : '✗'} ${what}`).join('; ')}`);
}

/** How a run is named in the tables: its runtime, and its variant if any. */
function label(m: Measured): string {
  return m.variant ? `${m.runtime} ${m.variant}` : m.runtime;
}

/** Prints rows under a header, the first `left` columns aligned left, the rest right. */
function table(header: readonly string[], rows: readonly (readonly string[])[], left: number): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows])
    console.log(row.map((c, i) => (i < left ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
}

/** Like scripts/test.ts: Node reads NODE_EXTRA_CA_CERTS only at start-up, so make the CA first and re-run with it. */
async function main(): Promise<void> {
  const trusted = trustedOwnCa();
  if (trusted) return run(trusted.certFile, trusted.ca);
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
