/**
 * The Microsoft 365 Agents Playground (npm @microsoft/m365agentsplayground, a dev dependency) as
 * the demo's browser client: its mock tenant is the demo directory (config file), it posts to the
 * relay and names the relay as its service URL, no browser is opened, telemetry is off. It runs
 * with an allow-listed environment and listens on 127.0.0.1 only (demo/loopbackOnly.ts).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Directory, DirectoryUser } from '../emulator/directory';
import { demoChildEnvironment } from './childEnvironment';

/** The demo's team in the Playground; its second channel is the security channel in `--approvals` mode. */
export const DEMO_TEAM = {
  id: '19:demo-it-operations@thread.tacv2',
  name: 'IT Operations',
  aadGroupId: '4f1d2c3b-5a6e-4d7c-8b9a-0e1f2a3b4c5d',
  securityChannel: { id: '19:demo-security-approvals@thread.tacv2', name: 'Security approvals' },
} as const;

/** The demo people in the Playground's roster besides the person you start as (the config file wants exactly five). */
const ROSTER = ['paul', 'priya', 'helen', 'adele', 'alex', 'grace', 'uma'];

function member(user: DirectoryUser): Record<string, string> {
  return {
    id: user.teamsId,
    name: user.displayName,
    userPrincipleName: user.userPrincipalName,
    aadObjectId: user.id,
    givenName: user.givenName ?? user.displayName.split(' ')[0] ?? user.displayName,
    surname: user.surname ?? user.displayName.split(' ').slice(1).join(' '),
    email: user.mail ?? user.userPrincipalName,
  };
}

/**
 * The Playground's config file (.m365agentsplayground.yml; JSON is YAML): the demo tenant, the
 * bot's Teams id, you, five colleagues, your chats and the IT Operations team.
 */
export function playgroundConfig(directory: Directory, botAppId: string, me: DirectoryUser): string {
  const others = ROSTER.map((name) => directory.user(name))
    .filter((u) => u.id !== me.id)
    .slice(0, 5);
  return JSON.stringify(
    {
      version: '0.1.1',
      tenantId: directory.tenantId,
      bot: { id: `28:${botAppId}`, name: 'Session Revoker' },
      currentUser: member(me),
      users: others.map(member),
      personalChat: { id: 'a:1demo-personal-chat' },
      groupChat: { id: '19:demo-helpdesk-chat@thread.v2', name: 'Helpdesk chat' },
      team: { id: DEMO_TEAM.id, name: DEMO_TEAM.name, aadGroupId: DEMO_TEAM.aadGroupId, channels: [DEMO_TEAM.securityChannel] },
    },
    null,
    2,
  );
}

export interface RunningPlayground {
  /** Its process id. */
  readonly pid: number;
  /** The web UI, e.g. http://127.0.0.1:56150 */
  readonly url: string;
  /** Its mocked Bot Connector. */
  readonly connectorUrl: string;
  stop(): Promise<void>;
}

export interface PlaygroundOptions {
  /** Where the Playground posts activities (the relay). */
  readonly appEndpoint: string;
  /** The service URL it puts into activities (the relay's connector). */
  readonly serviceUrl: string;
  readonly configFile: string;
  readonly configText: string;
  readonly logFile: string;
  /** Default 56150 (the Playground falls back to a free port when it is taken). */
  readonly port?: number;
  readonly startTimeoutInMs?: number;
}

/** The Playground's CLI, or undefined when the package is not installed (e.g. npm ci --omit=dev). */
export function playgroundCli(): string | undefined {
  try {
    return require.resolve('@microsoft/m365agentsplayground/cli.js');
  } catch {
    return undefined;
  }
}

/** Starts the Playground and resolves once it listens. */
export async function startPlayground(options: PlaygroundOptions): Promise<RunningPlayground> {
  const cli = playgroundCli();
  if (!cli) throw new Error('@microsoft/m365agentsplayground is not installed (run npm ci with dev dependencies).');
  writeFileSync(options.configFile, options.configText);
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(
    process.execPath,
    // tsx loads the TypeScript preload; the preload keeps every listener on loopback.
    [
      '--import',
      'tsx',
      '--import',
      path.join(__dirname, 'loopbackOnly.ts'),
      cli,
      'start',
      '--app-endpoint',
      options.appEndpoint,
      '--channel-id',
      'msteams',
      '--service-url',
      options.serviceUrl,
      '--port',
      String(options.port ?? 56150),
      '--disable-telemetry',
    ],
    {
      env: {
        ...demoChildEnvironment(process.env, 'playground'),
        // No browser to open here (without this it dies silently where xdg-open is missing).
        TEAMSAPPTESTER_BROWSER: 'none',
        M365_AGENTS_PLAYGROUND_CONFIG_PATH: options.configFile,
        M365_AGENTS_PLAYGROUND_LOGFILE: options.logFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the Playground did not start in time: ${output.slice(-500)}`)),
      options.startTimeoutInMs ?? 30_000,
    );
    const onData = (chunk: string): void => {
      output += chunk;
      const match = /Listening on (\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the Playground exited (${code ?? 'signal'}): ${output.slice(-500)}`));
    });
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the Playground printed its port but has no process id');
  return {
    pid,
    url: `http://127.0.0.1:${port}`,
    connectorUrl: `http://127.0.0.1:${port}/_connector`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
