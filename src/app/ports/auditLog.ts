/**
 * The append-only audit trail: who asked to revoke whom, what the bot and Entra decided, and
 * how it ended. Entries are facts, never credentials.
 */
import { isStorageUnavailable } from './stateStore';

export { isStorageUnavailable, SecretLikeValueError, StorageUnavailableError } from './stateStore';

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
  /** Someone read a target's sign-in logs after a revoke (Check sign-ins). */
  | 'signins.checked'
  /** Someone read a target's authentication methods for the card (Review sign-in methods). */
  | 'methods.read'
  /** Someone read the audit trail in Teams (`audit`, `audit for …`). */
  | 'audit.viewed'
  /** Someone exported the audit trail (`audit export`, or the export CLI). */
  | 'audit.exported'
  /** Someone who may not read the audit trail asked to. */
  | 'audit.refused'
  /** A scheduled revocation was armed (its intent: target, steps, time; never a token). */
  | 'schedule.armed'
  /** A scheduled revocation was cancelled. */
  | 'schedule.cancelled'
  /** A schedule came due and its card was posted (detail: on time or how late). */
  | 'schedule.due'
  /** Nobody acted on a due card in time: the channel was reminded (detail: the delay). */
  | 'schedule.reminded'
  /** A due card went without a click until the next due time. */
  | 'schedule.missed'
  /** An alert arrived on POST /api/alerts: accepted (ok), a repeat (info) or refused (with why). */
  | 'alert.received'
  /** An alert refused on POST /api/alerts (a token or a payload), with why. */
  | 'alert.refused';

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
  'signins.checked',
  'methods.read',
  'audit.viewed',
  'audit.exported',
  'audit.refused',
  'schedule.armed',
  'schedule.cancelled',
  'schedule.due',
  'schedule.reminded',
  'schedule.missed',
  'alert.received',
  'alert.refused',
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

/**
 * A stored entry: `seq` grows by one with every append (the paging cursor); `id` is a UUID.
 * Records form a hash chain: `prevHash` is the previous record's `hash` (64 zeros for seq 1) and
 * `hash` is the SHA-256 of this record's canonical form (src/storage/auditChain.ts says exactly
 * what is hashed), so `npm run audit:verify` finds any record changed, removed or reordered.
 */
export interface AuditRecord extends AuditEntry {
  readonly seq: number;
  readonly id: string;
  readonly prevHash: string;
  readonly hash: string;
}

/**
 * Thrown by append when the log refuses this record for what it is (the store's own limits or
 * constraints), so writing it again can never succeed. The message never quotes the record.
 */
export class AuditRecordRejectedError extends Error {
  readonly code = 'audit_record_rejected';

  constructor(message = 'The audit log refused this record.', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditRecordRejectedError';
  }
}

/**
 * Whether a failed append can never succeed for this record (set it aside) rather than "not now"
 * (keep it and retry). Only StorageUnavailableError means "not now": every backend maps each
 * outage to it. Everything else — SecretLikeValueError, TypeError for a malformed entry,
 * AuditRecordRejectedError — is the log answering "no" to this record.
 */
export function isPermanentAuditFailure(error: unknown): boolean {
  return !isStorageUnavailable(error);
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
   * Appends durably (fsync'd) at the end of the chain before resolving; throws
   * StorageUnavailableError if it cannot now. Refuses (throws SecretLikeValueError) an entry that
   * contains anything that looks like a JWT or a secret — defence in depth — throws TypeError for
   * a malformed entry and AuditRecordRejectedError for one the store will never take. Only the
   * fields of {@link AuditEntry} are stored; anything else on the object is dropped.
   */
  append(entry: AuditEntry): Promise<AuditRecord>;
  /** Matching records, newest first (all filters combine with AND). */
  list(filter?: AuditFilter): Promise<AuditRecord[]>;
}
