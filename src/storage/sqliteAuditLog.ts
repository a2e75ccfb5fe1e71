/**
 * AuditLog on SQLite. An append runs in the writer thread inside a group's transaction, chained
 * onto the last record (src/storage/sqliteWrites.ts), and resolves once that group's commit has
 * fsync'd the WAL (synchronous=FULL); triggers in the schema make the table append-only for every
 * connection. Reads run on the event loop.
 */
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import {
  AuditRecordRejectedError,
  isStorageUnavailable,
  StorageUnavailableError,
  type AuditEntry,
  type AuditFilter,
  type AuditLog,
  type AuditRecord,
} from '../app/ports/auditLog';
import type { AuditChainSource, StoredAuditRecord } from './auditChain';
import { auditCursor, DEFAULT_AUDIT_PAGE_SIZE, MAX_AUDIT_PAGE_SIZE, normalizeAuditEntry } from './auditEntry';
import type { OpenDatabaseOptions } from './openDatabase';
import { AUDIT_GUARD_TRIGGERS } from './schema';
import { serializeWithoutSecrets } from './secretGuard';
import { SqliteDatabase } from './sqliteDatabase';

export { DEFAULT_AUDIT_PAGE_SIZE, MAX_AUDIT_PAGE_SIZE, normalizeAuditEntry } from './auditEntry';

interface AuditRow {
  readonly seq: number;
  readonly id: string;
  readonly entry: string;
  readonly prev_hash: string | null;
  readonly hash: string | null;
}

/** A row with the columns that index it, for verification. */
interface FullAuditRow extends AuditRow {
  readonly at: string;
  readonly tenant_id: string;
  readonly action: string;
  readonly outcome: string;
  readonly actor_id: string | null;
  readonly target_id: string | null;
  readonly request_id: string | null;
}

function recordOf(row: AuditRow): Record<string, unknown> {
  const hashes = { ...(row.prev_hash !== null ? { prevHash: row.prev_hash } : {}), ...(row.hash !== null ? { hash: row.hash } : {}) };
  return { ...(JSON.parse(row.entry) as AuditEntry), seq: row.seq, id: row.id, ...hashes };
}

/** The index columns that disagree with the record's own fields (they decide what filters find). */
function disagreeingColumns(row: FullAuditRow, entry: AuditEntry): string[] {
  const expected: [string, string | null, string | null][] = [
    ['at', row.at, entry.at],
    ['tenant_id', row.tenant_id, entry.tenantId],
    ['action', row.action, entry.action],
    ['outcome', row.outcome, entry.outcome],
    ['actor_id', row.actor_id, entry.actor?.aadObjectId ?? null],
    ['target_id', row.target_id, entry.target?.id ?? null],
    ['request_id', row.request_id, entry.requestId ?? null],
  ];
  return expected.filter(([, column, field]) => column !== field).map(([name]) => name);
}

/** {@link AuditLog} on the SQLite database. Create it with {@link SqliteAuditLog.open}. */
export class SqliteAuditLog implements AuditLog, AuditChainSource {
  private readonly release: () => Promise<void>;
  private closed = false;

  /** Opens the database under `dataDir` for this log alone. */
  static open(options: OpenDatabaseOptions): SqliteAuditLog {
    return new SqliteAuditLog(SqliteDatabase.open(options));
  }

  /** Uses `database` until close() (which closes it once its other users have closed too). */
  constructor(private readonly database: SqliteDatabase) {
    this.release = database.retain();
  }

  /**
   * Chains onto the last record inside the group's BEGIN IMMEDIATE transaction: the write lock is
   * taken before the last record is read, so appenders in other connections or processes queue
   * behind it and the chain stays linear.
   */
  async append(entry: AuditEntry): Promise<AuditRecord> {
    const normalized = normalizeAuditEntry(entry);
    const json = serializeWithoutSecrets(normalized);
    if (this.closed) throw new StorageUnavailableError('Storage unavailable during audit append (closed).');
    try {
      return await this.database.writer.write({ op: 'audit.append', entry: normalized, json, id: randomUUID() });
    } catch (error) {
      if (isStorageUnavailable(error)) throw error;
      // The database answered and said no (a constraint, a size limit): it always will.
      const code = error instanceof Database.SqliteError ? error.code : 'unknown';
      throw new AuditRecordRejectedError(`The audit log refused the record (${code}).`, { cause: error });
    }
  }

  async list(filter: AuditFilter = {}): Promise<AuditRecord[]> {
    const limit = auditCursor('limit', filter.limit) ?? DEFAULT_AUDIT_PAGE_SIZE;
    if (limit < 0) throw new TypeError('limit must not be negative.');
    const before = auditCursor('before', filter.before);
    const conditions: string[] = [];
    const params: (string | number)[] = [];
    const equal = (column: string, value: string | undefined): void => {
      if (value === undefined) return;
      if (typeof value !== 'string') throw new TypeError(`Audit filter on ${column} must be a string.`);
      conditions.push(`${column} = ?`);
      params.push(value);
    };
    equal('tenant_id', filter.tenantId);
    equal('actor_id', filter.actorId);
    equal('target_id', filter.targetId);
    equal('request_id', filter.requestId);
    if (before !== undefined) {
      conditions.push('seq < ?');
      params.push(before);
    }
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    params.push(Math.min(limit, MAX_AUDIT_PAGE_SIZE));
    return this.read('audit list', (db) => {
      const rows = db
        .prepare<(string | number)[], AuditRow>(
          `SELECT seq, id, entry, prev_hash, hash FROM audit_records ${where} ORDER BY seq DESC LIMIT ?`,
        )
        .all(...params);
      return rows.map((row) => recordOf(row) as unknown as AuditRecord);
    });
  }

  async guardProblems(): Promise<string[]> {
    const triggers = this.read('audit verify', (db) =>
      db
        .prepare<[], { name: string; sql: string | null }>(
          "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_records'",
        )
        .all(),
    );
    return AUDIT_GUARD_TRIGGERS.filter(
      (name) => !triggers.some((trigger) => trigger.name === name && /RAISE\s*\(\s*ABORT/i.test(trigger.sql ?? '')),
    ).map(
      (name) =>
        `the append-only trigger ${name} is missing or no longer refuses (someone with write access to the database file removed it)`,
    );
  }

  async notes(): Promise<string[]> {
    return [];
  }

  async *stored(): AsyncIterable<StoredAuditRecord> {
    const page = this.read('audit verify', (db) =>
      db.prepare<[number], FullAuditRow>('SELECT * FROM audit_records WHERE seq > ? ORDER BY seq LIMIT 1000'),
    );
    for (let after = 0; ;) {
      const rows = this.read('audit verify', () => page.all(after));
      if (rows.length === 0) return;
      for (const row of rows) {
        after = row.seq;
        let record: Record<string, unknown>;
        try {
          record = recordOf(row);
        } catch {
          yield { position: row.seq, problem: 'the stored entry is not valid JSON' };
          continue;
        }
        const wrong = disagreeingColumns(row, record as unknown as AuditEntry);
        yield wrong.length > 0
          ? {
              position: row.seq,
              record,
              problem: `the index columns disagree with the record (${wrong.join(', ')}): filters would be misled`,
            }
          : { position: row.seq, record };
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.release();
  }

  private read<T>(operation: string, fn: (db: Database.Database) => T): T {
    if (this.closed) throw new StorageUnavailableError(`Storage unavailable during ${operation} (closed).`);
    return this.database.reader.read(operation, fn);
  }
}
