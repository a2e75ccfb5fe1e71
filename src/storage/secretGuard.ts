/**
 * Defence in depth for everything the bot persists: a bug upstream must never leave a token or
 * secret at rest in state or in the audit trail. Shared by every storage backend.
 *
 * What can carry a credential, and so what is refused (SecretLikeValueError):
 * - a non-empty string under a property named for a credential (`password`, `accessToken`,
 *   `client_secret`…): the shape a bug has when it stores a token object or a settings bag;
 * - credential-shaped text (a JWT, `Bearer`/`Basic` and a credential, a PEM private key, an Entra
 *   client secret: src/domain/credentialText.ts) in keys, namespaces, property names and in every
 *   string value the bot itself makes: ids, codes, times, URLs, conversation ids, anything new.
 *
 * What is never refused, whatever it holds: directory data and what people typed (FREE_TEXT_FIELDS:
 * names, sign-in names, job titles, departments, reasons, search text, audit detail). Whoever sets
 * such a value (a directory admin, the target, an agent) would otherwise decide whether a lookup,
 * a revocation, a bulk run or its audit record can be written: a job title "Basic
 * Telecommunications Lead" or a reason "Basic auth/IMAP abuse" looks like a Basic credential. The
 * bot's own credentials never flow into these fields (they hold text from Graph or from chat), and
 * the logger masks credential-shaped text in them wherever they are logged.
 *
 * Refresh tokens and other opaque tokens have no shape that tells them from ids; the bot never
 * holds one outside MSAL's in-memory cache (on-behalf-of exchanges return access tokens only), and
 * the field-name rule covers a bug that would store one under its own name.
 */
import { SecretLikeValueError, type SecretLikeContentKind } from '../app/ports/stateStore';
import { findCredentials } from '../domain/credentialText';

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

/**
 * Properties that hold directory data or what people typed, in every stored shape (requests,
 * bulk runs, pick lists, parked commands, conversation references, audit entries); compared
 * lower-case, without _ or -. Their string values are stored as they are.
 */
const FREE_TEXT_FIELDS: ReadonlySet<string> = new Set([
  // Directory data (Graph, Teams): people, groups, roles, channels, conversations.
  'displayname',
  'name',
  'userprincipalname',
  'upn',
  'mail',
  'jobtitle',
  'department',
  // What people typed: bulk source labels, reasons, searches, unrecognised words, and audit detail
  // (which quotes names and reasons).
  'label',
  'reason',
  'rejectreason',
  'text',
  'query',
  'unrecognised',
  'detail',
]);

/** The kind of credential-shaped content in `text`, if any. */
export function findSecretLikeContent(text: string): SecretLikeContentKind | undefined {
  return findCredentials(text)[0]?.kind;
}

const normalizedName = (name: string): string => name.toLowerCase().replace(/[_-]/g, '');

/**
 * Serializes `value` to JSON for storage, refusing credentials where they can be (see the module
 * comment). Linear in the size of the value.
 *
 * @throws SecretLikeValueError when a credential-named property holds a non-empty string, or a
 *   property name or a value outside the free-text fields holds credential-shaped text.
 * @throws TypeError when the value is not JSON-serializable (undefined, a function, a bigint, a cycle).
 */
export function serializeWithoutSecrets(value: unknown): string {
  let refused: SecretLikeContentKind | undefined;
  const json: unknown = JSON.stringify(value, function (this: unknown, key: string, item: unknown) {
    if (refused) return item;
    const name = normalizedName(key);
    if (key !== '' && !Array.isArray(this)) refused = findSecretLikeContent(key);
    if (!refused && typeof item === 'string' && item.length > 0) {
      if (SECRET_FIELD_NAMES.has(name)) refused = 'secret_field';
      else if (Array.isArray(this) || !FREE_TEXT_FIELDS.has(name)) refused = findSecretLikeContent(item);
    }
    return item;
  });
  if (typeof json !== 'string') throw new TypeError('Value is not JSON-serializable.');
  if (refused) throw new SecretLikeValueError(refused);
  return json;
}

/** @throws SecretLikeValueError when `text` (a key or namespace) holds credential-shaped content. */
export function assertNoSecretLikeContent(text: string): void {
  const kind = findSecretLikeContent(text);
  if (kind) throw new SecretLikeValueError(kind);
}
