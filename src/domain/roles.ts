/**
 * Entra's rules for who may revoke whose sessions, as the bot explains them (docs/entra-roles.md,
 * from Microsoft's "Who can reset passwords" table, whose columns are the roles that can reset
 * passwords and invalidate refresh tokens:
 * https://learn.microsoft.com/entra/identity/role-based-access-control/privileged-roles-permissions).
 * Entra itself decides; the bot uses this only to warn before asking and to explain a refusal.
 * Roles are tenant-wide assignments; administrative-unit scoped roles and restricted-management
 * AUs are not modelled here.
 */

/** A directory role by its template id (= `wids` value = `roleTemplateId`). */
export interface DirectoryRole {
  templateId: string;
  displayName: string;
}

/** How protected a target is, coarse enough to put on a card. */
export type TargetTier = 'nonAdmin' | 'limitedAdmin' | 'privilegedAdmin';

/** Built-in role template ids this module knows (docs/entra-roles.md). */
export const ROLE_TEMPLATE_ID = {
  GlobalAdministrator: '62e90394-69f5-4237-9190-012177145e10',
  PrivilegedAuthenticationAdministrator: '7be44c8a-adaf-4e2a-84d6-ab2649e08a13',
  PrivilegedRoleAdministrator: 'e8611ab8-c189-46e8-94e1-60213ab1f814',
  AuthenticationAdministrator: 'c4e39bd9-1100-46d3-8c65-fb160da0071f',
  UserAdministrator: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  HelpdeskAdministrator: '729827e3-9c14-49f7-bb1b-9608f156bbb8',
  PasswordAdministrator: '966707d0-3269-4727-9be2-8c3a10f19b9d',
  GroupsAdministrator: 'fdd7a751-b60b-444a-984c-02652fe8fa1c',
  SecurityAdministrator: '194ae4cb-b126-40b2-bd5b-6091b380977d',
  DirectoryReaders: '88d8e3e3-8f55-4a1e-953a-9b9898b8876b',
  GuestInviter: '95e79109-95c0-4d8e-aee3-d01accf2d47b',
  MessageCenterReader: '790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b',
  ReportsReader: '4a5d8f65-41da-4de4-8968-e035b65339cf',
  UsageSummaryReportsReader: '75934031-6c7e-415a-99d7-48dbd49e875e',
  UserExperienceSuccessManager: '27460883-1df1-4691-b032-3b79643e5e63',
  /** The "User" role Entra puts in every member's `wids`; not an admin role. */
  User: 'b79fbf4d-3ef9-4689-8143-76b194e85509',
  /** The "Guest User" role in a guest's `wids`; not an admin role. */
  GuestUser: '10dae51f-b6af-4016-8d66-8c2a99b929b3',
  /** The "Restricted Guest User" role in a restricted guest's `wids`; not an admin role. */
  RestrictedGuestUser: '2af84b1e-32c8-42b7-82bc-daa82404023b',
} as const;

const R = ROLE_TEMPLATE_ID;

const NAMES: Readonly<Record<string, string>> = {
  [R.GlobalAdministrator]: 'Global Administrator',
  [R.PrivilegedAuthenticationAdministrator]: 'Privileged Authentication Administrator',
  [R.PrivilegedRoleAdministrator]: 'Privileged Role Administrator',
  [R.AuthenticationAdministrator]: 'Authentication Administrator',
  [R.UserAdministrator]: 'User Administrator',
  [R.HelpdeskAdministrator]: 'Helpdesk Administrator',
  [R.PasswordAdministrator]: 'Password Administrator',
  [R.GroupsAdministrator]: 'Groups Administrator',
  [R.SecurityAdministrator]: 'Security Administrator',
  [R.DirectoryReaders]: 'Directory Readers',
  [R.GuestInviter]: 'Guest Inviter',
  [R.MessageCenterReader]: 'Message Center Reader',
  [R.ReportsReader]: 'Reports Reader',
  [R.UsageSummaryReportsReader]: 'Usage Summary Reports Reader',
  [R.UserExperienceSuccessManager]: 'User Experience Success Manager',
  [R.User]: 'User',
  [R.GuestUser]: 'Guest User',
  [R.RestrictedGuestUser]: 'Restricted Guest User',
};

