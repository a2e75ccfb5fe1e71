/** Wires the bot's durable state and audit trail onto one SQLite file under DATA_DIR. */
import type { StateStore } from '../app/ports/stateStore';
import type { OpenDatabaseOptions } from './openDatabase';
import { SqliteAuditLog } from './sqliteAuditLog';
import { SqliteStateStore, type SqliteStateStoreOptions } from './sqliteStore';

export interface SqliteStorage {
  readonly state: StateStore;
  readonly audit: SqliteAuditLog;
  /** Closes both connections (idempotent). */
  close(): Promise<void>;
}

/**
 * Opens `${dataDir}/revoker.sqlite` (creating it) with one connection for state and one for the
 * audit trail; other processes may open the same file at the same time.
 *
 * @throws StorageUnavailableError when the database cannot be created or opened.
 */
export function openSqliteStorage(options: OpenDatabaseOptions & SqliteStateStoreOptions): SqliteStorage {
  const state = SqliteStateStore.open(options);
  let audit: SqliteAuditLog;
  try {
    audit = SqliteAuditLog.open(options);
  } catch (error) {
    void state.close();
    throw error;
  }
  return {
    state,
    audit,
    async close() {
      try {
        await audit.close();
      } finally {
        await state.close();
      }
    },
  };
}
