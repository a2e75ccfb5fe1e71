/** Storage adapters for the StateStore and AuditLog ports. */
export { openSqliteStorage, type SqliteStorage } from './openSqliteStorage';
export { SqliteStateStore, type SqliteStateStoreOptions } from './sqliteStore';
export { SqliteAuditLog, normalizeAuditEntry, DEFAULT_AUDIT_PAGE_SIZE, MAX_AUDIT_PAGE_SIZE } from './sqliteAuditLog';
export { SqliteDatabase } from './sqliteDatabase';
export { SqliteWriter, type WriterCounts } from './sqliteWriter';
export {
  openDatabase,
  databaseFilePath,
  SqliteConnection,
  DATABASE_FILE_NAME,
  DEFAULT_BUSY_TIMEOUT_IN_MS,
  type OpenDatabaseOptions,
} from './openDatabase';
export { findSecretLikeContent, serializeWithoutSecrets, assertNoSecretLikeContent } from './secretGuard';
export { openStorage, type OpenedStorage } from './openStorage';
export { openBlobStorage, CONTAINER_NAME, type BlobStorage, type BlobStorageOptions } from './blob/openBlobStorage';
export { BlobStateStore, type BlobStateStoreOptions } from './blob/blobStateStore';
export { BlobAuditLog, auditRecordName } from './blob/blobAuditLog';
export { FileAuditSetAside } from './auditSetAsideFiles';
export { verifyChain, type AuditChainSource, type ChainVerdict } from './auditChain';
