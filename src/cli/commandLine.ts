/**
 * What every audit command line does before its own work: read its arguments and the storage
 * settings, and say on stderr what is wrong with either (exit code 2, as a usage error).
 */
import { readStorageSettings, type StorageSettings } from '../config/storageConfig';

type Env = Readonly<Record<string, string | undefined>>;

/** The parsed arguments and storage settings, or undefined once the problems were printed. */
export function argumentsAndStorage<A>(parsed: A | string, env: Env): { args: A; settings: StorageSettings } | undefined {
  if (typeof parsed === 'string') {
    console.error(parsed);
    return undefined;
  }
  const problems: string[] = [];
  const settings = readStorageSettings(env, problems);
  if (problems.length > 0) {
    for (const problem of problems) console.error(`config: ${problem}`);
    return undefined;
  }
  return { args: parsed, settings };
}
