/**
 * Who a one-person schedule is for, read with the arming person's own delegated token, and
 * whether they could revoke that person now (the "can I?" rules of src/domain/revokeAdvice.ts,
 * from their own roles): arming needs the same rights as doing it now.
 */
import type { Deadline } from '../../domain/clock';
import { adviseRevoke, type RevokeAdvice } from '../../domain/revokeAdvice';
import type { DirectoryRole } from '../../domain/roles';
import type { Acting } from '../acting';
import { requesterRoles } from '../evidence/requesterAdvice';
import type { DirectoryFailure, UserKey, UserRecord } from '../ports/directory';
import type { ResolvedTarget } from '../revocation/revocationService';

export type ScheduleUserLookup =
  | { readonly kind: 'found'; readonly user: UserRecord; readonly advice?: RevokeAdvice }
  | { readonly kind: 'none' }
  | { readonly kind: 'several' }
  | { readonly kind: 'failed'; readonly failure: DirectoryFailure };

export async function lookUpScheduleUser(
  acting: Acting,
  target: ResolvedTarget,
  options: { deadline?: Deadline } = {},
): Promise<ScheduleUserLookup> {
  let key: UserKey;
  if (target.kind === 'displayName') {
    const found = await acting.directory.findByDisplayName(target.text, 2, options);
    if (!found.ok) return { kind: 'failed', failure: found.error };
    if (found.value.length === 0) return { kind: 'none' };
    if (found.value.length > 1) return { kind: 'several' };
    key = { kind: 'objectId', id: found.value[0]?.id ?? '' };
  } else
    key =
      target.kind === 'self'
        ? { kind: 'self' }
        : target.kind === 'objectId'
          ? { kind: 'objectId', id: target.id }
          : { kind: 'userPrincipalName', upn: target.upn };
  const [user, memberships, roles] = await Promise.all([
    acting.directory.getUser(key, options),
    acting.directory.getMemberships(key, options),
    requesterRoles(acting, options),
  ]);
  if (!user.ok) return user.error.code === 'not_found' ? { kind: 'none' } : { kind: 'failed', failure: user.error };
  if (!memberships.ok || !roles.ok) return { kind: 'found', user: user.value };
  const targetRoles: DirectoryRole[] = memberships.value.roles.map((r) => ({ templateId: r.templateId, displayName: r.displayName }));
  const advice = adviseRevoke(
    roles.value.active.map((r) => r.templateId),
    roles.value.eligible?.map((r) => r.templateId),
    {
      roles: targetRoles,
      inRoleAssignableGroup: memberships.value.inRoleAssignableGroup,
      self: user.value.id === acting.person.aadObjectId,
    },
  );
  return { kind: 'found', user: user.value, advice };
}
