/**
 * What production runs: the compiled build in dist/ (`npm run build`; scripts/test.ts builds it
 * before mocha starts), never the TypeScript under tsx. Tests that start the bot or an operator
 * command as a process take their command line from here, so they exercise the same files as
 * `node .` and `npm run doctor` on the host.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

/** `node .` from the package root: package.json's main, the compiled production entry point. */
export const BOT_COMMAND: readonly string[] = ['.'];

/** The node arguments of an operator command (`npm run doctor`, `audit:export`, `audit:verify`): package.json's `node <file>`. */
export function npmScriptCommand(name: string): string[] {
  const scripts = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const match = /^node (dist\/\S+\.js)$/.exec(scripts[name] ?? '');
  if (!match) throw new Error(`npm run ${name} should be "node dist/….js" (the compiled build), but is: ${scripts[name] ?? 'missing'}`);
  return [path.join(ROOT, match[1]!)];
}
