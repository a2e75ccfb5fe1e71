/**
 * "Can I?" before the click: from the requester's own active directory roles, and the roles they
 * are eligible for in Privileged Identity Management, whether Entra would let them revoke this
 * target. Advice only — Entra decides when they click. The rules are roles.ts's, not repeated here.
 */
import { mayRevoke, rolesThatMayRevoke, type DirectoryRole } from './roles';

/** What the card tells the requester. */
export type RevokeAdvice =
  /** Their own sessions: anyone may. */
  | { readonly kind: 'self' }
  /** One of their active roles allows it: the least powerful such role. */
  | { readonly kind: 'can'; readonly via: DirectoryRole }
  /** None does: the roles that would, and those of them they could activate in PIM. */
  | { readonly kind: 'cannot'; readonly needed: readonly DirectoryRole[]; readonly eligible: readonly DirectoryRole[] };

/** The target as the card showed it. */
export interface AdvisedTarget {
  readonly roles: readonly DirectoryRole[];
  readonly inRoleAssignableGroup: boolean;
  readonly self: boolean;
}

/** Whether (and by which role) the requester may revoke the target; `eligibleRoleIds` undefined when PIM could not be read. */
export function adviseRevoke(
  activeRoleIds: readonly string[],
  eligibleRoleIds: readonly string[] | undefined,
  target: AdvisedTarget,
): RevokeAdvice {
  if (target.self) return { kind: 'self' };
  const needed = rolesThatMayRevoke(target.roles, target.inRoleAssignableGroup);
  const held = new Set(activeRoleIds.map((id) => id.toLowerCase()));
  if (mayRevoke(activeRoleIds, target.roles, target.inRoleAssignableGroup)) {
    const via = needed.find((r) => held.has(r.templateId));
    if (via) return { kind: 'can', via };
  }
  const eligible = new Set((eligibleRoleIds ?? []).map((id) => id.toLowerCase()));
  return { kind: 'cannot', needed, eligible: needed.filter((r) => eligible.has(r.templateId) && !held.has(r.templateId)) };
}
