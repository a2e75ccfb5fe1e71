/**
 * StateStore on SQLite. Reads run on the event loop; writes go to the writer thread, where each
 * runs inside a group's BEGIN IMMEDIATE transaction (src/storage/sqliteWrites.ts has their SQL), so
 * compare-and-set is atomic across connections and processes sharing the file, and a write
 * resolves only once its group's commit was fsync'd.
 */
import type Database from 'better-sqlite3';
import {
  StorageUnavailableError,
  type CreateResult,
  type ListOptions,
  type ReplaceResult,
  type StateStore,
  type StoredItem,
  type WriteOptions,
} from '../app/ports/stateStore';
import type { OpenDatabaseOptions } from './openDatabase';
import { assertNoSecretLikeContent, serializeWithoutSecrets } from './secretGuard';
import { SqliteDatabase } from './sqliteDatabase';
import { operationName, type WriteRequest, type WriteResults } from './sqliteWriteProtocol';
import { LIVE } from './sqliteWrites';
import type { Clock } from '../domain/clock';

export interface SqliteStateStoreOptions {
  /**
   * The clock deciding expiry: the one the use cases read, so both agree on what has expired. Each
   * write carries its reading to the writer thread, which never reads the machine's clock.
   */
  readonly clock: Clock;
}

interface ItemRow {
  readonly value: string;
  readonly etag: string;
}

interface KeyedItemRow extends ItemRow {
  readonly key: string;
}

interface Statements {
  readonly selectLive: Database.Statement<[string, string, number], ItemRow>;
  readonly list: Database.Statement<[string, number, number], KeyedItemRow>;
  readonly listWithPrefix: Database.Statement<[{ ns: string; now: number; prefix: string; limit: number }], KeyedItemRow>;
}

function prepareStatements(db: Database.Database): Statements {
  return {
    selectLive: db.prepare(`SELECT value, etag FROM state_items WHERE ns = ? AND key = ? AND ${LIVE}`),
    // LIMIT -1 means no limit in SQLite.
    list: db.prepare(`SELECT key, value, etag FROM state_items WHERE ns = ? AND ${LIVE} ORDER BY write_seq DESC LIMIT ?`),
    // substr/length count characters, so the prefix match is exact and case-sensitive (LIKE is neither).
    listWithPrefix: db.prepare(
      `SELECT key, value, etag FROM state_items
       WHERE ns = @ns AND (expires_at IS NULL OR expires_at > @now) AND substr(key, 1, length(@prefix)) = @prefix
       ORDER BY write_seq DESC LIMIT @limit`,
    ),
  };
}

function assertName(what: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(`${what} must be a non-empty string.`);
  assertNoSecretLikeContent(name);
}

function expiryOf(options: WriteOptions | undefined): number | null {
  const expiresAt = options?.expiresAt;
  if (expiresAt === undefined) return null;
  if (!(expiresAt instanceof Date) || Number.isNaN(expiresAt.getTime())) throw new TypeError('expiresAt must be a valid Date.');
  return expiresAt.getTime();
}

function toItem<T>(row: ItemRow): StoredItem<T> {
  return { value: JSON.parse(row.value) as T, etag: row.etag };
}

/** {@link StateStore} on the SQLite database. Create it with {@link SqliteStateStore.open}. */
export class SqliteStateStore implements StateStore {
  private readonly statements: Statements;
  private readonly now: () => number;
  private readonly release: () => Promise<void>;
  private closed = false;

  /** Opens the database under `dataDir` for this store alone. */
  static open(options: OpenDatabaseOptions & SqliteStateStoreOptions): SqliteStateStore {
    return new SqliteStateStore(SqliteDatabase.open(options), options);
  }

  /** Uses `database` until close() (which closes it once its other users have closed too). */
  constructor(
    private readonly database: SqliteDatabase,
    options: SqliteStateStoreOptions,
  ) {
    this.statements = prepareStatements(database.reader.db);
    this.now = () => options.clock.now().getTime();
    this.release = database.retain();
  }

  async get<T>(namespace: string, key: string): Promise<StoredItem<T> | undefined> {
    assertName('namespace', namespace);
    assertName('key', key);
    return this.read('state get', () => {
      const row = this.statements.selectLive.get(namespace, key, this.now());
      return row ? toItem<T>(row) : undefined;
    });
  }

  async create<T>(namespace: string, key: string, value: T, options?: WriteOptions): Promise<CreateResult<T>> {
    assertName('namespace', namespace);
    assertName('key', key);
    const json = serializeWithoutSecrets(value);
    const expiresAt = expiryOf(options);
    const result = await this.write({ op: 'state.create', ns: namespace, key, json, expiresAt, now: this.now() });
    return result.ok
      ? result
      : { ok: false, reason: 'exists', current: toItem<T>({ value: result.current.json, etag: result.current.etag }) };
  }

  async replace<T>(namespace: string, key: string, value: T, etag: string, options?: WriteOptions): Promise<ReplaceResult> {
    assertName('namespace', namespace);
    assertName('key', key);
    if (typeof etag !== 'string') throw new TypeError('etag must be a string.');
    const json = serializeWithoutSecrets(value);
    const expiresAt = expiryOf(options);
    return this.write({ op: 'state.replace', ns: namespace, key, json, etag, expiresAt, now: this.now() });
  }

  async delete(namespace: string, key: string, etag?: string): Promise<boolean> {
    assertName('namespace', namespace);
    assertName('key', key);
    if (etag !== undefined && typeof etag !== 'string') throw new TypeError('etag must be a string when given.');
    return this.write({ op: 'state.delete', ns: namespace, key, etag: etag ?? null, now: this.now() });
  }

  async list<T>(namespace: string, options: ListOptions = {}): Promise<(StoredItem<T> & { key: string })[]> {
    assertName('namespace', namespace);
    const { limit, keyPrefix } = options;
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) throw new TypeError('limit must be a non-negative integer.');
    if (keyPrefix !== undefined && typeof keyPrefix !== 'string') throw new TypeError('keyPrefix must be a string.');
    return this.read('state list', () => {
      const now = this.now();
      const rows =
        keyPrefix === undefined || keyPrefix === ''
          ? this.statements.list.all(namespace, now, limit ?? -1)
          : this.statements.listWithPrefix.all({ ns: namespace, now, prefix: keyPrefix, limit: limit ?? -1 });
      return rows.map((row) => ({ key: row.key, ...toItem<T>(row) }));
    });
  }

  /** Deletes every expired item (all namespaces); returns how many. For a periodic sweep. */
  async sweepExpired(): Promise<number> {
    return this.write({ op: 'state.sweep', now: this.now() });
  }

  /** Resolves when a write to the database commits (durably) and reads back. */
  async check(): Promise<void> {
    await this.write({ op: 'state.check', now: this.now() });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.release();
  }

  private read<T>(operation: string, fn: () => T): T {
    if (this.closed) throw new StorageUnavailableError(`Storage unavailable during ${operation} (closed).`);
    return this.database.reader.read(operation, fn);
  }

  private write<R extends WriteRequest>(request: R): Promise<WriteResults[R['op']]> {
    if (this.closed) return Promise.reject(new StorageUnavailableError(`Storage unavailable during ${operationName(request)} (closed).`));
    return this.database.writer.write(request);
  }
}
