/** Opens the configured storage backend: SQLite under DATA_DIR (default) or Azure Blob Storage. */
import type { AuditLog } from '../app/ports/auditLog';
import type { StateStore } from '../app/ports/stateStore';
import type { StorageSettings } from '../config/storageConfig';
import type { Clock } from '../domain/clock';
import type { AuditChainSource } from './auditChain';
import { openBlobStorage } from './blob/openBlobStorage';
import { openSqliteStorage } from './openSqliteStorage';

export interface OpenedStorage {
  readonly kind: StorageSettings['kind'];
  readonly state: StateStore;
  readonly audit: AuditLog;
  /** The audit trail's stored records, for `npm run audit:verify`. */
  readonly chain: AuditChainSource;
  /** Closes the state store and the audit log (idempotent). */
  close(): Promise<void>;
}

/**
 * The state store and audit log for `settings`; `clock` decides what has expired.
 *
 * @throws StorageUnavailableError when the store cannot be opened or reached.
 */
export async function openStorage(settings: StorageSettings, clock: Clock): Promise<OpenedStorage> {
  if (settings.kind === 'blob') {
    const blob = await openBlobStorage({
      connectionString: settings.connectionString,
      container: settings.container,
      auditContainer: settings.auditContainer,
      clock,
    });
    return { kind: 'blob', state: blob.state, audit: blob.audit, chain: blob.audit, close: () => blob.close() };
  }
  const sqlite = openSqliteStorage({ dataDir: settings.dataDir, clock });
  return { kind: 'sqlite', state: sqlite.state, audit: sqlite.audit, chain: sqlite.audit, close: () => sqlite.close() };
}
