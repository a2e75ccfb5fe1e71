/**
 * AuditLog on SQLite. Appends commit with synchronous=FULL (the WAL is fsync'd) before the
 * promise resolves; triggers in the schema make the table append-only for every connection.
 */
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import {
  AuditRecordRejectedError,
  isStorageUnavailable,
  type AuditEntry,
  type AuditFilter,
  type AuditLog,
  type AuditRecord,
} from '../app/ports/auditLog';
import { chainRecord, GENESIS_HASH, type AuditChainSource, type StoredAuditRecord } from './auditChain';
import { auditCursor, DEFAULT_AUDIT_PAGE_SIZE, MAX_AUDIT_PAGE_SIZE, normalizeAuditEntry } from './auditEntry';
import { openDatabase, type OpenDatabaseOptions, type SqliteConnection } from './openDatabase';
import { AUDIT_GUARD_TRIGGERS } from './schema';
import { serializeWithoutSecrets } from './secretGuard';

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

interface InsertParams {
  seq: number;
  id: string;
  at: string;
  tenantId: string;
  action: string;
  outcome: string;
  actorId: string | null;
  targetId: string | null;
  requestId: string | null;
  entry: string;
  prevHash: string;
  hash: string;
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

/** {@link AuditLog} on one SQLite connection. Create it with {@link SqliteAuditLog.open}. */
export class SqliteAuditLog implements AuditLog, AuditChainSource {
  private readonly insert: Database.Statement<[InsertParams]>;
  private readonly last: Database.Statement<[], { seq: number; hash: string | null }>;

  /** Opens its own connection to the database under `dataDir`. */
  static open(options: OpenDatabaseOptions): SqliteAuditLog {
    return new SqliteAuditLog(openDatabase(options));
  }

  /** Takes ownership of `connection` (close() closes it). */
  constructor(private readonly connection: SqliteConnection) {
    this.insert = connection.db.prepare(
      `INSERT INTO audit_records (seq, id, at, tenant_id, action, outcome, actor_id, target_id, request_id, entry, prev_hash, hash)
       VALUES (@seq, @id, @at, @tenantId, @action, @outcome, @actorId, @targetId, @requestId, @entry, @prevHash, @hash)`,
    );
    this.last = connection.db.prepare('SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1');
  }

  /**
   * Chains onto the last record inside one BEGIN IMMEDIATE transaction: the write lock is taken
   * before the last record is read, so appenders in other connections or processes queue behind
   * it and the chain stays linear.
   */
  async append(entry: AuditEntry): Promise<AuditRecord> {
    const normalized = normalizeAuditEntry(entry);
    const json = serializeWithoutSecrets(normalized);
    const id = randomUUID();
    try {
      return this.connection.write('audit append', () => {
        const last = this.last.get();
        const record = chainRecord(normalized, (last?.seq ?? 0) + 1, id, last ? (last.hash ?? '') : GENESIS_HASH);
        this.insert.run({
          seq: record.seq,
          id,
          at: normalized.at,
          tenantId: normalized.tenantId,
          action: normalized.action,
          outcome: normalized.outcome,
          actorId: normalized.actor?.aadObjectId ?? null,
          targetId: normalized.target?.id ?? null,
          requestId: normalized.requestId ?? null,
          entry: json,
          prevHash: record.prevHash,
          hash: record.hash,
        });
        return record;
      });
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
    return this.connection.read('audit list', () => {
      const rows = this.connection.db
        .prepare<(string | number)[], AuditRow>(
          `SELECT seq, id, entry, prev_hash, hash FROM audit_records ${where} ORDER BY seq DESC LIMIT ?`,
        )
        .all(...params);
      return rows.map((row) => recordOf(row) as unknown as AuditRecord);
    });
  }

  async guardProblems(): Promise<string[]> {
    const triggers = this.connection.read('audit verify', (db) =>
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
    const page = this.connection.db.prepare<[number], FullAuditRow>('SELECT * FROM audit_records WHERE seq > ? ORDER BY seq LIMIT 1000');
    for (let after = 0; ;) {
      const rows = this.connection.read('audit verify', () => page.all(after));
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
    this.connection.close();
  }
}
