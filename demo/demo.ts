/**
 * The local demo (`npm start`, which builds the bot first): the embedded emulated Microsoft cloud
 * in this process, and the production bot — the compiled build, started as `node .` starts it —
 * as a child process. Only its environment differs from production: it points at the emulator,
 * trusts the emulator's CA and listens on 127.0.0.1. The child's environment is allow-listed
 * (demo/childEnvironment.ts), never this process's own. The demo imports nothing from the
 * product: the package's entry point is the one interface between them. People talk to it in
 *  - the browser: the Microsoft 365 Agents Playground, through the demo relay (demo/playgroundRelay.ts);
 *  - the terminal: the terminal Teams client (demo/terminalTeams.ts), when stdin is a terminal.
 * Without a terminal the browser demo runs until stopped; with CI=true or --walkthrough a short
 * scripted walkthrough plays in the terminal client and the demo exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { EmulatedCloud } from '../emulator/cloud';
import { ROLE_NAMES, type DirectoryUser } from '../emulator/directory';
import { rerunTrustingNewCa, trustedOwnCa } from '../emulator/selfTrust';
import { demoChildEnvironment } from './childEnvironment';
import { parseDemoOptions, DEMO_USAGE, type DemoOptions } from './demoOptions';
import { DEMO_TEAM, playgroundCli, playgroundConfig, startPlayground, type RunningPlayground } from './playground';
import { PlaygroundRelay } from './playgroundRelay';
import { runTerminalTeams } from './terminalTeams';
import { DEMO_TOKEN_LIFETIME_IN_SECONDS, DemoClock } from './demoClock';
import { DEMO_ALERT_CALLER_APP_ID } from './demoAlert';

const ROOT = path.join(__dirname, '..');

/** The compiled bot that `node .` runs (package.json's main); `npm run build` makes it. */
function builtBot(): string {
  try {
    return require.resolve(ROOT);
  } catch {
    throw new Error('The bot is not built: run npm run build first (npm start does).');
  }
}

async function waitForHealth(url: string, child: ChildProcess, timeoutInMs: number): Promise<void> {
  const until = Date.now() + timeoutInMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`the bot exited with code ${child.exitCode}; see .demo/bot.log`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error('the bot did not become healthy in time; see .demo/bot.log');
}

/** Whether `stream` is a terminal: Node leaves `isTTY` undefined (its type says boolean) when it is not. */
function isTerminal(stream: { readonly isTTY?: boolean }): boolean {
  return stream.isTTY ?? false;
}

