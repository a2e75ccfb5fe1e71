/**
 * A schedule as an approvable subject of the one approval workflow
 * (src/app/approval/approvalWorkflow.ts): with four eyes, the person who sets up a schedule asks
 * for approval, and an approver's approval arms it (recorded as `approvedBy`). Approving needs no
 * Graph call: each due card is still acted on with the clicker's own token.
 */
import { expireScheduleIfDue, SCHEDULE_APPROVALS, type ScheduledRevocation } from '../../domain/schedule';
import { describeWhen } from '../../domain/scheduleTime';
import type { PersonRef } from '../../domain/people';
import type { ApprovableSubjects, ApprovalEvent } from '../approval/approvableSubjects';
import { NAMESPACE } from '../ports/namespaces';
import { describeTarget, type ScheduleService } from './scheduleService';

export function scheduleApprovals(
  schedules: ScheduleService,
): ApprovableSubjects<ScheduledRevocation, { readonly person: PersonRef }, never> {
  return {
    kind: SCHEDULE_APPROVALS,
    namespace: NAMESPACE.schedules,
    retainUntil: (now) => new Date(now.getTime() + 400 * 24 * 3600_000),
    current: (schedule, now) => expireScheduleIfDue(schedule, now),
    describe: (schedule) =>
      schedule.target.kind === 'user'
        ? {
            target: {
              id: schedule.target.id,
              displayName: schedule.target.displayName,
              userPrincipalName: schedule.target.userPrincipalName,
            },
          }
        : {},
    auditDetail: (event, schedule) => detail(event, schedule),
    execute: async (_acting, held) => {
      await schedules.recordArmed(held.value);
      return { subject: held.value };
    },
  };
}

function detail(event: ApprovalEvent, schedule: ScheduledRevocation): string {
  const what = `Scheduled revocation of ${describeTarget(schedule)}, ${describeWhen(schedule.when, schedule.zone)}`;
  switch (event) {
    case 'requested':
      return `${what}: submitted for approval.`;
    case 'approved':
      return `${what}: approved, and armed.`;
    case 'rejected':
      return `${what}: rejected.`;
    case 'refused':
      return what;
  }
}
