/**
 * Validation of audit entries at the storage boundary, shared by every backend and by the chain
 * verifier: only AuditEntry's fields, each of the right type, are ever stored or hashed.
 */
import { AUDIT_ACTIONS, AUDIT_OUTCOMES, type AuditActor, type AuditEntry, type AuditTarget } from '../app/ports/auditLog';

export const DEFAULT_AUDIT_PAGE_SIZE = 100;
export const MAX_AUDIT_PAGE_SIZE = 1000;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

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

/** A paging cursor or limit: undefined, or a safe integer. */
export function auditCursor(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new TypeError(`${name} must be an integer.`);
  return value;
}
