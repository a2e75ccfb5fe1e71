/**
 * Defence in depth for everything the bot persists: refuse values that look like credentials,
 * so a bug upstream can never leave a token or secret at rest in state or in the audit trail.
 * Shared by every storage backend.
 */
import { SecretLikeValueError, type SecretLikeContentKind } from '../app/ports/stateStore';

/** Content patterns, checked against the serialized JSON (keys and values alike). */
const SECRET_PATTERNS: readonly { readonly kind: SecretLikeContentKind; readonly pattern: RegExp }[] = [
  // A JWS/JWE: a base64url JSON header ("{"" encodes as eyJ) and at least two more dot-separated segments.
  { kind: 'jwt', pattern: /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\./ },
  { kind: 'bearer_credential', pattern: /\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/-]{16,}/i },
  { kind: 'private_key', pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/ },
  // Entra client secrets: three characters, a digit, "Q~", then about 34 more.
  { kind: 'client_secret', pattern: /[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{30,}/ },
];

/** Property names that only ever hold credentials (compared lower-case, without _ or -). */
const SECRET_FIELD_NAMES: ReadonlySet<string> = new Set([
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'ssotoken',
  'bearertoken',
  'token',
  'clientsecret',
  'secret',
  'password',
  'assertion',
  'clientassertion',
  'authorization',
  'apikey',
  'privatekey',
]);

/** The kind of secret-looking content in `text`, if any. */
export function findSecretLikeContent(text: string): SecretLikeContentKind | undefined {
  for (const { kind, pattern } of SECRET_PATTERNS) if (pattern.test(text)) return kind;
  return undefined;
}

function isSecretFieldName(name: string): boolean {
  return SECRET_FIELD_NAMES.has(name.toLowerCase().replace(/[_-]/g, ''));
}

/**
 * Serializes `value` to JSON for storage, refusing credentials.
 *
 * @throws SecretLikeValueError when the value holds a JWT, bearer credential, private key, client
 *   secret, or a non-empty string under a credential-only property name (`password`, `accessToken`…).
 * @throws TypeError when the value is not JSON-serializable (undefined, a function, a bigint, a cycle).
 */
export function serializeWithoutSecrets(value: unknown): string {
  let secretField = false;
  const json: unknown = JSON.stringify(value, function (key: string, item: unknown) {
    if (typeof item === 'string' && item.length > 0 && isSecretFieldName(key)) secretField = true;
    return item;
  });
  if (typeof json !== 'string') throw new TypeError('Value is not JSON-serializable.');
  if (secretField) throw new SecretLikeValueError('secret_field');
  assertNoSecretLikeContent(json);
  return json;
}

/** @throws SecretLikeValueError when `text` looks like it holds a credential. */
export function assertNoSecretLikeContent(text: string): void {
  const kind = findSecretLikeContent(text);
  if (kind) throw new SecretLikeValueError(kind);
}
