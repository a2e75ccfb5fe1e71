/**
 * Small shared pieces of the request use cases: how targets appear in audit records, how long
 * requests are kept, and the write that records an execution's result.
 */
import type { AuditTarget } from '../ports/auditLog';
import { NAMESPACE, type StoreNamespace } from '../ports/namespaces';
import type { StateStore } from '../ports/stateStore';
import type { RevocationRequest, TargetSnapshot } from '../../domain/revocationRequest';

/** How a request's target appears in audit records. */
export function auditTarget(target: TargetSnapshot): AuditTarget {
  return { id: target.id, userPrincipalName: target.userPrincipalName, displayName: target.displayName };
}

/**
 * Until when a request written now stays readable (late clicks, card refreshes, reports): a week,
 * or longer when the request or approval times are long.
 */
export function retainRequestsUntil(now: Date, ttls: { readonly requestTtlInMs: number; readonly approvalTtlInMs?: number }): Date {
  return new Date(now.getTime() + Math.max(7 * 24 * 3600_000, 4 * ttls.requestTtlInMs, 2 * (ttls.approvalTtlInMs ?? 0)));
}

/**
 * Writes the result of an execution this caller holds (it won the compare-and-set into
 * 'executing'), so a conflict can only be a housekeeping write (an expiry sweep): reload the
 * etag and write again. A request deleted meanwhile is left deleted. Resolves to the etag
 * written (for a later write without a read first), undefined when it was not written.
 */
export async function saveHeldRequest(
  store: StateStore,
  request: RevocationRequest,
  etag: string,
  expiresAt: Date,
): Promise<string | undefined> {
  return saveHeld(store, NAMESPACE.requests, request, etag, expiresAt);
}

/** The same write for any subject held in `namespace` (an alert's action, too). */
export async function saveHeld(
  store: StateStore,
  namespace: StoreNamespace,
  item: { readonly id: string },
  etag: string,
  expiresAt: Date,
): Promise<string | undefined> {
  let current = etag;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const saved = await store.replace(namespace, item.id, item, current, { expiresAt });
    if (saved.ok) return saved.etag;
    if (saved.reason === 'missing') return undefined;
    const latest = await store.get<unknown>(namespace, item.id);
    if (!latest) return undefined;
    current = latest.etag;
  }
  return undefined;
}
