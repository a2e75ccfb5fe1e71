/**
 * The audit trail as files: CSV (one row per record, fixed columns) and JSON Lines (one record per
 * line, exactly as stored). Used by the `audit export` command and by `npm run audit:export`.
 */
import type { AuditRecord } from './ports/auditLog';

/** CSV columns, in order. */
export const AUDIT_CSV_COLUMNS = [
  'seq',
  'id',
  'at',
  'tenantId',
  'action',
  'outcome',
  'actorId',
  'actorUpn',
  'actorName',
  'targetId',
  'targetUpn',
  'targetName',
  'requestId',
  'code',
  'graphRequestId',
  'correlationId',
  'detail',
] as const;

function cells(record: AuditRecord): (string | number | undefined)[] {
  return [
    record.seq,
    record.id,
    record.at,
    record.tenantId,
    record.action,
    record.outcome,
    record.actor?.aadObjectId,
    record.actor?.userPrincipalName,
    record.actor?.name,
    record.target?.id,
    record.target?.userPrincipalName,
    record.target?.displayName,
    record.requestId,
    record.code,
    record.graphRequestId,
    record.correlationId,
    record.detail,
  ];
}

/**
 * One CSV cell (RFC 4180 quoting). A text cell that a spreadsheet would run as a formula (it starts
 * with = + - @, a tab or a carriage return) gets a leading apostrophe: names come from the directory
 * and must never execute when an auditor opens the file.
 */
export function csvCell(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]|^\s|\s$/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** A header line and one line per record, in the order given, each ending with a newline. */
export function auditCsv(records: readonly AuditRecord[]): string {
  return [AUDIT_CSV_COLUMNS.join(','), ...records.map((record) => cells(record).map(csvCell).join(','))]
    .map((line) => `${line}\n`)
    .join('');
}

/** One JSON object per line, in the order given. */
export function auditJsonl(records: readonly AuditRecord[]): string {
  return records.map((record) => `${JSON.stringify(record)}\n`).join('');
}
