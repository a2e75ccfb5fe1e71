/**
 * Maps SQLite failures onto the ports' one operational error. Anything that means "the file
 * cannot be used right now" becomes StorageUnavailableError; anything else (a constraint, a
 * bug in our SQL) is left as it is, because retrying or refusing would not fix it.
 */
import Database from 'better-sqlite3';
import { isStorageUnavailable, StorageUnavailableError } from '../app/ports/stateStore';

/** Primary result codes (extended codes start with these) that make the store unusable. */
const UNAVAILABLE_CODES: readonly string[] = [
  'SQLITE_BUSY', // still locked after busy_timeout
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_READONLY',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_PERM',
  'SQLITE_PROTOCOL',
  'SQLITE_NOMEM',
  'SQLITE_NOLFS',
];

/** True when a SQLite result code (e.g. SQLITE_IOERR_FSYNC) means the store is unusable. */
export function isUnavailableCode(code: string): boolean {
  return UNAVAILABLE_CODES.some((prefix) => code === prefix || code.startsWith(`${prefix}_`));
}

/**
 * The error to throw for a failure during `operation`: StorageUnavailableError (with the
 * original as cause, and only the operation and SQLite code in the message) or the original.
 */
export function toStorageError(error: unknown, operation: string): unknown {
  if (isStorageUnavailable(error)) return error;
  if (error instanceof Database.SqliteError && isUnavailableCode(error.code)) {
    return new StorageUnavailableError(`Storage unavailable during ${operation} (${error.code}).`, { cause: error });
  }
  // better-sqlite3 throws a TypeError once the connection is closed.
  if (error instanceof TypeError && /database connection is not open/i.test(error.message)) {
    return new StorageUnavailableError(`Storage unavailable during ${operation} (closed).`, { cause: error });
  }
  return error;
}
