/**
 * The environment every child process a test starts begins with: PATH and HOME, and whatever
 * sets the machine's clock and zone for this run (TZ, and libfaketime's LD_PRELOAD and FAKETIME*
 * when CI runs the suite under faketime). A child on another clock than its parent would refuse
 * the parent's certificates and tokens.
 */
const CLOCK_VARIABLES = /^(TZ|LD_PRELOAD|FAKETIME.*|DONT_FAKE_MONOTONIC|NO_FAKE_STAT)$/;

export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && CLOCK_VARIABLES.test(name)) env[name] = value;
  return { ...env, ...extra };
}
