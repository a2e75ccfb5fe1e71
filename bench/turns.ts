/**
 * `npm run bench`: the turn benchmark. The emulated Microsoft cloud runs in this process; the
 * bot runs as `npm start` runs it (a child process, production mode, JWT validation on) and,
 * for the framework's floor, a bare botbuilder echo bot on the same adapter set-up
 * (bench/echoBot.ts). Activities come from the emulated Teams channel, signed as the Bot
 * Connector signs them; Graph answers with no injected latency. Prints throughput at a fixed
 * concurrency, p50/p99 latency, each bot's event-loop delay during each phase
 * (bench/loopDelayProbe.ts), Graph and token-endpoint calls, the bot's peak RSS, and ratios.
 *
 * Options (environment): BENCH_TURNS (default 400), BENCH_CONCURRENCY (default 8), BENCH_DATA_DIR
 * (where the bot's SQLite file goes; default the OS temp dir), BENCH_PROFILE (a directory:
 * the bots run with --cpu-prof and write their profiles there).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { EmulatedCloud } from '../src/emulator/cloud';
import type { DirectoryUser } from '../src/emulator/directory';
import { ENTRA_ROUTE } from '../src/emulator/entra';
import { GRAPH_ROUTES } from '../src/emulator/graph';
import type { PostedMessage } from '../src/emulator/teams';
import { rerunTrustingNewCa, trustedOwnCa } from '../src/emulator/selfTrust';
import type { PemPair } from '../src/emulator/tls';

const ROOT = path.join(__dirname, '..');
const TURNS = Number(process.env.BENCH_TURNS ?? 400);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
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
  /** The bot's event-loop delay during the phase (ms). */
  loopDelay?: LoopDelay;
}