export async function runDemo(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  if (process.env.MicrosoftAppId?.trim())
    throw new Error('The demo runs only without MicrosoftAppId (it would otherwise sign in demo users against a real tenant).');
  const parsed = parseDemoOptions(argv, { isTTY: isTerminal(process.stdin), ci: process.env.CI === 'true' });
  if (!parsed.ok) {
    console.error(`${parsed.problem}\n\n${DEMO_USAGE}`);
    process.exitCode = 2;
    return;
  }
  const options = parsed.options;
  if (options.help) {
    console.log(DEMO_USAGE);
    return;
  }
  const botEntry = builtBot();
  // DEMO_STATE_DIR: where the demo keeps its data and logs (tests use a temporary folder).
  const stateDir = process.env.DEMO_STATE_DIR?.trim() || path.join(ROOT, '.demo');
  mkdirSync(stateDir, { recursive: true });
  const ca = trustedOwnCa()?.ca;
  if (!ca) {
    process.exitCode = await rerunTrustingNewCa(stateDir, 'demo');
    return;
  }
  const port = Number(process.env.PORT ?? 3978);
  console.log('Starting the emulated Microsoft cloud (Entra ID, Graph, Teams) on 127.0.0.1…');
  const cloud = await EmulatedCloud.start({
    ca,
    botEndpoint: `http://127.0.0.1:${port}/api/messages`,
    tokenLifetimeInSeconds: DEMO_TOKEN_LIFETIME_IN_SECONDS,
  });
  const clock = DemoClock.create(cloud.clock, path.join(stateDir, 'clock-offset'), process.env);
  let me: DirectoryUser;
  try {
    me = cloud.directory.user(options.as);
  } catch {
    await cloud.stop();
    throw new Error(`There is no "${options.as}" in the demo directory (try uma, paul, priya, helen, grace, adele).`);
  }
  const caFile = cloud.writeCaFile(path.join(stateDir, 'emulator-ca.pem'));
  const log = openSync(path.join(stateDir, 'bot.log'), 'w');
  // Four eyes, and alerts from the demo's playbook identity (/alert in the terminal client).
  const approvals: Record<string, string> = options.approvals
    ? { SECURITY_CHANNEL_ID: DEMO_TEAM.securityChannel.id, ALERT_CALLER_APP_IDS: DEMO_ALERT_CALLER_APP_ID }
    : {};
  // Never the demo's own environment: only what the allow-list lets through, and the emulator's settings.
  const env = {
    ...demoChildEnvironment(process.env, 'bot'),
    ...cloud.botEnvironment({ PORT: String(port), LISTEN_ADDRESS: '127.0.0.1', DATA_DIR: path.join(stateDir, 'data'), ...approvals }),
    // Due cards come within two seconds of their time (the demo's /clock moves time on).
    SCHEDULE_POLL_SECONDS: process.env.SCHEDULE_POLL_SECONDS ?? '2',
    ...clock.botEnvironment(),
    NODE_EXTRA_CA_CERTS: caFile,
  };
  const bot = spawn(process.execPath, [botEntry], { env, stdio: ['ignore', log, log], cwd: ROOT });
  let relay: PlaygroundRelay | undefined;
  let playground: RunningPlayground | undefined;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await playground?.stop().catch(() => undefined);
    await relay?.stop().catch(() => undefined);
    bot.kill('SIGTERM');
    await cloud.stop();
  };
  const stopped$ = new Promise<void>((resolve) => {
    const onSignal = (): void => void stop().then(resolve);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  try {
    await waitForHealth(`http://127.0.0.1:${port}`, bot, 30_000);
    console.log(`Session Revoker is running at http://127.0.0.1:${port}/api/messages (logs: .demo/bot.log)`);
    console.log(`  Entra ID  ${cloud.entra.authorityHost}   Graph  ${cloud.graph.endpoint}   Teams  ${cloud.teams.serviceUrl}`);
    if (options.playground) {
      if (!playgroundCli()) {
        console.log('The Microsoft 365 Agents Playground is not installed (dev dependency): browser demo skipped.');
      } else {
        relay = await PlaygroundRelay.start({
          cloud,
          initialUser: me,
          playgroundUserId: me.teamsId,
          env: process.env,
          log: (line) => console.log(`  ${line}`),
          clock,
        });
        playground = await startPlayground({
          appEndpoint: relay.messagesUrl,
          serviceUrl: relay.serviceUrl,
          configFile: path.join(stateDir, '.m365agentsplayground.yml'),
          configText: playgroundConfig(cloud.directory, cloud.app.appId, me),
          logFile: path.join(stateDir, 'playground.log'),
          port: options.playgroundPort,
        });
        relay.playgroundConnector = playground.connectorUrl;
        if (options.approvals) await relay.announceTeamInstall(DEMO_TEAM, cloud.directory.user('grace'));
        printBrowserInstructions(playground.url, me.displayName, rolesOf(me), options);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  if (options.terminal === 'interactive' || options.terminal === 'walkthrough') {
    await runTerminalTeams(cloud, { interactive: options.terminal === 'interactive', as: me, clock });
    await stop();
    return;
  }
  if (!playground) {
    await stop();
    return;
  }
  console.log('Press Ctrl-C to stop the demo.');
  await stopped$;
}

function rolesOf(user: { roles: readonly string[] }): string {
  return user.roles.map((r) => ROLE_NAMES[r] ?? r).join(', ') || 'no admin role';
}

function printBrowserInstructions(url: string, name: string, roles: string, options: DemoOptions): void {
  const lines = [
    '',
    `In your browser: ${url}  (Microsoft 365 Agents Playground, offline)`,
    `  You are ${name} (${roles}). Open "Personal Chat" and type:  revoke adele   then click Revoke sessions.`,
    '  Become someone else by typing in any chat:  /as paul  (Password Administrator)   /as priya  (Privileged Authentication Administrator)   /users',
    '  Sign-in happens by itself: the demo stands in for Teams SSO with the emulated Entra ID (never with MicrosoftAppId set).',
  ];
  if (options.approvals) {
    lines.push(
      `  Four eyes is on: your lookup card says Request revocation; the approval card appears in IT Operations › ${DEMO_TEAM.securityChannel.name}.`,
    );
    lines.push('  There, /as priya and click Refresh on the card, then Approve and revoke.');
    lines.push('  An alert from Sentinel: type  /alert connie  in the terminal client; its card arrives in Security approvals.');
  } else {
    lines.push('  For the four-eyes flow (approvals in a security channel), start with:  npm start -- --approvals');
  }
  console.log(lines.join('\n'));
}
