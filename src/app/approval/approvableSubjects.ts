/**
 * What the one approval workflow (approvalWorkflow.ts) needs of a kind of approvable subject: a
 * target description, the steps the approver approves, and an executor that does the approved
 * work with the approver's own access. Single revocation requests (src/app/revocation/requestApprovals.ts)
 * and bulk runs (src/app/bulk/bulkApprovals.ts) implement it now; an alert's request and a
 * scheduled item will next.
 */
import type { ApprovableKind, Approvable, Approver } from '../../domain/approval';
import type { Deadline } from '../../domain/clock';
import type { PersonRef } from '../../domain/people';
import type { DecisionProblem } from '../../domain/problems';
import type { Result } from '../../domain/result';
import type { ContainmentChoice } from '../../domain/revocationRequest';
import type { AuditTarget } from '../ports/auditLog';
import type { StoreNamespace } from '../ports/namespaces';
import type { StoredItem } from '../ports/stateStore';

/** The approval events the audit trail records for a subject. */
export type ApprovalEvent = 'requested' | 'approved' | 'rejected' | 'refused';

/** Who or what a subject is about. */
export interface SubjectDescription {
  /** The one person the subject acts on, when it is one (the audit records' target). */
  readonly target?: AuditTarget;
  /** Present when at most one subject may wait for approval per key at a time (e.g. per target person). */
  readonly awaitingKey?: string;
}

/** What the approved work did: the subject as it now stands, and the kind's own account of it. */
export interface Executed<T, E> {
  readonly subject: T;
  /** E.g. a bulk run's background execution; undefined for work that finished already. */
  readonly execution?: E;
  /**
   * Work that follows the answer (e.g. the read-back that verifies a revoke): the approver waits
   * for the approved work only; this records its check on the stored subject and resolves to the
   * subject as stored afterwards.
   */
  readonly verify?: () => Promise<T>;
}

/** A recovered interrupted execution: the subject as recorded now, or why it was left alone. */
export type Recovered<T> =
  | { readonly kind: 'recovered'; readonly subject: T }
  | { readonly kind: 'refused'; readonly problem: DecisionProblem; readonly subject?: T };

/**
 * One kind of approvable subject, as the approval workflow uses it.
 *
 * @typeParam T - the subject (e.g. a RevocationRequest)
 * @typeParam A - the approver's delegated access its executor needs (e.g. Acting)
 * @typeParam E - what the executor hands back beyond the subject (e.g. a run's background execution)
 */
export interface ApprovableSubjects<T extends Approvable, A extends { readonly person: PersonRef }, E> {
  /** The domain's rules for this kind: what executing means and how approved work begins. */
  readonly kind: ApprovableKind<T>;
  /** Where the subjects are stored. */
  readonly namespace: StoreNamespace;
  /** True once the kind takes no new executions (shutdown): approving then answers `storage_unavailable`. */
  readonly closed?: boolean;
  /** How long a subject stays readable after a change (late clicks, refreshes, reports). */
  retainUntil(now: Date): Date;
  /** The subject as it stands at `now` (expired once its time has passed). */
  current(subject: T, now: Date): T;
  /** The target description. */
  describe(subject: T): SubjectDescription;
  /** What the audit trail says about an event beyond its action and target (undefined: nothing more). */
  auditDetail(event: ApprovalEvent, subject: T): string | undefined;
  /** The steps the requester ticked become part of what is approved (kinds without steps leave the subject as it is). */
  plan?(subject: T, steps: ContainmentChoice): T;
  /** What the executor records in the same write that begins the approved work (e.g. a run's lease). */
  hold?(begun: T, now: Date): Result<T, DecisionProblem>;
  /** Records that must exist before the approved work starts, after `approval.approved` (throws when they cannot be written). */
  beforeExecution?(held: T, acting: A): Promise<void>;
  /** Does the approved work with the approver's own access; `held` won the compare-and-set, so this caller alone runs it. */
  execute(acting: A, held: StoredItem<T>, options: { readonly deadline?: Deadline }): Promise<Executed<T, E>>;
  /** Whether the subject is approved work a crash interrupted, which an approver's click recovers instead of approving. */
  isInterrupted?(subject: T, now: Date): boolean;
  /** Recovers an interrupted execution with this approver's access, never doing the work twice. */
  recover?(acting: A, approver: Approver, stored: StoredItem<T>): Promise<Recovered<T>>;
}
