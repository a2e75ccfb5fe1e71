/**
 * Authentication methods as Graph lists them (GET /users/{id}/authentication/methods, one derived
 * type per method, told apart by @odata.type) and the per-type collection each is deleted through
 * (DELETE /users/{id}/authentication/{type}Methods/{methodId}):
 * https://learn.microsoft.com/graph/api/resources/authenticationmethods-overview. The password
 * method is listed but has no DELETE; a type this adapter does not know is listed as "other" and
 * never offered for removal.
 */
import type { AuthMethod, AuthMethodKind } from '../domain/authMethods';
import { isRecord } from '../domain/json';

const KINDS: Readonly<Record<string, AuthMethodKind>> = {
  '#microsoft.graph.passwordAuthenticationMethod': 'password',
  '#microsoft.graph.phoneAuthenticationMethod': 'phone',
  '#microsoft.graph.emailAuthenticationMethod': 'email',
  '#microsoft.graph.fido2AuthenticationMethod': 'fido2',
  '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod': 'microsoftAuthenticator',
  '#microsoft.graph.softwareOathAuthenticationMethod': 'softwareOath',
  '#microsoft.graph.temporaryAccessPassAuthenticationMethod': 'temporaryAccessPass',
  '#microsoft.graph.windowsHelloForBusinessAuthenticationMethod': 'windowsHelloForBusiness',
  '#microsoft.graph.platformCredentialAuthenticationMethod': 'platformCredential',
};

/** The collection a removable method is deleted from; none for the password (reset it instead), platform credentials and unknown kinds. */
export const DELETE_COLLECTION: Readonly<Partial<Record<AuthMethodKind, string>>> = {
  phone: 'phoneMethods',
  email: 'emailMethods',
  fido2: 'fido2Methods',
  microsoftAuthenticator: 'microsoftAuthenticatorMethods',
  softwareOath: 'softwareOathMethods',
  temporaryAccessPass: 'temporaryAccessPassMethods',
  windowsHelloForBusiness: 'windowsHelloForBusinessMethods',
};

const PHONE_TYPES: Readonly<Record<string, string>> = { mobile: 'mobile', alternateMobile: 'alternate mobile', office: 'office' };

/** Method ids go into a DELETE path: Graph's are GUIDs or base64url-like strings; anything else is never used in a path. */
const METHOD_ID = /^[A-Za-z0-9_-]{1,128}$/;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim().length > 0 ? v.trim() : undefined);

/** One listed method, or undefined when the item is not one. A method whose id could not go into a path is "other". */
export function toAuthMethod(raw: unknown): AuthMethod | undefined {
  if (!isRecord(raw)) return undefined;
  const id = str(raw.id);
  if (!id) return undefined;
  const type = str(raw['@odata.type']);
  const known = type ? KINDS[type] : undefined;
  const kind: AuthMethodKind = known && METHOD_ID.test(id) ? known : 'other';
  const phoneType = str(raw.phoneType);
  const detail =
    kind === 'phone'
      ? [str(raw.phoneNumber), phoneType ? `(${PHONE_TYPES[phoneType] ?? phoneType})` : undefined].filter(Boolean).join(' ')
      : kind === 'email'
        ? str(raw.emailAddress)
        : (str(raw.displayName) ?? str(raw.model));
  const createdAt = str(raw.createdDateTime);
  return {
    id,
    kind,
    ...(detail ? { detail } : {}),
    ...(createdAt && Number.isFinite(Date.parse(createdAt)) ? { createdAt } : {}),
  };
}

/** The DELETE path of a method, or undefined when it has none (the password, unknown kinds, ids that are not Graph's). */
export function deletePath(userPathText: string, method: AuthMethod): string | undefined {
  const collection = DELETE_COLLECTION[method.kind];
  if (!collection || !METHOD_ID.test(method.id)) return undefined;
  return `${userPathText}/authentication/${collection}/${method.id}`;
}
