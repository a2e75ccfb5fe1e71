/**
 * Runs the containment steps a responder ticked, with the same person's delegated access, in two
 * phases around the revoke (src/app/revocation/runRevocation.ts): disable the account and reset the password
 * BEFORE it, so that nobody who knows the password can sign in between the revoke and the
 * disable and keep that new session; disable the devices after it. Each step has its own result
 * and its own audit record; a failed step does not stop the others, nor the revoke.
 */
import type { ContainmentChoice, ContainmentResult, ContainmentStep } from '../../domain/revocationRequest';
import type { PersonRef } from '../../domain/people';
import type { RevocationFailureCode } from '../../domain/problems';
import type { AuditTrail } from '../auditTrail';
import type { ContainmentGateway } from '../ports/containment';
import type { DirectoryFailureCode } from '../ports/directory';

/** Steps that shut the door before the revoke: no new sign-in, no known password. */
export const BEFORE_REVOKE: readonly ContainmentStep[] = ['disableAccount', 'resetPassword'];
/** Steps that follow a successful revoke. */
export const AFTER_REVOKE: readonly ContainmentStep[] = ['disableDevices'];

function failureCode(code: DirectoryFailureCode): RevocationFailureCode {
  return code === 'bot_misconfigured' ? 'unexpected' : code;
}

function anyStep(choice: ContainmentChoice | undefined, steps: readonly ContainmentStep[]): boolean {
  return choice !== undefined && steps.some((step) => choice[step]);
}

/** Runs the ticked steps among `steps`, in that order; undefined when none of them was ticked. */
export async function runContainment(input: {
  gateway: ContainmentGateway | undefined;
  choice: ContainmentChoice | undefined;
  steps: readonly ContainmentStep[];
  targetId: string;
  actor: PersonRef;
  requestId: string;
  audit: AuditTrail;
  deadline?: number;
}): Promise<ContainmentResult[] | undefined> {
  const { gateway, choice } = input;
  if (choice === undefined || !anyStep(choice, input.steps)) return undefined;
  const results: ContainmentResult[] = [];
  for (const step of input.steps) {
    if (!choice[step]) continue;
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
      const done =
        step === 'disableAccount'
          ? await gateway.disableAccount(input.targetId, { deadline: input.deadline })
          : await gateway.resetPassword(input.targetId, { deadline: input.deadline });
      result = done.ok
        ? { step, ok: true, graphRequestId: done.graphRequestId }
        : { step, ok: false, code: failureCode(done.error.code), graphRequestId: done.error.graphRequestId };
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
