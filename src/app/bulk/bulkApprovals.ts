/**
 * A bulk run as an approvable subject of the one approval workflow
 * (src/app/approval/approvalWorkflow.ts): its target description is the group or department and
 * how many users, and its executor is the run's background execution with the approver's
 * delegated token (src/app/bulk/bulkExecution.ts), which claims the run's lease in the same
 * write as the approval.
 */
import { BULK_APPROVALS, expireBulkIfDue, type BulkRun } from '../../domain/bulkRun';
import type { BulkActing } from '../acting';
import type { ApprovableSubjects, ApprovalEvent } from '../approval/approvableSubjects';
import { NAMESPACE } from '../ports/namespaces';
import type { BulkObserver, ExecutionOutcome } from './bulkExecution';
import { describeRunSource, type BulkRevocationService } from './bulkRevocationService';

/** The approver's bulk-capable delegated access, and who is told of the run's progress. */
export interface BulkApproverActing extends BulkActing {
  readonly observer?: BulkObserver;
}

/** Bulk runs, as the approval workflow uses them; `runs` executes them. */
export function bulkApprovals(runs: BulkRevocationService): ApprovableSubjects<BulkRun, BulkApproverActing, Promise<ExecutionOutcome>> {
  return {
    kind: BULK_APPROVALS,
    namespace: NAMESPACE.bulkRuns,
    get closed() {
      return runs.isClosed;
    },
    retainUntil: (now) => runs.retainUntil(now),
    current: (run, now) => expireBulkIfDue(run, now),
    // Many people: the audit records name the run (requestId), each revoke names its user.
    describe: () => ({}),
    auditDetail: (event, run) => detail(event, run),
    hold: (run, now) => runs.claim(run, now),
    beforeExecution: (run, acting) => runs.recordStart(run, acting.person),
    execute: async (acting, held) => ({ subject: held.value, execution: runs.execute(held, acting.directory, acting.observer) }),
  };
}

function detail(event: ApprovalEvent, run: BulkRun): string {
  switch (event) {
    case 'requested':
      return `Bulk run of ${run.items.length} users (${describeRunSource(run.source)}) submitted for approval.`;
    case 'approved':
      return 'Bulk run approved.';
    case 'rejected':
      return 'Bulk run rejected.';
    case 'refused':
      return 'Bulk run.';
  }
}
