/**
 * The revoke itself, shared by a confirmed request and an approved one: revoke with the acting
 * person's delegated access, read the result back, run the ticked containment steps, and
 * describe it all as the request's outcome (with the roles that would do, on a 403).
 */
import type { Clock, Deadline } from '../domain/clock';
import type { RevocationOutcome, RevocationRequest } from '../domain/revocationRequest';
import { rolesThatMayRevoke } from '../domain/roles';
import type { AuditTrail } from './auditTrail';
import { runContainment } from './containment';
import type { DirectoryResult, UserKey } from './ports/directory';
import type { Acting } from './revocationService';
import { verifyRevocation } from './verifyRevocation';

export async function runRevocation(input: {
  acting: Acting;
  key: UserKey;
  request: RevocationRequest;
  audit: AuditTrail;
  clock: Clock;
  deadline?: Deadline;
}): Promise<{ outcome: RevocationOutcome; result: DirectoryResult<void> }> {
  const { acting, key, request } = input;
  const options = { deadline: input.deadline };
  const startedAt = input.clock.now();
  const result = await acting.directory.revokeSessions(key, options);
  if (!result.ok) {
    return {
      result,
      outcome: {
        kind: 'refused',
        code: result.error.code === 'bot_misconfigured' ? 'unexpected' : result.error.code,
        graphRequestId: result.error.graphRequestId,
        rolesNeeded: result.error.code === 'forbidden' ? [...rolesThatMayRevoke(request.target.roles, request.target.inRoleAssignableGroup === true)] : undefined,
      },
    };
  }
  const verification = await verifyRevocation(acting.directory, key, startedAt, options);
  const containment = await runContainment({
    gateway: acting.containment,
    choice: request.containment,
    targetId: request.target.id,
    actor: acting.person,
    requestId: request.id,
    audit: input.audit,
    deadline: input.deadline,
  });
  return {
    result,
    outcome: {
      kind: 'revoked',
      at: input.clock.now().toISOString(),
      graphRequestId: result.graphRequestId,
      validFromAfter: verification.validFromAfter,
      verified: verification.verified,
      containment,
    },
  };
}
