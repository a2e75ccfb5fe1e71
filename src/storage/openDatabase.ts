/**
 * Opens (creating if needed) the bot's SQLite database under DATA_DIR, configured for
 * durability and for sharing between processes, and migrated to the current schema.
 */
import { chmodSync, closeSync, existsSync, fchmodSync, fsyncSync, mkdirSync, openSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { isStorageUnavailable, StorageUnavailableError } from '../app/ports/stateStore';
import { deadlineIn, msUntil } from '../domain/clock';
import { MIGRATIONS, SCHEMA_VERSION } from './schema';
import { toStorageError } from './sqliteErrors';

export const DATABASE_FILE_NAME = 'revoker.sqlite';

/** How long a write waits for another connection's (or process's) lock by default. */
export const DEFAULT_BUSY_TIMEOUT_IN_MS = 5000;

export interface OpenDatabaseOptions {
  /** Directory for the database; created (mode 0700) when missing. */
  readonly dataDir: string;
  /**
   * How long a write waits for the lock held by another connection or process before failing with
   * StorageUnavailableError. Writes run in the writer thread (src/storage/sqliteWriter.ts), so the
   * wait does not block the event loop; reads in WAL mode do not wait for writers.
   */
  readonly busyTimeoutInMs?: number;
}

/** The database file's path for a data directory. */
export function databaseFilePath(dataDir: string): string {
  return path.join(dataDir, DATABASE_FILE_NAME);
}

/** Which file a connection opened: a path can come to name another one. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

/**
 * One open connection, through which every read goes (and, in the writer thread, every group of
 * writes: src/storage/groupCommit.ts) so that failures are mapped consistently and writes that
 * cannot persist are refused.
 */
export class SqliteConnection {
  private closed = false;

  /** @param db the raw connection; exposed for tests and maintenance, not for the use cases. */
  constructor(
    readonly db: Database.Database,
    readonly filePath: string,
    readonly identity: FileIdentity,
  ) {}

  /** Runs `fn` as a read; failures that mean "unusable" become StorageUnavailableError. */
  read<T>(operation: string, fn: (db: Database.Database) => T): T {
    return this.run(operation, () => fn(this.db));
  }

  /** Closes the connection (idempotent). The last connection to close checkpoints the WAL. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.db.close();
    } catch (error) {
      throw toStorageError(error, 'close');
    }
  }

  /**
   * Throws StorageUnavailableError when the connection is closed or the path no longer names the
   * file it opened. The writer thread calls it before each group's transaction.
   */
  checkFile(operation: string): void {
    if (this.closed) throw new StorageUnavailableError(`Storage unavailable during ${operation} (closed).`);
    this.assertSameFile(operation);
  }

  private run<T>(operation: string, fn: () => T): T {
    this.checkFile(operation);
    try {
      return fn();
    } catch (error) {
      throw toStorageError(error, operation);
    }
  }

  /**
   * SQLite keeps writing through its open descriptors after the file is deleted, renamed or
   * replaced (in WAL mode it does not notice), and running as root no permission stops it: those
   * writes would vanish with the orphaned inode. So every operation first checks that the path
   * still names the file this connection opened.
   */
  private assertSameFile(operation: string): void {
    let same: boolean;
    try {
      const stats = statSync(this.filePath, { throwIfNoEntry: false });
      same = stats !== undefined && stats.isFile() && stats.dev === this.identity.dev && stats.ino === this.identity.ino;
    } catch (error) {
      throw new StorageUnavailableError(`Storage unavailable during ${operation} (database file unreachable).`, { cause: error });
    }
    if (!same) throw new StorageUnavailableError(`Storage unavailable during ${operation} (database file moved, replaced or deleted).`);
  }
}

/**
 * Opens the database: directory 0700 and file 0600 when created, WAL journal, synchronous=FULL
 * (a committed write survives power loss), a busy timeout so several processes can share the
 * file, foreign keys on, schema migrated.
 *
 * @throws StorageUnavailableError when the directory or file cannot be created or opened, the
 *   file is not a usable SQLite database, or its schema is newer than this build.
 */
export function openDatabase(options: OpenDatabaseOptions): SqliteConnection {
  const filePath = databaseFilePath(options.dataDir);
  let created: boolean;
  try {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    created = createPrivateFile(filePath);
  } catch (error) {
    throw new StorageUnavailableError('Storage unavailable: cannot create the data directory or database file.', { cause: error });
  }

  return connect({
    filePath,
    busyTimeoutInMs: options.busyTimeoutInMs,
    fileMustExist: false,
    prepare: (db) => {
      configure(db);
      migrate(db);
    },
    // SQLite syncs the directory for the WAL it creates, but not for the main file we created.
    opened: () => created && fsyncDirectory(options.dataDir),
  });
}

/**
 * Opens another connection to the very file an earlier openDatabase opened (`identity`), as that
 * left it: it creates nothing and migrates nothing, so it takes no lock and opens even while
 * another process holds the write lock. The writer thread opens its connection so.
 *
 * @throws StorageUnavailableError when the file is gone or was replaced since, or its schema is
 *   not this build's.
 */
export function reopenDatabase(options: OpenDatabaseOptions, identity: FileIdentity): SqliteConnection {
  return connect({
    filePath: databaseFilePath(options.dataDir),
    busyTimeoutInMs: options.busyTimeoutInMs,
    fileMustExist: true,
    prepare: (db) => {
      configure(db);
      const version = Number(db.pragma('user_version', { simple: true }));
      if (version !== SCHEMA_VERSION)
        throw new StorageUnavailableError(
          `Storage unavailable: the database's schema version is ${version}, not this build's (${SCHEMA_VERSION}).`,
        );
    },
    opened: (file) => {
      if (file.dev !== identity.dev || file.ino !== identity.ino)
        throw new StorageUnavailableError('Storage unavailable during open (database file moved, replaced or deleted).');
    },
  });
}

interface ConnectOptions {
  readonly filePath: string;
  readonly busyTimeoutInMs: number | undefined;
  readonly fileMustExist: boolean;
  /** Configures the fresh connection; run again while the file is busy. */
  readonly prepare: (db: Database.Database) => void;
  /** Told which file was opened; may refuse it by throwing. */
  readonly opened: (file: FileIdentity) => unknown;
}

function connect(options: ConnectOptions): SqliteConnection {
  const busyTimeoutInMs = options.busyTimeoutInMs ?? DEFAULT_BUSY_TIMEOUT_IN_MS;
  let db: Database.Database | undefined;
  try {
    const connection = new Database(options.filePath, { timeout: busyTimeoutInMs, fileMustExist: options.fileMustExist });
    db = connection;
    retryWhileBusy(busyTimeoutInMs, () => options.prepare(connection));
    const stats = statSync(options.filePath);
    const identity = { dev: stats.dev, ino: stats.ino };
    options.opened(identity);
    return new SqliteConnection(db, options.filePath, identity);
  } catch (error) {
    try {
      db?.close();
    } catch {
      // the open failure is the one worth reporting
    }
    const mapped = toStorageError(error, 'open');
    if (isStorageUnavailable(mapped)) throw mapped;
    throw new StorageUnavailableError('Storage unavailable: cannot open the database.', { cause: error });
  }
}

/** Creates the file with mode 0600 if absent (SQLite gives -wal/-shm the same mode); true when created. */
function createPrivateFile(filePath: string): boolean {
  const created = !existsSync(filePath);
  const fd = openSync(filePath, 'a', 0o600);
  try {
    fchmodSync(fd, 0o600); // also tightens a file an older, laxer run left behind
  } finally {
    closeSync(fd);
  }
  for (const suffix of ['-wal', '-shm']) {
    try {
      chmodSync(`${filePath}${suffix}`, 0o600);
    } catch {
      // absent: SQLite will create it with the database file's mode
    }
  }
  return created;
}

/**
 * Runs `fn` again while it fails with SQLITE_BUSY, until `timeoutInMs` has passed. Switching a
 * fresh file to WAL, or opening while another process's last connection is checkpointing on
 * close, fails with SQLITE_BUSY at once, without waiting on the busy handler; two bot instances
 * starting together hit exactly that.
 */
function retryWhileBusy(timeoutInMs: number, fn: () => void): void {
  const deadline = deadlineIn(timeoutInMs);
  for (;;) {
    try {
      fn();
      return;
    } catch (error) {
      const busy = error instanceof Database.SqliteError && error.code.startsWith('SQLITE_BUSY');
      if (!busy || msUntil(deadline) <= 0) throw error;
      sleepSync(10 + Math.floor(Math.random() * 20));
    }
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function configure(db: Database.Database): void {
  // Only switch when needed: setting the mode takes an exclusive lock even when it is already WAL.
  const current: unknown = db.pragma('journal_mode', { simple: true });
  const journalMode: unknown = current === 'wal' ? current : db.pragma('journal_mode = WAL', { simple: true });
  if (journalMode !== 'wal') throw new StorageUnavailableError('Storage unavailable: the database cannot use a WAL journal here.');
  // In WAL mode FULL fsyncs the WAL at every commit: a resolved write survives power loss.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  // After a checkpoint, shrink the WAL back rather than keeping its high-water size.
  db.pragma('journal_size_limit = 67108864');
}

function migrate(db: Database.Database): void {
  db.transaction(() => {
    const version = Number(db.pragma('user_version', { simple: true }));
    if (version > SCHEMA_VERSION) {
      throw new StorageUnavailableError(
        `Storage unavailable: database schema version ${version} is newer than this build (${SCHEMA_VERSION}).`,
      );
    }
    for (let next = version; next < SCHEMA_VERSION; next += 1) {
      const migration = MIGRATIONS[next];
      if (migration === undefined) break;
      if (typeof migration === 'string') db.exec(migration);
      else migration(db);
    }
    if (version !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/** fsyncs a directory, so a file created or renamed in it survives power loss. */
export function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
