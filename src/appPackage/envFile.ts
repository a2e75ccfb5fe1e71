/**
 * The environment for the admin tools (`npm run package`, `npm run doctor`): a .env file, if
 * there is one, under the process environment (what is set in the environment wins, as with
 * `node --env-file`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

export type Env = Readonly<Record<string, string | undefined>>;

/** The variables of `envFile` (when it exists) overlaid by `env`. */
export function environmentWithDotEnv(env: Env, envFile: string): { env: Env; loadedFrom?: string } {
  if (!existsSync(envFile)) return { env };
  const fromFile = parseEnv(readFileSync(envFile, 'utf8'));
  const merged: Record<string, string | undefined> = { ...fromFile };
  for (const [name, value] of Object.entries(env)) if (value !== undefined && value !== '') merged[name] = value;
  return { env: merged, loadedFrom: envFile };
}
