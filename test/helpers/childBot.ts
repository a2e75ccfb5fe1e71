/**
 * The bot as a real child process (`node .`, the compiled build), configured exactly as in
 * production except that its environment points at the emulated cloud and trusts its CA — so a
 * test can kill it with SIGKILL and start another on the same data.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { EmulatedCloud } from '../../emulator/cloud';
import { BOT_COMMAND, ROOT } from './built';
import { produced } from './secretScan';
import { childEnv } from './childEnv';

export interface ChildBot {
  readonly url: string;
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** Everything the process wrote (its JSON logs), for failure messages and the no-secret scan. */
  output(): string;
  /** Settles when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL (no clean-up at all) and wait for the exit. */
  kill(): Promise<void>;
}

/** Starts a bot process on `port` with `env` over the cloud's bot environment; resolves once /healthz answers. */
export async function startChildBot(
  cloud: EmulatedCloud,
  options: { port: number; caFile: string; env: Record<string, string> },
): Promise<ChildBot> {
  const env = {
    ...childEnv(),
    ...cloud.botEnvironment({ PORT: String(options.port), LOG_LEVEL: 'debug', ...options.env }),
    NODE_EXTRA_CA_CERTS: options.caFile,
  };
  const child = spawn(process.execPath, BOT_COMMAND, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  produced.watch('process output', `bot process ${child.pid ?? '?'} on port ${options.port}`, () => [output]);
  const url = `http://127.0.0.1:${options.port}`;
  const bot: ChildBot = {
    url,
    child,
    output: () => output,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  const until = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the bot exited (${String(child.exitCode ?? child.signalCode)}): ${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return bot;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) {
      await bot.kill();
      throw new Error(`the bot did not become healthy in time: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
