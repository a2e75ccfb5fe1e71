/**
 * Small shared pieces of the request use cases: how people and targets appear in audit
 * records, and the write that records an execution's result.
 */
import type { AuditActor, AuditTarget } from './ports/auditLog';
import { NAMESPACE } from './ports/namespaces';
import type { StateStore } from './ports/stateStore';
import type { PersonRef, RevocationRequest, TargetSnapshot } from '../domain/revocationRequest';


export function auditActor(person: PersonRef): AuditActor {
  return { aadObjectId: person.aadObjectId, userPrincipalName: person.userPrincipalName, name: person.name };
}

export function auditTarget(target: TargetSnapshot): AuditTarget {
  return { id: target.id, userPrincipalName: target.userPrincipalName, displayName: target.displayName };
}

/**
 * Writes the result of an execution this caller holds (it won the compare-and-set into
 * 'executing'), so a conflict can only be a housekeeping write (an expiry sweep): reload the
 * etag and write again. A request deleted meanwhile is left deleted.
 */
export async function saveHeldRequest(store: StateStore, request: RevocationRequest, etag: string, expiresAt: Date): Promise<void> {
  let current = etag;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const saved = await store.replace(NAMESPACE.requests, request.id, request, current, { expiresAt });
    if (saved.ok || saved.reason === 'missing') return;
    const latest = await store.get<RevocationRequest>(NAMESPACE.requests, request.id);
    if (!latest) return;
    current = latest.etag;
  }
}
