/**
 * Runs the containment steps a responder ticked, with the same person's delegated access, in two
 * phases around the revoke (src/app/revocation/runRevocation.ts): disable the account and reset
 * the password BEFORE it, so that nobody who knows the password can sign in between the revoke
 * and the disable and keep that new session; then, after it, disable the devices, confirm the
 * user compromised in Identity Protection, and remove the authentication methods ticked. Each
 * step (each method removed) has its own result and its own audit record; a failed step does not
 * stop the others, nor the revoke.
 */
import { describeMethod, type MethodsSnapshot } from '../../domain/authMethods';
import { isChosen, type ContainmentChoice, type ContainmentResult, type ContainmentStep } from '../../domain/revocationRequest';
import type { PersonRef } from '../../domain/people';
import type { RevocationFailureCode } from '../../domain/problems';
import type { AuditTrail } from '../auditTrail';
import type { ContainmentGateway } from '../ports/containment';
import type { DirectoryFailureCode, DirectoryResult } from '../ports/directory';

/** Steps that shut the door before the revoke: no new sign-in, no known password. */
export const BEFORE_REVOKE: readonly ContainmentStep[] = ['disableAccount', 'resetPassword'];
/** Steps that follow a successful revoke. */
export const AFTER_REVOKE: readonly ContainmentStep[] = ['disableDevices', 'confirmCompromised', 'removeMethods'];

/** A directory failure as a step's failure code (the bot's own misconfiguration is unexpected to the person acting). */
export function failureCode(code: DirectoryFailureCode): RevocationFailureCode {
  return code === 'bot_misconfigured' ? 'unexpected' : code;
}

function lineOf(step: ContainmentStep, done: DirectoryResult<void>, detail?: string): ContainmentResult {
  return done.ok
    ? { step, ok: true, graphRequestId: done.graphRequestId, ...(detail ? { detail } : {}) }
    : { step, ok: false, code: failureCode(done.error.code), graphRequestId: done.error.graphRequestId, ...(detail ? { detail } : {}) };
}

/** Runs the ticked steps among `steps`, in that order; undefined when none of them was ticked. */
export async function runContainment(input: {
  gateway: ContainmentGateway | undefined;
  choice: ContainmentChoice | undefined;
  steps: readonly ContainmentStep[];
  targetId: string;
  /** The methods list the choice's positions refer to. */
  methods?: MethodsSnapshot;
  actor: PersonRef;
  requestId: string;
  audit: AuditTrail;
  deadline?: number;
}): Promise<ContainmentResult[] | undefined> {
  const { gateway, choice } = input;
  if (!input.steps.some((step) => isChosen(choice, step))) return undefined;
  const options = { deadline: input.deadline };
  const results: ContainmentResult[] = [];
  const record = async (result: ContainmentResult): Promise<void> => {
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
      detail: result.detail ? `${result.step}: ${result.detail}` : result.step,
    });
  };
  for (const step of input.steps) {
    if (!isChosen(choice, step)) continue;
    if (!gateway) {
      await record({ step, ok: false, code: 'unexpected' });
    } else if (step === 'disableDevices') {
      const done = await gateway.disableDevices(input.targetId, options);
      await record(
        done.ok
          ? {
              step,
              ok: done.value.firstFailure === undefined,
              code: done.value.firstFailure ? failureCode(done.value.firstFailure.code) : undefined,
              graphRequestId: done.value.firstFailure?.graphRequestId,
              detail: done.value.total === 0 ? 'no registered devices' : `${done.value.disabled} of ${done.value.total} devices disabled`,
            }
          : { step, ok: false, code: failureCode(done.error.code), graphRequestId: done.error.graphRequestId },
      );
    } else if (step === 'removeMethods') {
      // One line (and one audit record) per method, so each removal is accounted for on its own.
      for (const index of choice?.removeMethods ?? []) {
        const method = input.methods?.items[index];
        if (!method) continue;
        await record(lineOf(step, await gateway.removeAuthenticationMethod(input.targetId, method, options), describeMethod(method)));
      }
    } else {
      const done =
        step === 'disableAccount'
          ? await gateway.disableAccount(input.targetId, options)
          : step === 'resetPassword'
            ? await gateway.resetPassword(input.targetId, options)
            : await gateway.confirmCompromised(input.targetId, options);
      await record(lineOf(step, done));
    }
  }
  return results;
}