interface LoopDelay {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
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

const PROBE = path.join(__dirname, 'loopDelayProbe.ts');

function spawnBot(script: string, env: Record<string, string>, loopDelayFile: string): ChildProcess {
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', '--import', PROBE, path.join(ROOT, script)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env, BENCH_LOOP_DELAY_FILE: loopDelayFile },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

/** Asks the bot's probe for its event-loop delay since the last ask (and to start afresh); waits for the answer. */
async function loopDelayOf(child: ChildProcess, file: string): Promise<LoopDelay> {
  const read = (): LoopDelay | undefined => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as LoopDelay;
    } catch {
      return undefined;
    }
  };
  const before = read()?.n ?? 0;
  child.kill('SIGUSR2');
  for (let i = 0; i < 200; i += 1) {
    const now = read();
    if (now && now.n > before) return now;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the bot did not report its event-loop delay');
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

async function run(caFile: string, ca: PemPair): Promise<void> {
  const cloud = await EmulatedCloud.start({ ca });
  const dataDir = mkdtempSync(path.join(process.env.BENCH_DATA_DIR ?? os.tmpdir(), 'revoker-bench-'));
  const children: ChildProcess[] = [];
  try {
    const { teams, directory } = cloud;
    for (let i = 0; i < TURNS + 200; i += 1) directory.addUser({ userPrincipalName: targetOf(i), displayName: `Bench User ${i}`, jobTitle: 'Tester', department: 'Bench' });
    const agents: DirectoryUser[] = AGENTS.map((name) => directory.user(name));
    const chatOf = (user: DirectoryUser) => teams.personalChat(user);
    // Generous limits: one benchmark agent sends far more than a person would.
    const limits = { RATE_LIMIT_USER_COMMANDS_PER_MINUTE: '1000000', RATE_LIMIT_USER_REVOKES_PER_MINUTE: '1000000', RATE_LIMIT_TENANT_COMMANDS_PER_MINUTE: '1000000', RATE_LIMIT_TENANT_REVOKES_PER_MINUTE: '1000000' };

    // ---- Session Revoker ----
    const botPort = await freePort();
    const botDelayFile = path.join(dataDir, 'bot-loop-delay.json');
    const bot = spawnBot('src/main.ts', { ...cloud.botEnvironment({ PORT: String(botPort), DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...limits }), NODE_EXTRA_CA_CERTS: caFile }, botDelayFile);
    children.push(bot);
    await waitUntilUp(`http://127.0.0.1:${botPort}`);
    const botRssAtStart = rssInMb(bot.pid, 'VmRSS');
    teams.botEndpoint = `http://127.0.0.1:${botPort}/api/messages`;

    const lookup = async (i: number): Promise<PostedMessage | undefined> => {
      const agent = agents[i % agents.length]!;
      const turn = await teams.send(agent, chatOf(agent), `revoke ${targetOf(i)}`);
      // Other turns run at the same time: take the card about this turn's target.
      return turn.status === 200 ? turn.posted.find((m) => m.card && JSON.stringify(m.card).includes(targetOf(i))) : undefined;
    };
    // Sign every agent in, then warm up (JIT, connections, caches).
    for (const agent of agents) await teams.send(agent, chatOf(agent), `revoke ${targetOf(TURNS)}`);
    for (let i = 0; i < 100; i += 1) await lookup(TURNS + 100 + (i % 100));

    const cards: { agent: DirectoryUser; card: PostedMessage }[] = [];
    await loopDelayOf(bot, botDelayFile);
    const lookups = await measure(cloud, 'lookup (message → card)', TURNS, async (i) => {
      const card = await lookup(i);
      if (!isCard(card, /Revoke sessions/)) return false;
      cards.push({ agent: agents[i % agents.length]!, card });
      return true;
    });
    lookups.loopDelay = await loopDelayOf(bot, botDelayFile);
    const confirms = await measure(cloud, 'confirm (invoke → revoke → card)', Math.min(TURNS, cards.length), async (i) => {
      const { agent, card } = cards[i]!;
      const click = await teams.click(agent, card, 'Revoke sessions');
      return /Sessions revoked/.test(JSON.stringify(click.card ?? {}));
    });
    confirms.loopDelay = await loopDelayOf(bot, botDelayFile);
    const botRss = rssInMb(bot.pid);
    await stopChild(bot);

    // ---- the echo bot, same adapter set-up ----
    const echoPort = await freePort();
    const echoDelayFile = path.join(dataDir, 'echo-loop-delay.json');
    const echo = spawnBot('bench/echoBot.ts', { ...cloud.botEnvironment({ PORT: String(echoPort) }), NODE_EXTRA_CA_CERTS: caFile }, echoDelayFile);
    children.push(echo);
    await waitUntilUp(`http://127.0.0.1:${echoPort}`);
    const echoRssAtStart = rssInMb(echo.pid, 'VmRSS');
    teams.botEndpoint = `http://127.0.0.1:${echoPort}/api/messages`;
    const echoMessage = async (i: number): Promise<PostedMessage | undefined> => {
      const agent = agents[i % agents.length]!;
      const turn = await teams.send(agent, chatOf(agent), `revoke ${targetOf(i)}`);
      // Other turns run at the same time: take the card about this turn's target.
      return turn.status === 200 ? turn.posted.find((m) => m.card && JSON.stringify(m.card).includes(targetOf(i))) : undefined;
    };
    for (let i = 0; i < 100; i += 1) await echoMessage(i);
    const echoCards: { agent: DirectoryUser; card: PostedMessage }[] = [];
    await loopDelayOf(echo, echoDelayFile);
    const echoes = await measure(cloud, 'echo message (message → card)', TURNS, async (i) => {
      const card = await echoMessage(i);
      if (!isCard(card, /Echo/)) return false;
      echoCards.push({ agent: agents[i % agents.length]!, card });
      return true;
    });
    echoes.loopDelay = await loopDelayOf(echo, echoDelayFile);
    const echoInvokes = await measure(cloud, 'echo invoke (invoke → card)', Math.min(TURNS, echoCards.length), async (i) => {
      const { agent, card } = echoCards[i]!;
      const click = await teams.click(agent, card, 'Echo');
      return /echoed/.test(JSON.stringify(click.card ?? {}));
    });
    echoInvokes.loopDelay = await loopDelayOf(echo, echoDelayFile);
    const echoRss = rssInMb(echo.pid);
    await stopChild(echo);

    report([lookups, confirms, echoes, echoInvokes], { botRss, echoRss, botRssAtStart, echoRssAtStart, agents: agents.length, dataDir });
    const failed = [lookups, confirms, echoes, echoInvokes].reduce((n, p) => n + p.failures, 0);
    if (failed > 0) process.exitCode = 1;
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await cloud.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function report(phases: Phase[], extra: { botRss: number; echoRss: number; botRssAtStart: number; echoRssAtStart: number; agents: number; dataDir: string }): void {
  const [lookups, confirms, echoes, echoInvokes] = phases as [Phase, Phase, Phase, Phase];
  const rate = (p: Phase): number => p.turns / p.seconds;
  const cpu = os.cpus();
  console.log(`\nTurn benchmark — ${os.cpus().length} × ${cpu[0]?.model.trim() ?? 'CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}`);
  console.log(`${TURNS} turns per phase, concurrency ${CONCURRENCY}, ${extra.agents} warm agents; Graph latency 0; channel JWTs validated\n`);
  const rows = phases.map((p) => [
    p.name,
    rate(p).toFixed(0),
    percentile(p.latenciesInMs, 50).toFixed(1),
    percentile(p.latenciesInMs, 99).toFixed(1),
    p.loopDelay ? p.loopDelay.p99.toFixed(1) : '-',
    p.loopDelay ? p.loopDelay.max.toFixed(1) : '-',
    (p.graphCalls / p.turns).toFixed(2),
    (p.revokeCalls / p.turns).toFixed(2),
    String(p.tokenCalls),
    String(p.failures),
  ]);
  const header = ['turn', 'turns/s', 'p50 ms', 'p99 ms', 'loop delay p99 ms', 'max ms', 'Graph calls/turn', 'revokes/turn', 'token calls', 'failed'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) console.log(row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
  for (const p of [lookups, confirms]) console.log(`Graph calls in ${p.name}: ${Object.entries(p.routes).map(([route, n]) => `${route} ${(n / p.turns).toFixed(2)}/turn`).join(', ')}`);
  console.log(`\npeak RSS: Session Revoker ${extra.botRss.toFixed(0)} MB (${extra.botRssAtStart.toFixed(0)} MB after start-up), echo bot ${extra.echoRss.toFixed(0)} MB (${extra.echoRssAtStart.toFixed(0)} MB after start-up); both run under tsx as npm start does`);
  console.log(`the bot's SQLite file: ${path.dirname(extra.dataDir)}`);
  console.log(`token-endpoint calls per warm agent during the measured phases: ${((lookups.tokenCalls + confirms.tokenCalls) / extra.agents).toFixed(2)}`);
  console.log(`ratios: lookup/echo message throughput ${(rate(lookups) / rate(echoes)).toFixed(2)}, confirm/echo invoke throughput ${(rate(confirms) / rate(echoInvokes)).toFixed(2)}`);
  const checks: [string, boolean][] = [
    ['lookup throughput ≥ ½ echo', rate(lookups) >= rate(echoes) / 2],
    ['≤ 2 Graph calls per lookup', lookups.graphCalls / lookups.turns <= 2],
    ['≤ 1 Graph call per revoke', confirms.graphCalls / confirms.turns <= 1],
    ['no token-endpoint call for a warm user', lookups.tokenCalls + confirms.tokenCalls === 0],
    ['p99 < 50 ms (lookup and confirm)', percentile(lookups.latenciesInMs, 99) < 50 && percentile(confirms.latenciesInMs, 99) < 50],
    ['peak RSS < 200 MB', extra.botRss < 200],
  ];
  console.log(`\ntargets: ${checks.map(([what, ok]) => `${ok ? '✓' : '✗'} ${what}`).join('; ')}`);
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
