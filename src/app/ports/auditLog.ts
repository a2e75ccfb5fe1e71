/**
 * The append-only audit trail: who asked to revoke whom, what the bot and Entra decided, and
 * how it ended. Entries are facts, never credentials.
 */
export { SecretLikeValueError, StorageUnavailableError } from './stateStore';

export type AuditAction =
  | 'command.received'
  | 'command.refused'
  | 'lookup.completed'
  | 'lookup.failed'
  | 'request.created'
  | 'request.cancelled'
  | 'request.expired'
  | 'request.confirmed'
  | 'request.refused'
  | 'revocation.started'
  | 'revocation.succeeded'
  | 'revocation.failed'
  | 'signin.refused'
  | 'approval.requested'
  | 'approval.approved'
  | 'approval.rejected'
  | 'containment.succeeded'
  | 'containment.failed'
  /** Someone read the audit trail in Teams (`audit`, `audit for …`). */
  | 'audit.viewed'
  /** Someone exported the audit trail (`audit export`, or the export CLI). */
  | 'audit.exported'
  /** Someone who may not read the audit trail asked to. */
  | 'audit.refused';

/** Every audit action, for validation at the storage boundary. */
export const AUDIT_ACTIONS: readonly AuditAction[] = [
  'command.received',
  'command.refused',
  'lookup.completed',
  'lookup.failed',
  'request.created',
  'request.cancelled',
  'request.expired',
  'request.confirmed',
  'request.refused',
  'revocation.started',
  'revocation.succeeded',
  'revocation.failed',
  'signin.refused',
  'approval.requested',
  'approval.approved',
  'approval.rejected',
  'containment.succeeded',
  'containment.failed',
  'audit.viewed',
  'audit.exported',
  'audit.refused',
];

export type AuditOutcome = 'ok' | 'refused' | 'failed' | 'info';

export const AUDIT_OUTCOMES: readonly AuditOutcome[] = ['ok', 'refused', 'failed', 'info'];

export interface AuditActor {
  readonly aadObjectId: string;
  readonly userPrincipalName?: string;
  readonly name?: string;
}

export interface AuditTarget {
  readonly id: string;
  readonly userPrincipalName?: string;
  readonly displayName?: string;
}

export interface AuditEntry {
  /** ISO 8601 time of the event. */
  readonly at: string;
  readonly tenantId: string;
  readonly action: AuditAction;
  readonly outcome: AuditOutcome;
  readonly actor?: AuditActor;
  readonly target?: AuditTarget;
  readonly requestId?: string;
  readonly code?: string;
  readonly graphRequestId?: string;
  readonly detail?: string;
  readonly correlationId?: string;
}

/** A stored entry: `seq` grows with every append (the paging cursor); `id` is a UUID. */
export interface AuditRecord extends AuditEntry {
  readonly seq: number;
  readonly id: string;
}

export interface AuditFilter {
  readonly targetId?: string;
  readonly actorId?: string;
  readonly requestId?: string;
  readonly tenantId?: string;
  /** Page size; 100 when absent, at most 1000. */
  readonly limit?: number;
  /** Only records with a seq below this one (the last seq of the previous page). */
  readonly before?: number;
}

export interface AuditLog {
  /**
   * Appends durably (fsync'd) before resolving; throws StorageUnavailableError if it cannot.
   * Refuses (throws SecretLikeValueError) an entry that contains anything that looks like a JWT
   * or a secret — defence in depth — and throws TypeError for a malformed entry. Only the
   * fields of {@link AuditEntry} are stored; anything else on the object is dropped.
   */
  append(entry: AuditEntry): Promise<AuditRecord>;
  /** Matching records, newest first (all filters combine with AND). */
  list(filter?: AuditFilter): Promise<AuditRecord[]>;
}