function role(templateId: string): DirectoryRole {
  return { templateId, displayName: NAMES[templateId] ?? templateId };
}

/**
 * The roles carrying `microsoft.directory/users/invalidateAllRefreshTokens`, least powerful first.
 * Password Administrator is deliberately absent: its role definition lacks that permission (docs/entra-roles.md).
 * (Deprecated Partner Tier1/Tier2 Support and the newer SOC Identity Responder are not modelled.)
 */
export const REVOKING_ROLES: readonly DirectoryRole[] = Object.freeze(
  [
    R.HelpdeskAdministrator,
    R.AuthenticationAdministrator,
    R.UserAdministrator,
    R.PrivilegedAuthenticationAdministrator,
    R.GlobalAdministrator,
  ].map((id) => Object.freeze(role(id))),
);

const EVERY_REVOKER: ReadonlySet<string> = new Set(REVOKING_ROLES.map((r) => r.templateId));
const PRIVILEGED_REVOKERS: ReadonlySet<string> = new Set([R.PrivilegedAuthenticationAdministrator, R.GlobalAdministrator]);

/** Roles that are not administrative at all: holding only these makes a non-admin. */
const NON_ADMIN_ROLES: ReadonlySet<string> = new Set([R.User, R.GuestUser, R.RestrictedGuestUser]);

/**
 * The middle rows of the caller-against-target table (docs/entra-roles.md): target role → caller roles that may revoke its holder.
 * Any role not listed here (built-in or custom) is privileged: only PAA and GA.
 */
const LIMITED_ADMIN_RULES: ReadonlyMap<string, ReadonlySet<string>> = new Map<string, ReadonlySet<string>>([
  [R.DirectoryReaders, EVERY_REVOKER],
  [R.GuestInviter, EVERY_REVOKER],
  [R.PasswordAdministrator, EVERY_REVOKER],
  [R.MessageCenterReader, EVERY_REVOKER],
  [R.ReportsReader, EVERY_REVOKER],
  [R.UsageSummaryReportsReader, EVERY_REVOKER],
  [R.UserExperienceSuccessManager, EVERY_REVOKER],
  [R.HelpdeskAdministrator, new Set([R.HelpdeskAdministrator, R.UserAdministrator, ...PRIVILEGED_REVOKERS])],
  [R.GroupsAdministrator, new Set([R.UserAdministrator, ...PRIVILEGED_REVOKERS])],
  [R.UserAdministrator, new Set([R.UserAdministrator, ...PRIVILEGED_REVOKERS])],
  [R.AuthenticationAdministrator, new Set([R.AuthenticationAdministrator, ...PRIVILEGED_REVOKERS])],
]);

/** The display name Entra uses for a built-in role template id, if known. */
export function roleDisplayName(templateId: string): string | undefined {
  return NAMES[normaliseId(templateId)];
}

/**
 * The target's tier: privileged if it is in a role-assignable group or holds any role outside the
 * limited-admin rows (unknown and custom roles included); limited if it holds only limited-admin
 * roles; otherwise non-admin. The default User / Guest User roles do not count.
 */
export function classifyTarget(roles: readonly DirectoryRole[], inRoleAssignableGroup: boolean): TargetTier {
  if (inRoleAssignableGroup) return 'privilegedAdmin';
  let tier: TargetTier = 'nonAdmin';
  for (const r of roles) {
    const id = normaliseId(r.templateId);
    if (NON_ADMIN_ROLES.has(id)) continue;
    if (!LIMITED_ADMIN_RULES.has(id)) return 'privilegedAdmin';
    tier = 'limitedAdmin';
  }
  return tier;
}

/**
 * The caller roles Entra lets revoke the sessions of a target holding `targetRoles` (every one
 * of them must allow it), least powerful first. Always includes PAA and Global Administrator.
 */
export function rolesThatMayRevoke(targetRoles: readonly DirectoryRole[], inRoleAssignableGroup: boolean): readonly DirectoryRole[] {
  const allowed = allowedCallerIds(targetRoles, inRoleAssignableGroup);
  return REVOKING_ROLES.filter((r) => allowed.has(r.templateId));
}

