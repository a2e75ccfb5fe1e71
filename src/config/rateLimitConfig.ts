/** The RATE_LIMIT_* variables of the runtime contract (see .env.example). */
import { DEFAULT_RATE_LIMITS, type RateLimits } from '../app/rateLimiter';

export type { RateLimits };

/** Variable name → the limit it sets. */
export const RATE_LIMIT_VARIABLES: Readonly<Record<string, keyof RateLimits>> = Object.freeze({
  RATE_LIMIT_USER_COMMANDS_PER_MINUTE: 'userCommandsPerMinute',
  RATE_LIMIT_USER_REVOKES_PER_MINUTE: 'userRevokesPerMinute',
  RATE_LIMIT_TENANT_COMMANDS_PER_MINUTE: 'tenantCommandsPerMinute',
  RATE_LIMIT_TENANT_REVOKES_PER_MINUTE: 'tenantRevokesPerMinute',
  RATE_LIMIT_ALERT_CALLER_PER_MINUTE: 'alertCallerPerMinute',
  RATE_LIMIT_TENANT_ALERTS_PER_MINUTE: 'tenantAlertsPerMinute',
});

/** Reads each limit with `positive(name, default)` (which records a problem for a bad value). */
export function readRateLimits(positive: (name: string, fallback: number) => number): RateLimits {
  const limits: Record<keyof RateLimits, number> = { ...DEFAULT_RATE_LIMITS };
  for (const [name, key] of Object.entries(RATE_LIMIT_VARIABLES)) limits[key] = positive(name, DEFAULT_RATE_LIMITS[key]);
  return Object.freeze(limits);
}
