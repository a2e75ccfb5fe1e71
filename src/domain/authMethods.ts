/**
 * A user's authentication methods, as the compromised-account bundle reviews them: attackers
 * register their own (a phone, an authenticator) to keep access after a password reset, so
 * recently added methods are marked and may be removed. Pure.
 *
 * Rules this relies on (docs/evidence.md): the password method cannot be deleted, only reset
 * (https://learn.microsoft.com/graph/api/resources/passwordauthenticationmethod); deleting every
 * other method makes the user register again at their next multi-factor prompt
 * (https://learn.microsoft.com/graph/api/resources/authenticationmethods-overview).
 */
import type { RevocationFailureCode } from './problems';

/** The kinds of method Graph lists (v1.0). */
export type AuthMethodKind =
  | 'password'
  | 'phone'
  | 'email'
  | 'fido2'
  | 'microsoftAuthenticator'
  | 'softwareOath'
  | 'temporaryAccessPass'
  | 'windowsHelloForBusiness'
  | 'platformCredential'
  | 'other';

/** One method as listed. */
export interface AuthMethod {
  readonly id: string;
  readonly kind: AuthMethodKind;
  /** What identifies it to a person: a (masked) phone number, an address, a device or key name. */
  readonly detail?: string;
  /** Registration time (ISO) when Graph gives one. */
  readonly createdAt?: string;
}

/** The methods read for one request's card: which list a responder's ticks refer to. */
export interface MethodsSnapshot {
  /** Changes with every read, so ticks made on an older list are never applied to a newer one. */
  readonly key: string;
  readonly readAt: string;
  readonly items: readonly AuthMethod[];
  /** Why the list could not be read (then `items` is empty). */
  readonly problem?: RevocationFailureCode;
}

/** The most methods a card lists (Graph returns a handful per user; more is not a list a person reviews). */
export const MAX_LISTED_METHODS = 20;

/** The default of RECENT_METHOD_DAYS: methods registered this recently are marked. */
export const DEFAULT_RECENT_METHOD_DAYS = 7;

const NAMES: Readonly<Record<AuthMethodKind, string>> = {
  password: 'Password',
  phone: 'Phone',
  email: 'Email',
  fido2: 'Security key (FIDO2)',
  microsoftAuthenticator: 'Microsoft Authenticator',
  softwareOath: 'Authenticator app (code)',
  temporaryAccessPass: 'Temporary Access Pass',
  windowsHelloForBusiness: 'Windows Hello for Business',
  platformCredential: 'Platform credential (macOS)',
  other: 'Other method',
};

/** "Phone +1 555 0100", "Microsoft Authenticator (Pixel 8)". */
export function describeMethod(method: AuthMethod): string {
  const name = NAMES[method.kind];
  if (!method.detail) return name;
  return method.kind === 'phone' || method.kind === 'email' ? `${name} ${method.detail}` : `${name} (${method.detail})`;
}

/**
 * Whether the bot offers to remove it: never the password (reset it instead), never a kind whose
 * delete it does not rely on — platform credentials (macOS) are listed, but their delete is not
 * one the bot makes — and never one it does not know.
 */
export function isRemovable(method: AuthMethod): boolean {
  return method.kind !== 'password' && method.kind !== 'platformCredential' && method.kind !== 'other';
}

/** Whether it was registered within `days` before `now`. Unknown registration times are not recent (nothing to mark). */
export function isRecent(method: AuthMethod, now: Date, days: number): boolean {
  const created = method.createdAt === undefined ? Number.NaN : Date.parse(method.createdAt);
  if (!Number.isFinite(created)) return false;
  return now.getTime() - created <= days * 24 * 3600_000 && created <= now.getTime() + 60_000;
}

/**
 * What removing the methods at `indexes` leaves: 'none' when no method but the password would be
 * left (the user then registers again at their next multi-factor prompt), else 'some'.
 */
export function leftAfterRemoving(items: readonly AuthMethod[], indexes: readonly number[]): 'none' | 'some' {
  const removed = new Set(indexes);
  return items.some((m, i) => isRemovable(m) && !removed.has(i)) ? 'some' : 'none';
}

/** The removable methods among `indexes` (duplicates and anything else dropped), in list order. */
export function removableIndexes(items: readonly AuthMethod[], indexes: readonly number[]): number[] {
  const wanted = new Set(indexes);
  return items.flatMap((m, i) => (wanted.has(i) && isRemovable(m) ? [i] : []));
}
