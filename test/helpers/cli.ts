/** Runs one of the project's operator commands (compiled, as package.json runs it) in its own node process, as npm run would. */
import { spawn } from 'node:child_process';
import { npmScriptCommand, ROOT } from './built';
import { childEnv } from './childEnv';

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `script` is the npm script's name (e.g. 'audit:export'); the environment starts from childEnv. */
export function runCli(script: string, args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...npmScriptCommand(script), ...args], {
      cwd: ROOT,
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
