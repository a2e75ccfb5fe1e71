/**
 * Structured JSON logs (pino) for log collectors. Defence in depth against leaking
 * credentials: known secret-bearing fields are redacted, and credential-shaped text (JWTs,
 * `Bearer`/`Basic` credentials, private keys, client secrets) is masked before it is written,
 * whatever field it hides in: directory data and free text included, which storage keeps as they are.
 */
import pino, { type Logger } from 'pino';
import { maskCredentials } from '../domain/credentialText';

export type { Logger };

/**
 * Masks credential-shaped substrings (src/domain/credentialText.ts; linear in the text's length).
 * `Bearer`/`Basic` credentials from 8 characters: a word masked by mistake costs nothing here.
 */
export function maskSecrets(text: string): string {
  return maskCredentials(text, { minBearerLength: 8 });
}

/** Field names whose values are credentials, wherever they appear. */
const SECRET_KEYS =
  /^(token|accessToken|access_token|refresh_token|id_token|assertion|authorization|clientSecret|client_secret|password|MicrosoftAppPassword|secret)$/i;

/** A copy of a log argument with secrets masked, at any depth (bounded). */
export function sanitize(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskSecrets(value);
  if (value instanceof Error) return maskError(value);
  if (typeof value !== 'object' || value === null || depth > 8) return value;
  if (Array.isArray(value)) return value.map((v) => sanitize(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = SECRET_KEYS.test(key) ? '[redacted]' : sanitize(v, depth + 1);
  return out;
}

const REDACT_PATHS = [
  '*.token',
  '*.accessToken',
  '*.access_token',
  '*.refresh_token',
  '*.id_token',
  '*.assertion',
  '*.authorization',
  '*.Authorization',
  '*.clientSecret',
  '*.client_secret',
  '*.password',
  '*.MicrosoftAppPassword',
  'req.headers.authorization',
];

export interface LoggerOptions {
  readonly level?: string;
  /** Where to write; stdout by default. Tests pass a capturing stream. */
  readonly destination?: pino.DestinationStream;
  readonly name?: string;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: options.name ?? 'session-revoker',
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        // Mask strings in the message and in every argument before pino formats them.
        logMethod(args, method) {
          const cleaned = args.map((a) => sanitize(a));
          method.apply(this, cleaned as Parameters<typeof method>);
        },
      },
      serializers: {
        err: (e: unknown) =>
          e instanceof Error ? { type: e.name, message: maskSecrets(e.message), code: (e as { code?: unknown }).code } : e,
      },
    },
    options.destination,
  );
}

function maskError(e: Error): Error {
  const copy = new Error(maskSecrets(e.message));
  copy.name = e.name;
  return copy;
}
