/**
 * The person acting, with the delegated access their own sign-in gave: whatever a use case does
 * in the directory, it does with this person's token, never the bot's.
 */
import { isSystemRequester, type PersonRef, type Requester } from '../domain/people';
import type { AuditActor } from './ports/auditLog';
import type { ContainmentGateway } from './ports/containment';
import type { BulkDirectoryGateway, DirectoryGateway } from './ports/directory';
import type { EvidenceGateway } from './ports/evidence';

/**
 * What one delegated session remembers while it lasts (e.g. the person's roles for the "can I?"
 * line): gone with the session, never shared between people.
 */
export interface SessionMemo {
  /** The value kept under `key`, or `compute`'s, kept when `keep` says so (failures are not kept). */
  remember<T>(key: string, compute: () => Promise<T>, keep: (value: T) => boolean): Promise<T>;
}

/** The person acting, with their delegated directory access. */
export interface Acting {
  readonly person: PersonRef;
  readonly directory: DirectoryGateway;
  /** Containment with the same delegated access (its own scopes); absent when not configured. */
  readonly containment?: ContainmentGateway;
  /** Sign-in logs, authentication methods and PIM eligibility with the same delegated access (their own scopes). */
  readonly evidence?: EvidenceGateway;
  /** What the person's session remembers (absent: nothing is remembered). */
  readonly memo?: SessionMemo;
}

/** The person acting, with their delegated directory (bulk-capable). */
export interface BulkActing {
  readonly person: PersonRef;
  readonly directory: BulkDirectoryGateway;
}

/** How a person acting (or a system requester, by its source) appears in audit records. */
export function auditActor(person: Requester): AuditActor {
  if (isSystemRequester(person)) return { aadObjectId: person.source, name: person.name };
  return { aadObjectId: person.aadObjectId, userPrincipalName: person.userPrincipalName, name: person.name };
}
