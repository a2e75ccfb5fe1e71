/**
 * `npm run bench`: the turn benchmark. The emulated Microsoft cloud runs in this process; the
 * bot runs as production runs it (`node .`, the compiled build: a child process, production
 * mode, JWT validation on) and, for the framework's floor, a bare botbuilder echo bot on the
 * same adapter set-up (bench/echoBot.ts, compiled too). Activities come from the emulated Teams
 * channel, signed as the Bot Connector signs them. Each process has bench/loopDelayProbe.ts
 * preloaded (compiled to plain JavaScript, so it loads into `node .`): the event loop's delay is
 * read per phase.
 *
 * Runs, one after the other in one run: the bot on SQLite with Graph answering at once; the echo
 * bot; the bot on SQLite with 50 ms of Graph latency (the emulator's latency fault on every
 * route); the bot on the Blob backend against Azurite. Prints the machine, then one table with
 * throughput, ratios to the echo bot, p50/p99, event-loop delay, Graph calls per turn (for a
 * confirm, also those answered before the click's answer: its critical path), token-endpoint
 * calls, peak RSS, and the issue's targets with ✓/✗.
 *
 * Options (environment): BENCH_TURNS (default 400 per phase), BENCH_CONCURRENCY (default 8),
 * BENCH_DATA_DIR (where the bots' SQLite files go; default the OS temp dir), BENCH_PROFILE (a
 * directory: the bots run with --cpu-prof and write their profiles there), BENCH_TSX=1 (also run
 * the bot and the echo bot from their TypeScript under tsx, for comparison), BENCH_APP_INSIGHTS=1
 * (the compiled bot runs once more with APPLICATIONINSIGHTS_CONNECTION_STRING set, exporting every
 * span and metric to an ingestion endpoint on loopback: what telemetry costs).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { EmulatedCloud } from '../emulator/cloud';
import type { DirectoryUser } from '../emulator/directory';
import { ENTRA_ROUTE } from '../emulator/entra';
import type { PostedMessage } from '../emulator/teams';
import { issueServerCertificate, type PemPair } from '../emulator/tls';
import { startIngestion } from '../test/helpers/appInsightsIngestion';
import { startAzurite, uniqueContainer, type Azurite } from '../test/helpers/azurite';
import { startTrustingOwnCa } from './trustingOwnCa';

const ROOT = path.join(__dirname, '..');
const TURNS = Number(process.env.BENCH_TURNS ?? 400);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const WITH_TSX = process.env.BENCH_TSX === '1';
const APP_INSIGHTS = process.env.BENCH_APP_INSIGHTS === '1';
const SLOW_GRAPH_IN_MS = 50;
const AGENTS = ['uma', 'helen', 'aaron', 'priya', 'grace'];
/** Each lookup names its own target (added to the directory), as real incidents do. */
const targetOf = (i: number): string => `bench.user.${i}@contoso.onmicrosoft.com`;
/** The compiled probe (bench/tsconfig.echoBot.json builds it with the echo bot). */
const PROBE = 'build/bench/bench/loopDelayProbe.js';

