/**
 * Graph users read defensively: what the directory and bulk adapters both take from a reply. A
 * reply missing its UPN is not a user; one whose id is not an object id is not trusted at all.
 */
import type { DirectoryResult, UserRecord } from '../app/ports/directory';
import { hasForgedId, NOT_AN_OBJECT_ID, objectIdOf } from './graphIds';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

interface GraphUser {
  id?: unknown;
  displayName?: unknown;
  userPrincipalName?: unknown;
  mail?: unknown;
  jobTitle?: unknown;
  department?: unknown;
  accountEnabled?: unknown;
  userType?: unknown;
  signInSessionsValidFromDateTime?: unknown;
}

/**
 * The users of a reply's `value`. Items without an id or UPN are skipped; an item whose id is not
 * an object id makes the whole reply untrusted (NOT_AN_OBJECT_ID): its ids would become URL paths.
 */
export function toUserRecords(list: unknown): DirectoryResult<UserRecord[]> {
  const items = Array.isArray(list) ? list : [];
  if (items.some(hasForgedId)) return { ok: false, error: NOT_AN_OBJECT_ID };
  return { ok: true, value: items.map(toUserRecord).filter((u): u is UserRecord => u !== undefined) };
}

/** Reads a Graph user defensively: a reply missing its UPN, or whose id is not an object id, is not a user. */
export function toUserRecord(raw: unknown): UserRecord | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const u = raw as GraphUser;
  const id = objectIdOf(raw);
  const upn = str(u.userPrincipalName);
  if (!id || !upn) return undefined;
  return {
    id,
    displayName: str(u.displayName) ?? upn,
    userPrincipalName: upn,
    mail: str(u.mail),
    jobTitle: str(u.jobTitle),
    department: str(u.department),
    accountEnabled: u.accountEnabled !== false,
    userType: u.userType === 'Guest' || upn.includes('#EXT#') ? 'Guest' : 'Member',
    signInSessionsValidFrom: str(u.signInSessionsValidFromDateTime),
  };
}
