/**
 * An alert as an approvable subject of the one approval workflow
 * (src/app/approval/approvalWorkflow.ts). Its requester is the alert's source (a system
 * requester), so any approver in the security channel may act, once. The action is the one the
 * approver clicked, and its executor runs it for each user the alert names with the approver's own
 * delegated access: resolve the user, then revoke sessions; or revoke and contain (disable the
 * account and reset the password first, then revoke, then disable the devices and confirm the user
 * compromised: the compromised-account bundle of src/app/revocation/containment.ts); or confirm
 * compromised; or dismiss the risk. Each step has its own audit record.
 */
import {
  ALERT_APPROVALS,
  alertUserText,
  completeAlert,
  expireAlertIfDue,
  sourceName,
  type AlertAction,
  type AlertCase,
  type AlertStepResult,
} from '../../domain/alert';
import type { Clock, Deadline } from '../../domain/clock';
import type { ContainmentChoice, ContainmentResult } from '../../domain/revocationRequest';
import { auditActor, type Acting } from '../acting';
import type { ApprovableSubjects } from '../approval/approvableSubjects';
import type { AuditTrail } from '../auditTrail';
import { NAMESPACE } from '../ports/namespaces';
import type { DirectoryResult } from '../ports/directory';
import type { StateStore } from '../ports/stateStore';
import { AFTER_REVOKE, BEFORE_REVOKE, failureCode, runContainment } from '../revocation/containment';
import { saveHeld } from '../revocation/requestRecords';

/** The approver's access, and the action they clicked. */
export interface AlertActing extends Acting {
  readonly action: AlertAction;
}

export interface AlertApprovalsOptions {
  readonly store: StateStore;
  readonly audit: AuditTrail;
  readonly clock: Clock;
}

/** How long an alert (and its exactly-once key) is kept: a source retrying a month later still finds it. */
export const ALERT_RETENTION_IN_MS = 30 * 24 * 3600_000;

/** The compromised-account bundle an alert's "Revoke and contain" runs. */
const CONTAIN: ContainmentChoice = { disableAccount: true, resetPassword: true, disableDevices: true, confirmCompromised: true };

export function alertApprovals(options: AlertApprovalsOptions): ApprovableSubjects<AlertCase, AlertActing, never> {
  const retainUntil = (now: Date): Date => new Date(now.getTime() + ALERT_RETENTION_IN_MS);
  return {
    kind: ALERT_APPROVALS,
    namespace: NAMESPACE.alerts,
    retainUntil,
    current: (alert, now) => expireAlertIfDue(alert, now),
    // Several users: the records name the alert (requestId); each step names its user.
    describe: () => ({}),
    auditDetail: (event, alert) =>
      event === 'requested'
        ? `${sourceName(alert.alert.source)} alert ${alert.alert.externalId}: ${alert.alert.title} (${alert.alert.severity}; ${alert.alert.users.length} user${alert.alert.users.length === 1 ? '' : 's'}).`
        : event === 'rejected'
          ? `Not our case${alert.approval?.rejectReason ? `: ${alert.approval.rejectReason}` : '.'}`
          : undefined,
    beforeExecution: async (alert, acting) => {
      // The action chosen is on the record before anything runs: a revoke's start, or the confirmed Identity Protection step.
      const revokes = acting.action === 'revoke' || acting.action === 'revokeAndContain';
      await options.audit.before({
        tenantId: alert.tenantId,
        action: revokes ? 'revocation.started' : 'request.confirmed',
        outcome: 'info',
        actor: auditActor(acting.person),
        requestId: alert.id,
        detail: `Alert action: ${acting.action}.`,
      });
    },
    async execute(acting, held, run) {
      const alert = held.value;
      const results: AlertStepResult[] = [];
      for (const user of alert.alert.users) results.push(...(await actOn(acting, alert, user, options, run.deadline)));
      const finished = completeAlert(alert, acting.action, results, options.clock.now());
      await saveHeld(options.store, NAMESPACE.alerts, finished, held.etag, retainUntil(options.clock.now()));
      return { subject: finished };
    },
  };
}

/** The clicked action for one user, each step audited. */
async function actOn(
  acting: AlertActing,
  alert: AlertCase,
  user: AlertCase['alert']['users'][number],
  options: AlertApprovalsOptions,
  deadline: Deadline | undefined,
): Promise<AlertStepResult[]> {
  const call = { deadline };
  const found = await acting.directory.getUser(user.kind === 'objectId' ? user : { kind: 'userPrincipalName', upn: user.upn }, call);
  if (!found.ok)
    return [
      {
        user: alertUserText(user),
        step: 'lookup',
        ok: false,
        code: failureCode(found.error.code),
        graphRequestId: found.error.graphRequestId,
      },
    ];
  const target = found.value;
  const name = `${target.displayName} (${target.userPrincipalName})`;
  const base = { user: name, userId: target.id };
  const record = async (step: AlertStepResult['step'], done: DirectoryResult<void>): Promise<AlertStepResult> => {
    const line: AlertStepResult = done.ok
      ? { ...base, step, ok: true, graphRequestId: done.graphRequestId }
      : { ...base, step, ok: false, code: failureCode(done.error.code), graphRequestId: done.error.graphRequestId };
    const revoke = step === 'revoke';
    await options.audit.after({
      tenantId: alert.tenantId,
      action: revoke ? (line.ok ? 'revocation.succeeded' : 'revocation.failed') : line.ok ? 'containment.succeeded' : 'containment.failed',
      outcome: line.ok ? 'ok' : 'failed',
      actor: auditActor(acting.person),
      target: { id: target.id, userPrincipalName: target.userPrincipalName, displayName: target.displayName },
      requestId: alert.id,
      code: line.code,
      graphRequestId: line.graphRequestId,
      ...(revoke ? {} : { detail: step }),
    });
    return line;
  };
  const contain = async (steps: typeof BEFORE_REVOKE): Promise<AlertStepResult[]> =>
    (
      (await runContainment({
        gateway: acting.containment,
        choice: CONTAIN,
        steps,
        targetId: target.id,
        actor: acting.person,
        requestId: alert.id,
        audit: options.audit,
        deadline,
      })) ?? []
    ).map((line: ContainmentResult) => ({
      ...base,
      step: line.step === 'removeMethods' ? 'confirmCompromised' : line.step,
      ok: line.ok,
      ...(line.code ? { code: line.code } : {}),
      ...(line.graphRequestId ? { graphRequestId: line.graphRequestId } : {}),
      ...(line.detail ? { detail: line.detail } : {}),
    }));
  const noContainment: DirectoryResult<void> = { ok: false, error: { code: 'unexpected' } };
  switch (acting.action) {
    case 'revoke':
      return [await record('revoke', await acting.directory.revokeSessions({ kind: 'objectId', id: target.id }, call))];
    case 'revokeAndContain': {
      // The door shut first, then the revoke, then the rest (see containment.ts for why).
      const before = await contain(BEFORE_REVOKE);
      const revoked = await record('revoke', await acting.directory.revokeSessions({ kind: 'objectId', id: target.id }, call));
      const after = revoked.ok ? await contain(AFTER_REVOKE) : [];
      return [...before, revoked, ...after];
    }
    case 'confirmCompromised':
      return [
        await record(
          'confirmCompromised',
          acting.containment ? await acting.containment.confirmCompromised(target.id, call) : noContainment,
        ),
      ];
    case 'dismissRisk':
      return [await record('dismissRisk', acting.containment ? await acting.containment.dismissRisk(target.id, call) : noContainment)];
  }
}