/** The event loop's delay during a phase, as bench/loopDelayProbe.ts reports it (ms). */
interface LoopDelay {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

interface Phase {
  readonly name: string;
  readonly turns: number;
  readonly seconds: number;
  readonly latenciesInMs: number[];
  readonly failures: number;
  readonly graphCalls: number;
  /** Per turn, the Graph calls about its target answered before its answer (confirm only). */
  readonly criticalCalls?: readonly number[];
  readonly tokenCalls: number;
  readonly loopDelay: LoopDelay;
  /** CPU time per turn (ms) of the bot's process, and of this one (the emulated cloud and the load generator). */
  readonly botCpuPerTurnInMs: number;
  readonly cloudCpuPerTurnInMs: number;
  /** Graph calls per route during the phase. */
  readonly routes: Readonly<Record<string, number>>;
}

function percentile(values: readonly number[], p: number): number {
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

/** The node arguments that start each bot in each runtime (from the repository root), after the probe. */
const COMMANDS: Readonly<Record<'bot' | 'echo', Readonly<Record<Runtime, readonly string[]>>>> = {
  bot: { compiled: ['.'], tsx: ['--import', 'tsx', 'src/main.ts'] },
  echo: { compiled: ['build/bench/bench/echoBot.js'], tsx: ['--import', 'tsx', 'bench/echoBot.ts'] },
};

/** Builds what the runs start: the bot (npm run build), and the echo bot with the probe (bench/tsconfig.echoBot.json). */
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
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  return spawn(process.execPath, [...profile, '--require', `./${PROBE}`, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
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

/** A bot process with the probe: each `sample()` returns the loop delay since the last one. */
class Probed {
  private signals = 0;
  constructor(
    readonly child: ChildProcess,
    private readonly file: string,
  ) {}

  /** The process's CPU time so far (user + system, ms), from /proc (all its threads). */
  cpuInMs(): number {
    const fields =
      readFileSync(`/proc/${String(this.child.pid)}/stat`, 'utf8')
        .split(') ')[1]
        ?.split(' ') ?? [];
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  }

  async sample(): Promise<LoopDelay> {
    this.signals += 1;
    this.child.kill('SIGUSR2');
    for (let i = 0; i < 200; i += 1) {
      if (existsSync(this.file)) {
        const seen = JSON.parse(readFileSync(this.file, 'utf8')) as LoopDelay & { n: number };
        if (seen.n === this.signals) return seen;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('the loop-delay probe did not answer');
  }
}

/**
 * Runs `count` turns, `CONCURRENCY` at a time; `turn(i)` resolves to true when the turn did what
 * it should. With `criticalOf`, each turn's Graph calls answered before its answer are counted
 * from the calls recorded while it ran (`criticalOf(i)` names what identifies its own calls).
 */
async function measure(
  cloud: EmulatedCloud,
  probe: Probed,
  name: string,
  count: number,
  turn: (i: number) => Promise<boolean>,
  criticalOf?: (i: number) => string,
): Promise<Phase> {
  const calls = cloud.graph.server.calls;
  const graphBefore = calls.length;
  const routes: Record<string, number> = {};
  const tokenBefore = cloud.entra.server.count(ENTRA_ROUTE.token);
  const latenciesInMs: number[] = [];
  const criticalCalls: number[] = [];
  let failures = 0;
  let next = 0;
  await probe.sample();
  const botCpuBefore = probe.cpuInMs();
  const cloudCpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < count; i = next++) {
        const at = performance.now();
        const from = calls.length;
        const ok = await turn(i).catch((error: unknown) => {
          if (failures === 0) console.error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
          return false;
        });
        latenciesInMs.push(performance.now() - at);
        if (criticalOf) {
          const mark = criticalOf(i);
          criticalCalls.push(calls.slice(from).filter((c) => c.path.includes(mark)).length);
        }
        if (!ok) failures += 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  // Work that follows the answers (a confirm's read-back) belongs to this phase: let it land.
  await settled(calls);
  const loopDelay = await probe.sample();
  const botCpuInMs = probe.cpuInMs() - botCpuBefore;
  const cloudCpu = process.cpuUsage(cloudCpuBefore);
  for (const call of calls.slice(graphBefore)) routes[call.route] = (routes[call.route] ?? 0) + 1;
  return {
    name,
    turns: count,
    seconds,
    latenciesInMs,
    failures,
    graphCalls: calls.length - graphBefore,
    ...(criticalOf ? { criticalCalls } : {}),
    tokenCalls: cloud.entra.server.count(ENTRA_ROUTE.token) - tokenBefore,
    loopDelay,
    botCpuPerTurnInMs: botCpuInMs / count,
    cloudCpuPerTurnInMs: (cloudCpu.user + cloudCpu.system) / 1000 / count,
    routes,
  };
}

/** Resolves once no Graph call has come in for 300 ms (at most 10 s). */
async function settled(calls: readonly unknown[]): Promise<void> {
  let seen = -1;
  for (let i = 0; i < 33 && calls.length !== seen; i += 1) {
    seen = calls.length;
    await new Promise((r) => setTimeout(r, 300));
  }
}

function isCard(m: PostedMessage | undefined, pattern: RegExp): m is PostedMessage {
  return m !== undefined && pattern.test(JSON.stringify(m.card ?? {}));
}

/** One bot process under load: what it ran, its phases, its resident set size after start-up and at its peak. */
interface Measured {
  readonly bot: 'Session Revoker' | 'echo bot';
  readonly runtime: Runtime;
  /** How this run differs from the plain one, e.g. "+ Application Insights". */
  readonly variant?: string;
  readonly storage: 'SQLite' | 'Blob (Azurite)' | '-';
  readonly graphLatencyInMs: number;
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

/** Starts a bot process with the probe, points the emulated Teams channel at it, runs `load`, and stops it. */
async function underLoad(
  cloud: EmulatedCloud,
  children: ChildProcess[],
  args: readonly string[],
  env: Record<string, string>,
  probeFile: string,
  load: (probe: Probed) => Promise<[Phase, Phase]>,
): Promise<Pick<Measured, 'phases' | 'rssAtStart' | 'rssPeak'>> {
  const port = await freePort();
  const child = spawnBot(args, { ...env, PORT: String(port), BENCH_LOOP_DELAY_FILE: probeFile });
  children.push(child);
  await waitUntilUp(`http://127.0.0.1:${port}`);
  const rssAtStart = rssInMb(child.pid, 'VmRSS');
  cloud.teams.botEndpoint = `http://127.0.0.1:${port}/api/messages`;
  const phases = await load(new Probed(child, probeFile));
  const rssPeak = rssInMb(child.pid);
  await stopChild(child);
  return { phases, rssAtStart, rssPeak };
}

async function run(caFile: string, ca: PemPair): Promise<void> {
  compile();
  const machine = describeMachine();
  const cloud = await EmulatedCloud.start({ ca });
  const dataDir = mkdtempSync(path.join(process.env.BENCH_DATA_DIR ?? os.tmpdir(), 'revoker-bench-'));
  const children: ChildProcess[] = [];
  let azurite: Azurite | undefined;
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
    const probeFile = (name: string): string => path.join(dataDir, `${name}.loop-delay.json`);

    const runBot = async (
      name: string,
      runtime: Runtime,
      storage: Measured['storage'],
      graphLatencyInMs: number,
      extraEnv: Record<string, string>,
      variant?: { readonly name: string; readonly preload: readonly string[] },
    ): Promise<Measured> => {
      const env = {
        ...cloud.botEnvironment({ DATA_DIR: path.join(dataDir, name), LOG_LEVEL: 'warn', ...LIMITS, ...extraEnv }),
        NODE_EXTRA_CA_CERTS: caFile,
      };
      if (graphLatencyInMs > 0) cloud.graph.injectFault({ route: '*', times: Infinity, latencyInMs: graphLatencyInMs });
      try {
        const args = [...(variant?.preload ?? []), ...COMMANDS.bot[runtime]];
        const measured = await underLoad(cloud, children, args, env, probeFile(name), async (probe) => {
          // Sign every agent in, then warm up (JIT, connections, caches).
          for (const agent of agents) await teams.send(agent, chatOf(agent), `revoke ${targetOf(TURNS)}`);
          for (let i = 0; i < 100; i += 1) await lookup(TURNS + 100 + (i % 100));
          const cards: { agent: DirectoryUser; card: PostedMessage; target: string }[] = [];
          const lookups = await measure(cloud, probe, 'lookup', TURNS, async (i) => {
            const card = await lookup(i);
            if (!isCard(card, /Revoke sessions/)) return false;
            cards.push({ agent: agents[i % agents.length]!, card, target: directory.user(targetOf(i)).id });
            return true;
          });
          const confirms = await measure(
            cloud,
            probe,
            'confirm',
            Math.min(TURNS, cards.length),
            async (i) => {
              const { agent, card } = cards[i]!;
              const click = await teams.click(agent, card, 'Revoke sessions');
              return JSON.stringify(click.card ?? {}).includes('Sessions revoked');
            },
            (i) => cards[i]!.target,
          );
          return [lookups, confirms];
        });
        return { bot: 'Session Revoker', runtime, variant: variant?.name, storage, graphLatencyInMs, ...measured };
      } finally {
        cloud.graph.clearFaults();
      }
    };

    const runEcho = async (runtime: Runtime): Promise<Measured> => {
      const env = { ...cloud.botEnvironment({}), NODE_EXTRA_CA_CERTS: caFile };
      const measured = await underLoad(cloud, children, COMMANDS.echo[runtime], env, probeFile(`echo-${runtime}`), async (probe) => {
        for (let i = 0; i < 100; i += 1) await lookup(i);
        const echoCards: { agent: DirectoryUser; card: PostedMessage }[] = [];
        const messages = await measure(cloud, probe, 'echo message', TURNS, async (i) => {
          const card = await lookup(i);
          if (!isCard(card, /Echo/)) return false;
          echoCards.push({ agent: agents[i % agents.length]!, card });
          return true;
        });
        const invokes = await measure(cloud, probe, 'echo invoke', Math.min(TURNS, echoCards.length), async (i) => {
          const { agent, card } = echoCards[i]!;
          const click = await teams.click(agent, card, 'Echo');
          return JSON.stringify(click.card ?? {}).includes('echoed');
        });
        return [messages, invokes];
      });
      return { bot: 'echo bot', runtime, storage: '-', graphLatencyInMs: 0, ...measured };
    };

    const all: Measured[] = [];
    all.push(await runBot('sqlite', 'compiled', 'SQLite', 0, {}));
    all.push(await runEcho('compiled'));
    all.push(await runBot('sqlite-slow-graph', 'compiled', 'SQLite', SLOW_GRAPH_IN_MS, {}));
    azurite = await startAzurite();
    all.push(
      await runBot('blob', 'compiled', 'Blob (Azurite)', 0, {
        STORAGE: 'blob',
        AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
        AZURE_STORAGE_CONTAINER: uniqueContainer('bench'),
      }),
    );
    if (APP_INSIGHTS) {
      const ingestion = await startIngestion(await issueServerCertificate(ca));
      try {
        all.push(
          await runBot(
            'sqlite-telemetry',
            'compiled',
            'SQLite',
            0,
            // The SDK's own usage statistics would go to Microsoft: off (its own switch).
            { APPLICATIONINSIGHTS_CONNECTION_STRING: ingestion.connectionString, APPLICATION_INSIGHTS_NO_STATSBEAT: 'true' },
            { name: '+ Application Insights', preload: ['--require', path.join(__dirname, 'noInstanceMetadata.cjs')] },
          ),
        );
        console.log(`Application Insights run: ${ingestion.envelopes().length} telemetry items received on loopback`);
      } finally {
        await ingestion.stop();
      }
    }
    if (WITH_TSX) {
      all.push(await runBot('sqlite-tsx', 'tsx', 'SQLite', 0, {}));
      all.push(await runEcho('tsx'));
    }

    report(machine, all, { agents: agents.length });
    const failed = all.flatMap((m) => m.phases).reduce((n, p) => n + p.failures, 0);
    if (failed > 0) process.exitCode = 1;
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await azurite?.stop();
    await cloud.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The machine, as lscpu and the OS name it, and how loaded it was when the run began. */
function describeMachine(): string {
  const lscpu = spawnSync('lscpu', [], { encoding: 'utf8' });
  const model = /^Model name:\s*(.+)$/m.exec(lscpu.stdout)?.[1]?.trim() ?? os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return `${model}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB RAM, Node ${process.version}; load average at start ${load}`;
}

function report(machine: string, all: readonly Measured[], extra: { agents: number }): void {
  const find = (bot: Measured['bot'], storage: Measured['storage'], latency: number): Measured | undefined =>
    all.find((m) => m.bot === bot && m.runtime === 'compiled' && !m.variant && m.storage === storage && m.graphLatencyInMs === latency);
  const bot = find('Session Revoker', 'SQLite', 0)!;
  const echo = find('echo bot', '-', 0)!;
  const [lookups, confirms] = bot.phases;
  const [echoMessages, echoInvokes] = echo.phases;
  const rate = (p: Phase): number => p.turns / p.seconds;
  const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const echoFor = (p: Phase): Phase | undefined => (p.name === 'lookup' ? echoMessages : p.name === 'confirm' ? echoInvokes : undefined);

  console.log(`\nTurn benchmark — ${machine}`);
  console.log(
    `${TURNS} turns per phase, concurrency ${CONCURRENCY}, ${extra.agents} warm agents; channel JWTs validated; every process compiled JavaScript${WITH_TSX ? ' (tsx rows: TypeScript compiled at load)' : ''}\n`,
  );
  const rows = all.flatMap((m) =>
    m.phases.map((p) => {
      const floor = echoFor(p);
      return [
        `${p.name}${m.runtime === 'tsx' ? ' (tsx)' : ''}${m.variant ? ` ${m.variant}` : ''}`,
        m.storage,
        m.bot === 'echo bot' ? '-' : String(m.graphLatencyInMs),
        rate(p).toFixed(0),
        floor && m.bot !== 'echo bot' ? (rate(p) / rate(floor)).toFixed(2) : '-',
        percentile(p.latenciesInMs, 50).toFixed(1),
        percentile(p.latenciesInMs, 99).toFixed(1),
        p.loopDelay.p99.toFixed(1),
        p.loopDelay.max.toFixed(1),
        p.botCpuPerTurnInMs.toFixed(1),
        p.cloudCpuPerTurnInMs.toFixed(1),
        (p.graphCalls / p.turns).toFixed(2),
        p.criticalCalls ? mean(p.criticalCalls).toFixed(2) : '-',
        String(p.tokenCalls),
        m.rssPeak.toFixed(0),
        String(p.failures),
      ];
    }),
  );
  table(
    [
      'turn',
      'storage',
      'Graph ms',
      'turns/s',
      '× echo',
      'p50 ms',
      'p99 ms',
      'loop p99 ms',
      'loop max ms',
      'bot CPU ms',
      'cloud CPU ms',
      'Graph/turn',
      'before answer',
      'token calls',
      'peak RSS MB',
      'failed',
    ],
    rows,
    2,
  );
  console.log(
    "(× echo: throughput against the echo bot's message (lookup) or invoke (confirm) turns, same run; loop: the event loop's delay in that process during the phase; CPU: per turn, the bot's process and the benchmark's own (emulated cloud and load generator); before answer: Graph calls about the target answered before the click's answer)",
  );
  for (const m of all.filter((x) => x.bot === 'Session Revoker'))
    for (const p of m.phases)
      console.log(
        `Graph calls in ${p.name} (${m.storage}, ${m.graphLatencyInMs} ms${m.runtime === 'tsx' ? ', tsx' : ''}${m.variant ? `, ${m.variant}` : ''}): ${Object.entries(
          p.routes,
        )
          .map(([route, n]) => `${route} ${(n / p.turns).toFixed(2)}/turn`)
          .join(', ')}`,
      );
  console.log(
    `RSS after start-up (MB): ${all.map((m) => `${m.bot} ${m.storage} ${m.graphLatencyInMs} ms${m.runtime === 'tsx' ? ' tsx' : ''}${m.variant ? ` ${m.variant}` : ''} ${m.rssAtStart.toFixed(0)}`).join('; ')}`,
  );

  const botRuns = all.filter((m) => m.bot === 'Session Revoker' && m.runtime === 'compiled' && !m.variant);
  const botPhases = botRuns.flatMap((m) => m.phases);
  const tokenCalls = botPhases.reduce((n, p) => n + p.tokenCalls, 0);
  const maxCritical = Math.max(...botPhases.flatMap((p) => p.criticalCalls ?? []));
  const checks: [string, boolean][] = [
    [`lookup ≥ 0.6 × echo message (${(rate(lookups) / rate(echoMessages)).toFixed(2)})`, rate(lookups) >= 0.6 * rate(echoMessages)],
    [`confirm ≥ 0.5 × echo invoke (${(rate(confirms) / rate(echoInvokes)).toFixed(2)})`, rate(confirms) >= 0.5 * rate(echoInvokes)],
    [
      `p99 < 50 ms, lookup and confirm, concurrency ${CONCURRENCY}, 0 ms Graph (${percentile(lookups.latenciesInMs, 99).toFixed(0)}, ${percentile(confirms.latenciesInMs, 99).toFixed(0)})`,
      percentile(lookups.latenciesInMs, 99) < 50 && percentile(confirms.latenciesInMs, 99) < 50,
    ],
    [
      `event-loop delay p99 < 10 ms (${lookups.loopDelay.p99.toFixed(1)}, ${confirms.loopDelay.p99.toFixed(1)})`,
      lookups.loopDelay.p99 < 10 && confirms.loopDelay.p99 < 10,
    ],
    [`peak RSS < 150 MB compiled (${bot.rssPeak.toFixed(0)})`, bot.rssPeak < 150],
    [
      `≤ 2 Graph calls per lookup (${(lookups.graphCalls / lookups.turns).toFixed(2)})`,
      botRuns.every((m) => m.phases[0].graphCalls / m.phases[0].turns <= 2),
    ],
    [`≤ 1 Graph call on the click's critical path (most: ${maxCritical})`, maxCritical <= 1],
    [`0 token-endpoint calls for a warm person (${tokenCalls})`, tokenCalls === 0],
  ];
  console.log('\ntargets (Session Revoker, SQLite, 0 ms Graph, unless named):');
  for (const [what, ok] of checks) console.log(`  ${ok ? '✓' : '✗'} ${what}`);
}

/** Prints rows under a header, the first `left` columns aligned left, the rest right. */
function table(header: readonly string[], rows: readonly (readonly string[])[], left: number): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows])
    console.log(row.map((c, i) => (i < left ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
}

startTrustingOwnCa(run);
