/**
 * The person acting, with the delegated access their own sign-in gave: whatever a use case does
 * in the directory, it does with this person's token, never the bot's.
 */
import type { PersonRef } from '../domain/people';
import type { AuditActor } from './ports/auditLog';
import type { ContainmentGateway } from './ports/containment';
import type { BulkDirectoryGateway, DirectoryGateway } from './ports/directory';

/** The person acting, with their delegated directory access. */
export interface Acting {
  readonly person: PersonRef;
  readonly directory: DirectoryGateway;
  /** Containment with the same delegated access (its own scopes); absent when not configured. */
  readonly containment?: ContainmentGateway;
}

/** The person acting, with their delegated directory (bulk-capable). */
export interface BulkActing {
  readonly person: PersonRef;
  readonly directory: BulkDirectoryGateway;
}

/** How a person acting appears in audit records. */
export function auditActor(person: PersonRef): AuditActor {
  return { aadObjectId: person.aadObjectId, userPrincipalName: person.userPrincipalName, name: person.name };
}
