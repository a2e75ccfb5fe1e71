/**
 * StateStore on SQLite. Every write runs in a BEGIN IMMEDIATE transaction, so compare-and-set
 * (`UPDATE … WHERE etag = ?` and checking that one row changed) is atomic across connections
 * and processes sharing the file.
 */
import { randomBytes } from 'node:crypto';
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
import { openDatabase, type OpenDatabaseOptions, type SqliteConnection } from './openDatabase';
import { assertNoSecretLikeContent, serializeWithoutSecrets } from './secretGuard';
import type { Clock } from '../domain/clock';

/** How many expired items of a namespace a create removes on the way (lazy sweeping). */
const SWEEP_BATCH_SIZE = 100;

export interface SqliteStateStoreOptions {
  /** The clock deciding expiry: the one the use cases read, so both agree on what has expired. */
  readonly clock: Clock;
}

interface ItemRow {
  readonly value: string;
  readonly etag: string;
}

interface KeyedItemRow extends ItemRow {
  readonly key: string;
}

interface EtagRow {
  readonly etag: string;
}

interface Statements {
  readonly selectLive: Database.Statement<[string, string, number], ItemRow>;
  readonly selectAny: Database.Statement<[string, string], ItemRow>;
  readonly insert: Database.Statement<[{ ns: string; key: string; value: string; etag: string; now: number; expiresAt: number | null }]>;
  readonly update: Database.Statement<
    [{ ns: string; key: string; value: string; etag: string; newEtag: string; now: number; expiresAt: number | null }]
  >;
  readonly selectLiveEtag: Database.Statement<[string, string, number], EtagRow>;
  readonly deleteExpiredKey: Database.Statement<[string, string, number]>;
  readonly deleteLive: Database.Statement<[string, string, number]>;
  readonly deleteLiveIfEtag: Database.Statement<[string, string, number, string]>;
  readonly sweepNamespace: Database.Statement<[string, number, number]>;
  readonly sweepAll: Database.Statement<[number]>;
  readonly list: Database.Statement<[string, number, number], KeyedItemRow>;
  readonly listWithPrefix: Database.Statement<[{ ns: string; now: number; prefix: string; limit: number }], KeyedItemRow>;
  readonly touchHealth: Database.Statement<[number]>;
  readonly readHealth: Database.Statement<[], { checked_at: number }>;
}

const LIVE = '(expires_at IS NULL OR expires_at > ?)';
const NEXT_WRITE_SEQ = '(SELECT coalesce(max(write_seq), 0) + 1 FROM state_items WHERE ns = @ns)';

function prepareStatements(db: Database.Database): Statements {
  return {
    selectLive: db.prepare(`SELECT value, etag FROM state_items WHERE ns = ? AND key = ? AND ${LIVE}`),
    selectAny: db.prepare('SELECT value, etag FROM state_items WHERE ns = ? AND key = ?'),
    insert: db.prepare(
      `INSERT INTO state_items (ns, key, value, etag, write_seq, updated_at, expires_at)
       VALUES (@ns, @key, @value, @etag, ${NEXT_WRITE_SEQ}, @now, @expiresAt)
       ON CONFLICT (ns, key) DO NOTHING`,
    ),
    update: db.prepare(
      `UPDATE state_items SET value = @value, etag = @newEtag, write_seq = ${NEXT_WRITE_SEQ}, updated_at = @now, expires_at = @expiresAt
       WHERE ns = @ns AND key = @key AND etag = @etag AND (expires_at IS NULL OR expires_at > @now)`,
    ),
    selectLiveEtag: db.prepare(`SELECT etag FROM state_items WHERE ns = ? AND key = ? AND ${LIVE}`),
    deleteExpiredKey: db.prepare('DELETE FROM state_items WHERE ns = ? AND key = ? AND expires_at <= ?'),
    deleteLive: db.prepare(`DELETE FROM state_items WHERE ns = ? AND key = ? AND ${LIVE}`),
    deleteLiveIfEtag: db.prepare(`DELETE FROM state_items WHERE ns = ? AND key = ? AND ${LIVE} AND etag = ?`),
    sweepNamespace: db.prepare(
      'DELETE FROM state_items WHERE rowid IN (SELECT rowid FROM state_items WHERE ns = ? AND expires_at <= ? LIMIT ?)',
    ),
    sweepAll: db.prepare('DELETE FROM state_items WHERE expires_at <= ?'),
    // LIMIT -1 means no limit in SQLite.
    list: db.prepare(`SELECT key, value, etag FROM state_items WHERE ns = ? AND ${LIVE} ORDER BY write_seq DESC LIMIT ?`),
    // substr/length count characters, so the prefix match is exact and case-sensitive (LIKE is neither).
    listWithPrefix: db.prepare(
      `SELECT key, value, etag FROM state_items
       WHERE ns = @ns AND (expires_at IS NULL OR expires_at > @now) AND substr(key, 1, length(@prefix)) = @prefix
       ORDER BY write_seq DESC LIMIT @limit`,
    ),
    touchHealth: db.prepare(
      'INSERT INTO health (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at',
    ),
    readHealth: db.prepare('SELECT checked_at FROM health WHERE id = 1'),
  };
}

