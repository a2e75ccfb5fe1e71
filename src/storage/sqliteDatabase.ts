/**
 * The bot's SQLite database as one process uses it: a connection on the event loop for reads (in
 * WAL mode a read never waits for a writer, and it sees every write whose promise has resolved),
 * and the writer thread for every write (src/storage/sqliteWriter.ts). The state store and the
 * audit log share one, so their writes commit in the same groups.
 */
import { openDatabase, type OpenDatabaseOptions, type SqliteConnection } from './openDatabase';
import { SqliteWriter } from './sqliteWriter';

export class SqliteDatabase {
  private users = 0;
  private closing: Promise<void> | undefined;

  /**
   * Opens (creating and migrating if need be) the database on this thread, so an unusable file is
   * refused here and now; the writer thread opens its own connection with the first write.
   *
   * @throws StorageUnavailableError when the database cannot be created or opened.
   */
  static open(options: OpenDatabaseOptions): SqliteDatabase {
    const reader = openDatabase(options);
    return new SqliteDatabase(
      reader,
      new SqliteWriter({ dataDir: options.dataDir, busyTimeoutInMs: options.busyTimeoutInMs, file: reader.identity }),
    );
  }

  constructor(
    readonly reader: SqliteConnection,
    readonly writer: SqliteWriter,
  ) {}

  /** Registers one more user; the database closes once every user has called its release (each once). */
  retain(): () => Promise<void> {
    this.users += 1;
    let released = false;
    return async () => {
      if (released) return this.closing;
      released = true;
      this.users -= 1;
      if (this.users === 0) await this.close();
    };
  }

  /**
   * Closes the reading connection, then lets the writer finish its queued writes and close its
   * connection: being the last, it checkpoints the WAL. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        this.reader.close();
      } finally {
        await this.writer.close();
      }
    })();
    return this.closing;
  }
}
