/** Wires the bot's durable state and audit trail onto one SQLite file under DATA_DIR. */
import type { StateStore } from '../app/ports/stateStore';
import type { OpenDatabaseOptions } from './openDatabase';
import { SqliteAuditLog } from './sqliteAuditLog';
import { SqliteDatabase } from './sqliteDatabase';
import { SqliteStateStore, type SqliteStateStoreOptions } from './sqliteStore';
import type { SqliteWriter } from './sqliteWriter';

export interface SqliteStorage {
  readonly state: StateStore;
  readonly audit: SqliteAuditLog;
  /** The writer thread both write through; its counts (writes, groups, commits, restarts) are for tests and diagnostics. */
  readonly writer: SqliteWriter;
  /** Closes both, after the writes in flight have committed (idempotent). */
  close(): Promise<void>;
}

/**
 * Opens `${dataDir}/revoker.sqlite` (creating it): reads on this thread, and one writer thread
 * shared by state and audit trail, so their writes commit in the same groups. Other processes may
 * open the same file at the same time.
 *
 * @throws StorageUnavailableError when the database cannot be created or opened.
 */
export function openSqliteStorage(options: OpenDatabaseOptions & SqliteStateStoreOptions): SqliteStorage {
  const database = SqliteDatabase.open(options);
  const state = new SqliteStateStore(database, options);
  const audit = new SqliteAuditLog(database);
  return {
    state,
    audit,
    writer: database.writer,
    async close() {
      try {
        await audit.close();
      } finally {
        await state.close();
      }
    },
  };
}
