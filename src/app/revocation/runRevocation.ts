/**
 * The revoke itself, shared by a confirmed request and an approved one, with the acting person's
 * delegated access: disable the account and reset the password when ticked, revoke, then the rest
 * of the bundle when ticked (disable the devices, confirm the user
 * compromised, remove the methods ticked), and describe it all as the request's outcome (with the
 * roles that would do, on a 403). The read-back that verifies the revoke is the caller's to run
 * (src/app/revocation/verifyRevocation.ts), from `revokeStartedAt`: a confirm runs it after answering.
 *
 * Order matters: revoking first would leave a window in which someone who knows the password
 * signs in again and keeps that fresh session, whatever is disabled afterwards. So the account is
 * closed first. A refused step (e.g. 403 for a missing role) does not hold the revoke back:
 * revoking is the core action, and the card reports each step on its own line.
 */
import type { Clock, Deadline } from '../../domain/clock';
import type { ContainmentResult, ContainmentStep, RevocationOutcome, RevocationRequest } from '../../domain/revocationRequest';
import { rolesThatMayRevoke } from '../../domain/roles';
import type { AuditTrail } from '../auditTrail';
import { AFTER_REVOKE, BEFORE_REVOKE, runContainment } from './containment';
import type { DirectoryResult, UserKey } from '../ports/directory';
import type { Acting } from '../acting';

export async function runRevocation(input: {
  acting: Acting;
  key: UserKey;
  request: RevocationRequest;
  audit: AuditTrail;
  clock: Clock;
  deadline?: Deadline;
}): Promise<{ outcome: RevocationOutcome; result: DirectoryResult<void>; revokeStartedAt: Date }> {
  const { acting, key, request } = input;
  const options = { deadline: input.deadline };
  const contain = (steps: readonly ContainmentStep[]): Promise<ContainmentResult[] | undefined> =>
    runContainment({
      gateway: acting.containment,
      choice: request.containment,
      steps,
      targetId: request.target.id,
      methods: request.methods,
      actor: acting.person,
      requestId: request.id,
      audit: input.audit,
      deadline: input.deadline,
    });
  const before = await contain(BEFORE_REVOKE);
  const startedAt = input.clock.now();
  const result = await acting.directory.revokeSessions(key, options);
  if (!result.ok) {
    return {
      result,
      revokeStartedAt: startedAt,
      outcome: {
        kind: 'refused',
        code: result.error.code === 'bot_misconfigured' ? 'unexpected' : result.error.code,
        graphRequestId: result.error.graphRequestId,
        rolesNeeded:
          result.error.code === 'forbidden'
            ? [...rolesThatMayRevoke(request.target.roles, request.target.inRoleAssignableGroup === true)]
            : undefined,
        // What already ran stays on the record: the account may be disabled although the revoke was refused.
        ...(before ? { containment: before } : {}),
      },
    };
  }
  const after = await contain(AFTER_REVOKE);
  const containment = before || after ? [...(before ?? []), ...(after ?? [])] : undefined;
  return {
    result,
    revokeStartedAt: startedAt,
    outcome: {
      kind: 'revoked',
      at: input.clock.now().toISOString(),
      graphRequestId: result.graphRequestId,
      ...(containment ? { containment } : {}),
    },
  };
}