/** A fresh opaque etag. Random rather than a counter, so a deleted-then-recreated item never reuses one. */
function newEtag(): string {
  return randomBytes(16).toString('base64url');
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

/** {@link StateStore} on one SQLite connection. Create it with {@link SqliteStateStore.open}. */
export class SqliteStateStore implements StateStore {
  private readonly statements: Statements;
  private readonly now: () => number;

  /** Opens its own connection to the database under `dataDir`. */
  static open(options: OpenDatabaseOptions & SqliteStateStoreOptions): SqliteStateStore {
    return new SqliteStateStore(openDatabase(options), options);
  }

  /** Takes ownership of `connection` (close() closes it). */
  constructor(
    private readonly connection: SqliteConnection,
    options: SqliteStateStoreOptions,
  ) {
    this.statements = prepareStatements(connection.db);
    this.now = () => options.clock.now().getTime();
  }

  async get<T>(namespace: string, key: string): Promise<StoredItem<T> | undefined> {
    assertName('namespace', namespace);
    assertName('key', key);
    return this.connection.read('state get', () => {
      const row = this.statements.selectLive.get(namespace, key, this.now());
      return row ? toItem<T>(row) : undefined;
    });
  }

  async create<T>(namespace: string, key: string, value: T, options?: WriteOptions): Promise<CreateResult<T>> {
    assertName('namespace', namespace);
    assertName('key', key);
    const json = serializeWithoutSecrets(value);
    const expiresAt = expiryOf(options);
    return this.connection.write('state create', (): CreateResult<T> => {
      const now = this.now();
      const s = this.statements;
      s.deleteExpiredKey.run(namespace, key, now);
      const etag = newEtag();
      if (s.insert.run({ ns: namespace, key, value: json, etag, now, expiresAt }).changes === 1) {
        s.sweepNamespace.run(namespace, now, SWEEP_BATCH_SIZE);
        return { ok: true, etag };
      }
      // Expired rows were just removed, so the one in the way is live.
      const current = s.selectAny.get(namespace, key);
      if (!current) throw new Error('Insert conflicted with a row that is not there.');
      return { ok: false, reason: 'exists', current: toItem<T>(current) };
    });
  }

  async replace<T>(namespace: string, key: string, value: T, etag: string, options?: WriteOptions): Promise<ReplaceResult> {
    assertName('namespace', namespace);
    assertName('key', key);
    if (typeof etag !== 'string') throw new TypeError('etag must be a string.');
    const json = serializeWithoutSecrets(value);
    const expiresAt = expiryOf(options);
    return this.connection.write('state replace', (): ReplaceResult => {
      const now = this.now();
      const s = this.statements;
      const newTag = newEtag();
      if (s.update.run({ ns: namespace, key, value: json, etag, newEtag: newTag, now, expiresAt }).changes === 1)
        return { ok: true, etag: newTag };
      if (s.selectLiveEtag.get(namespace, key, now)) return { ok: false, reason: 'conflict' };
      s.deleteExpiredKey.run(namespace, key, now);
      return { ok: false, reason: 'missing' };
    });
  }

  async delete(namespace: string, key: string, etag?: string): Promise<boolean> {
    assertName('namespace', namespace);
    assertName('key', key);
    if (etag !== undefined && typeof etag !== 'string') throw new TypeError('etag must be a string when given.');
    return this.connection.write('state delete', () => {
      const now = this.now();
      const s = this.statements;
      s.deleteExpiredKey.run(namespace, key, now);
      const result = etag === undefined ? s.deleteLive.run(namespace, key, now) : s.deleteLiveIfEtag.run(namespace, key, now, etag);
      return result.changes === 1;
    });
  }

  async list<T>(namespace: string, options: ListOptions = {}): Promise<(StoredItem<T> & { key: string })[]> {
    assertName('namespace', namespace);
    const { limit, keyPrefix } = options;
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) throw new TypeError('limit must be a non-negative integer.');
    if (keyPrefix !== undefined && typeof keyPrefix !== 'string') throw new TypeError('keyPrefix must be a string.');
    return this.connection.read('state list', () => {
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
    return this.connection.write('state sweep', () => this.statements.sweepAll.run(this.now()).changes);
  }

  /** Resolves when a write to the database commits (durably) and reads back. */
  async check(): Promise<void> {
    this.connection.write('state check', () => {
      const now = this.now();
      this.statements.touchHealth.run(now);
      if (this.statements.readHealth.get()?.checked_at !== now)
        throw new StorageUnavailableError('Storage unavailable: the readiness write did not read back.');
    });
  }

  async close(): Promise<void> {
    this.connection.close();
  }
}
