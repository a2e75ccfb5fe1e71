/**
 * Undoing a compare-and-set that won but whose action may not go ahead (its audit record could
 * not be written: no unaudited action). The item goes back as it was read. A give-back that fails
 * too is reported, never swallowed: the item then stays held until its own recovery frees it (a
 * stale execution is read back, a lease runs out).
 */
import type { StoreNamespace } from './ports/namespaces';
import type { StateStore } from './ports/stateStore';

/** Told when something that must not fail silently failed; `context` says what (no values that could be secrets). */
export type ErrorReport = (error: unknown, context: string) => void;

/**
 * Writes `previous` back over the item this caller holds (etag `heldEtag`). Resolves either way;
 * a failure goes to `report`, or is thrown when there is nobody to report it to.
 */
export async function giveBack(
  store: StateStore,
  where: { readonly namespace: StoreNamespace; readonly key: string; readonly expiresAt: Date },
  previous: unknown,
  heldEtag: string,
  report: ErrorReport | undefined,
): Promise<void> {
  try {
    const written = await store.replace(where.namespace, where.key, previous, heldEtag, { expiresAt: where.expiresAt });
    if (!written.ok)
      report?.(
        new Error(`the held item was ${written.reason === 'missing' ? 'deleted' : 'changed'} meanwhile`),
        `giving back ${where.namespace} item`,
      );
  } catch (error) {
    if (!report) throw error;
    report(error, `giving back ${where.namespace} item`);
  }
}
