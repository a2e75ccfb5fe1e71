/**
 * Runs the containment steps a responder ticked, after a successful revoke and with the same
 * person's delegated access: disable the account first (no new sign-ins), then reset the
 * password, then disable devices. Each step has its own result and its own audit record; a
 * failed step does not stop the others.
 */
import type { ContainmentChoice, ContainmentResult, ContainmentStep, PersonRef, RevocationFailureCode } from '../domain/revocationRequest';
import type { AuditTrail } from './auditTrail';
import type { ContainmentGateway } from './ports/containment';
import type { DirectoryFailureCode } from './ports/directory';

const ORDER: readonly ContainmentStep[] = ['disableAccount', 'resetPassword', 'disableDevices'];

function failureCode(code: DirectoryFailureCode): RevocationFailureCode {
  return code === 'bot_misconfigured' ? 'unexpected' : code;
}

export function anyStep(choice: ContainmentChoice | undefined): boolean {
  return choice !== undefined && ORDER.some((step) => choice[step]);
}

export async function runContainment(input: {
  gateway: ContainmentGateway | undefined;
  choice: ContainmentChoice | undefined;
  targetId: string;
  actor: PersonRef;
  requestId: string;
  audit: AuditTrail;
  deadline?: number;
}): Promise<ContainmentResult[] | undefined> {
  const { gateway, choice } = input;
  if (!anyStep(choice)) return undefined;
  const results: ContainmentResult[] = [];
  for (const step of ORDER) {
    if (!choice![step]) continue;
    let result: ContainmentResult;
    if (!gateway) {
      result = { step, ok: false, code: 'unexpected' };
    } else if (step === 'disableDevices') {
      const done = await gateway.disableDevices(input.targetId, { deadline: input.deadline });
      result = done.ok
        ? {
            step,
            ok: done.value.firstFailure === undefined,
            code: done.value.firstFailure ? failureCode(done.value.firstFailure.code) : undefined,
            graphRequestId: done.value.firstFailure?.graphRequestId,
            detail: done.value.total === 0 ? 'no registered devices' : `${done.value.disabled} of ${done.value.total} devices disabled`,
          }
        : { step, ok: false, code: failureCode(done.error.code), graphRequestId: done.error.graphRequestId };
    } else {
      const done = step === 'disableAccount' ? await gateway.disableAccount(input.targetId, { deadline: input.deadline }) : await gateway.resetPassword(input.targetId, { deadline: input.deadline });
      result = done.ok ? { step, ok: true, graphRequestId: done.graphRequestId } : { step, ok: false, code: failureCode(done.error.code), graphRequestId: done.error.graphRequestId };
    }
    results.push(result);
    await input.audit.after({
      tenantId: input.actor.tenantId,
      action: result.ok ? 'containment.succeeded' : 'containment.failed',
      outcome: result.ok ? 'ok' : 'failed',
      actor: { aadObjectId: input.actor.aadObjectId, userPrincipalName: input.actor.userPrincipalName, name: input.actor.name },
      target: { id: input.targetId },
      requestId: input.requestId,
      code: result.code,
      graphRequestId: result.graphRequestId,
      detail: result.detail ? `${step}: ${result.detail}` : step,
    });
  }
  return results;
}