/** Whether a caller holding `callerRoleIds` may revoke that target (the bot's explanation; Entra decides). */
export function mayRevoke(
  callerRoleIds: readonly string[],
  targetRoles: readonly DirectoryRole[],
  inRoleAssignableGroup: boolean,
): boolean {
  const allowed = allowedCallerIds(targetRoles, inRoleAssignableGroup);
  return callerRoleIds.some((id) => allowed.has(normaliseId(id)));
}

/** What a caller may do, for `whoami`: the tiers they can act on at least partly, and a sentence. */
export function describeCapability(callerRoleIds: readonly string[]): { tiers: TargetTier[]; summary: string } {
  const held = new Set(callerRoleIds.map(normaliseId));
  const revoking = REVOKING_ROLES.filter((r) => held.has(r.templateId));
  const holdsPasswordAdmin = held.has(R.PasswordAdministrator);

  if (revoking.length === 0) {
    return {
      tiers: [],
      summary:
        (holdsPasswordAdmin ? 'You are a Password Administrator: that role can reset passwords but cannot revoke sessions. ' : '') +
        'You hold no active Entra role that can revoke other people’s sessions (Helpdesk, Authentication, User, ' +
        'Privileged Authentication or Global Administrator). If you are eligible for one in PIM, activate it and try again.',
    };
  }

  const ids = [...held];
  const roleNames = joinWords(revoking.map((r) => r.displayName));
  if (ids.some((id) => PRIVILEGED_REVOKERS.has(id))) {
    return {
      tiers: ['nonAdmin', 'limitedAdmin', 'privilegedAdmin'],
      summary: `As ${roleNames}, you can revoke anyone’s sessions, administrators included.`,
    };
  }

  const limitedAllowed = LIMITED_ADMIN_ORDER.filter((id) => mayRevoke(ids, [role(id)], false));
  const named = limitedAllowed.filter((id) => !READER_LIKE.has(id)).map((id) => `${NAMES[id] ?? id}s`);
  const readers = limitedAllowed.some((id) => READER_LIKE.has(id)) ? ['holders of reader roles such as Directory Readers'] : [];
  return {
    tiers: ['nonAdmin', 'limitedAdmin'],
    summary:
      `As ${roleNames}, you can revoke non-admins and some limited admins: ${joinWords([...named, ...readers])}. ` +
      'Other admins, and members of role-assignable groups, need a Privileged Authentication Administrator or Global Administrator.',
  };
}

/** Limited-admin roles in the order the whoami summary names them. */
const LIMITED_ADMIN_ORDER: readonly string[] = [
  R.PasswordAdministrator,
  R.HelpdeskAdministrator,
  R.AuthenticationAdministrator,
  R.UserAdministrator,
  R.GroupsAdministrator,
  R.DirectoryReaders,
  R.GuestInviter,
  R.MessageCenterReader,
  R.ReportsReader,
  R.UsageSummaryReportsReader,
  R.UserExperienceSuccessManager,
];
const READER_LIKE: ReadonlySet<string> = new Set([
  R.DirectoryReaders,
  R.GuestInviter,
  R.MessageCenterReader,
  R.ReportsReader,
  R.UsageSummaryReportsReader,
  R.UserExperienceSuccessManager,
]);

function allowedCallerIds(targetRoles: readonly DirectoryRole[], inRoleAssignableGroup: boolean): ReadonlySet<string> {
  if (inRoleAssignableGroup) return PRIVILEGED_REVOKERS;
  let allowed: ReadonlySet<string> = EVERY_REVOKER;
  for (const r of targetRoles) {
    const id = normaliseId(r.templateId);
    if (NON_ADMIN_ROLES.has(id)) continue;
    const rule = LIMITED_ADMIN_RULES.get(id) ?? PRIVILEGED_REVOKERS;
    allowed = new Set([...allowed].filter((caller) => rule.has(caller)));
  }
  return allowed;
}

/** Template ids are GUIDs; compare them case-insensitively. */
function normaliseId(id: string): string {
  return typeof id === 'string' ? id.trim().toLowerCase() : '';
}

function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words.at(-1) ?? ''}`;
}
