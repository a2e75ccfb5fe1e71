/**
 * The "can I?" line on a lookup card: the requester's own active directory roles (as `whoami`
 * reads them) and their eligible roles in Privileged Identity Management (PIM_SCOPES), read once
 * per delegated session and remembered by it, then held against the target by the domain's rules
 * (src/domain/revokeAdvice.ts). Advice only: Entra decides when they click.
 */
import type { Deadline } from '../../domain/clock';
import { adviseRevoke, type RevokeAdvice } from '../../domain/revokeAdvice';
import type { RevocationRequest } from '../../domain/revocationRequest';
import type { Acting } from '../acting';
import type { DirectoryFailureCode, DirectoryResult, RoleRecord } from '../ports/directory';

/** The requester's roles as the advice reads them. */
export interface RequesterRoles {
  readonly active: readonly RoleRecord[];
  /** Eligible roles in PIM; undefined when they could not be read (then `eligibleProblem` says why). */
  readonly eligible?: readonly RoleRecord[];
  readonly eligibleProblem?: DirectoryFailureCode;
}

/** The advice, and why PIM eligibility is not part of it when it could not be read. */
export interface RequesterAdvice {
  readonly advice: RevokeAdvice;
  readonly eligibleProblem?: DirectoryFailureCode;
}

const MEMO_KEY = 'requester roles';

/** The requester's roles: from their session's memory, or read now (and remembered when the active roles could be read). */
export async function requesterRoles(acting: Acting, options: { deadline?: Deadline } = {}): Promise<DirectoryResult<RequesterRoles>> {
  const read = async (): Promise<DirectoryResult<RequesterRoles>> => {
    const [memberships, eligible] = await Promise.all([
      acting.directory.getMemberships({ kind: 'self' }, options),
      acting.evidence ? acting.evidence.myEligibleRoles(options) : Promise.resolve(undefined),
    ]);
    if (!memberships.ok) return memberships;
    return {
      ok: true,
      value: {
        active: memberships.value.roles,
        ...(eligible?.ok ? { eligible: eligible.value } : { eligibleProblem: eligible ? eligible.error.code : 'unexpected' }),
      },
    };
  };
  return acting.memo ? acting.memo.remember(MEMO_KEY, read, (result) => result.ok) : read();
}

/** What the lookup card tells this requester about this target; undefined when their roles could not be read. */
export async function adviceFor(
  acting: Acting,
  request: RevocationRequest,
  options: { deadline?: Deadline } = {},
): Promise<RequesterAdvice | undefined> {
  const roles = await requesterRoles(acting, options);
  if (!roles.ok) return undefined;
  const advice = adviseRevoke(
    roles.value.active.map((r) => r.templateId),
    roles.value.eligible?.map((r) => r.templateId),
    {
      roles: request.target.roles,
      inRoleAssignableGroup: request.target.inRoleAssignableGroup === true,
      self: request.target.self === true,
    },
  );
  return { advice, ...(roles.value.eligibleProblem && advice.kind === 'cannot' ? { eligibleProblem: roles.value.eligibleProblem } : {}) };
}
