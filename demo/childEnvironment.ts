/**
 * The environment of the demo's child processes (the bot, the Playground), from an allow-list,
 * never the demo's own environment as a whole: whatever else is set where the demo runs —
 * storage connection strings, a security channel, secrets of other tools — stays out of them.
 */
type Env = Readonly<Record<string, string | undefined>>;

/**
 * What any process needs to run here (the search path, home and temporary folders, locale and
 * zone) and what sets the machine's clock for a run under faketime: a child on another clock
 * than the emulator would refuse its certificates and tokens.
 */
const SYSTEM =
  /^(PATH|PATHEXT|HOME|USER|LOGNAME|USERPROFILE|APPDATA|LOCALAPPDATA|SystemRoot|SYSTEMROOT|windir|WINDIR|ComSpec|COMSPEC|TMPDIR|TEMP|TMP|TZ|LANG|LANGUAGE|LC_[A-Z]+|LD_PRELOAD|FAKETIME[A-Z_]*|DONT_FAKE_MONOTONIC|NO_FAKE_STAT)$/;

/**
 * The bot's own knobs that reach nothing outside the demo (time limits, rate limits, logging).
 * Named here because the demo imports nothing from the product; a test checks that every rate
 * limit the bot reads (src/config/rateLimitConfig.ts) is among them.
 */
const BOT_KNOBS: ReadonlySet<string> = new Set([
  'LOG_LEVEL',
  'REQUEST_TTL_MINUTES',
  'APPROVAL_TTL_HOURS',
  'BULK_MAX_TARGETS',
  'SCHEDULE_POLL_SECONDS',
  'SCHEDULE_REMINDER_MINUTES',
  'INVOKE_BUDGET_SECONDS',
  'GRAPH_TIMEOUT_SECONDS',
  'EXECUTION_STALE_AFTER_SECONDS',
  'MAX_ACCESS_TOKEN_LIFETIME_MINUTES',
  'RECENT_METHOD_DAYS',
  'RATE_LIMIT_USER_COMMANDS_PER_MINUTE',
  'RATE_LIMIT_USER_REVOKES_PER_MINUTE',
  'RATE_LIMIT_TENANT_COMMANDS_PER_MINUTE',
  'RATE_LIMIT_TENANT_REVOKES_PER_MINUTE',
  'RATE_LIMIT_ALERT_CALLER_PER_MINUTE',
  'RATE_LIMIT_TENANT_ALERTS_PER_MINUTE',
]);

/** Whether a child may take `name` from the demo's environment (`bot`: the bot child, which also takes its knobs). */
export function allowedInDemoChild(name: string, child: 'bot' | 'playground'): boolean {
  return SYSTEM.test(name) || (child === 'bot' && BOT_KNOBS.has(name));
}

/** The allowed part of `parent` for this child; the caller adds what the child is told explicitly. */
export function demoChildEnvironment(parent: Env, child: 'bot' | 'playground'): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(parent)) if (value !== undefined && allowedInDemoChild(name, child)) env[name] = value;
  return env;
}
