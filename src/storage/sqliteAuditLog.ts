/**
 * AuditLog on SQLite. Appends commit with synchronous=FULL (the WAL is fsync'd) before the
 * promise resolves; triggers in the schema make the table append-only for every connection.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import {
  AUDIT_ACTIONS,
  AUDIT_OUTCOMES,
  type AuditActor,
  type AuditEntry,
  type AuditFilter,
  type AuditLog,
  type AuditRecord,
  type AuditTarget,
} from '../app/ports/auditLog';
import { openDatabase, type OpenDatabaseOptions, type SqliteConnection } from './openDatabase';
import { serializeWithoutSecrets } from './secretGuard';

export const DEFAULT_AUDIT_PAGE_SIZE = 100;
export const MAX_AUDIT_PAGE_SIZE = 1000;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

interface AuditRow {
  readonly seq: number;
  readonly id: string;
  readonly entry: string;
}

function requiredString(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`Audit entry ${field} must be a non-empty string.`);
  return value;
}

function optionalString(field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new TypeError(`Audit entry ${field} must be a string when present.`);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Drops undefined properties, so stored JSON and the returned record agree. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}

function normalizeActor(value: unknown): AuditActor | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw new TypeError('Audit entry actor must be an object when present.');
  return compact({
    aadObjectId: requiredString('actor.aadObjectId', value.aadObjectId),
    userPrincipalName: optionalString('actor.userPrincipalName', value.userPrincipalName),
    name: optionalString('actor.name', value.name),
  });
}

function normalizeTarget(value: unknown): AuditTarget | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw new TypeError('Audit entry target must be an object when present.');
  return compact({
    id: requiredString('target.id', value.id),
    userPrincipalName: optionalString('target.userPrincipalName', value.userPrincipalName),
    displayName: optionalString('target.displayName', value.displayName),
  });
}

/**
 * A validated copy holding only AuditEntry's fields (extra properties a caller's object
 * happens to carry are never persisted).
 *
 * @throws TypeError naming the first malformed field (never its value).
 */
export function normalizeAuditEntry(entry: AuditEntry): AuditEntry {
  const source: unknown = entry;
  if (!isObject(source)) throw new TypeError('Audit entry must be an object.');
  const at = requiredString('at', source.at);
  if (!ISO_TIME.test(at) || Number.isNaN(Date.parse(at))) throw new TypeError('Audit entry at must be an ISO 8601 time.');
  const action = AUDIT_ACTIONS.find((known) => known === source.action);
  if (!action) throw new TypeError('Audit entry action is not a known audit action.');
  const outcome = AUDIT_OUTCOMES.find((known) => known === source.outcome);
  if (!outcome) throw new TypeError('Audit entry outcome is not a known outcome.');
  return compact({
    at,
    tenantId: requiredString('tenantId', source.tenantId),
    action,
    outcome,
    actor: normalizeActor(source.actor),
    target: normalizeTarget(source.target),
    requestId: optionalString('requestId', source.requestId),
    code: optionalString('code', source.code),
    graphRequestId: optionalString('graphRequestId', source.graphRequestId),
    detail: optionalString('detail', source.detail),
    correlationId: optionalString('correlationId', source.correlationId),
  });
}

function optionalCursor(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new TypeError(`${name} must be an integer.`);
  return value;
}

/** {@link AuditLog} on one SQLite connection. Create it with {@link SqliteAuditLog.open}. */
export class SqliteAuditLog implements AuditLog {
  private readonly insert: Database.Statement<[{ id: string; at: string; tenantId: string; action: string; outcome: string; actorId: string | null; targetId: string | null; requestId: string | null; entry: string }], { seq: number }>;

  /** Opens its own connection to the database under `dataDir`. */
  static open(options: OpenDatabaseOptions): SqliteAuditLog {
    return new SqliteAuditLog(openDatabase(options));
  }

  /** Takes ownership of `connection` (close() closes it). */
  constructor(private readonly connection: SqliteConnection) {
    this.insert = connection.db.prepare(
      `INSERT INTO audit_records (id, at, tenant_id, action, outcome, actor_id, target_id, request_id, entry)
       VALUES (@id, @at, @tenantId, @action, @outcome, @actorId, @targetId, @requestId, @entry) RETURNING seq`,
    );
  }

  async append(entry: AuditEntry): Promise<AuditRecord> {
    const normalized = normalizeAuditEntry(entry);
    const json = serializeWithoutSecrets(normalized);
    const id = randomUUID();
    const seq = this.connection.write('audit append', () => {
      const row = this.insert.get({
        id,
        at: normalized.at,
        tenantId: normalized.tenantId,
        action: normalized.action,
        outcome: normalized.outcome,
        actorId: normalized.actor?.aadObjectId ?? null,
        targetId: normalized.target?.id ?? null,
        requestId: normalized.requestId ?? null,
        entry: json,
      });
      if (!row) throw new Error('Audit insert returned no seq.');
      return row.seq;
    });
    return { ...normalized, seq, id };
  }

  async list(filter: AuditFilter = {}): Promise<AuditRecord[]> {
    const limit = optionalCursor('limit', filter.limit) ?? DEFAULT_AUDIT_PAGE_SIZE;
    if (limit < 0) throw new TypeError('limit must not be negative.');
    const before = optionalCursor('before', filter.before);
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
      const rows = this.connection.db.prepare<(string | number)[], AuditRow>(`SELECT seq, id, entry FROM audit_records ${where} ORDER BY seq DESC LIMIT ?`).all(...params);
      return rows.map((row): AuditRecord => ({ ...(JSON.parse(row.entry) as AuditEntry), seq: row.seq, id: row.id }));
    });
  }

  async close(): Promise<void> {
    this.connection.close();
  }
}
