/**
 * Entra's "who may act on whom" rules, as the emulated Graph enforces them. Written
 * independently of the bot's own policy (src/domain): this module is the oracle the bot is
 * tested against, so it follows Microsoft's published tables, not the bot's reading of them.
 *
 * Sources (https://learn.microsoft.com/entra/identity/role-based-access-control/privileged-roles-permissions):
 * - "Who can reset passwords": columns are the roles that can reset passwords AND invalidate
 *   refresh tokens; rows are the target's roles.
 * - "Who can perform sensitive actions" (accountEnabled, passwordProfile, ...): the same rows,
 *   columns Auth Admin, User Admin, Privileged Auth Admin and Global Admin only.
 * - Role definitions: Password Administrator lacks users/invalidateAllRefreshTokens, so it is
 *   no column for revocation; Helpdesk Administrator lacks users/disable and users/enable.
 */
import { permissionRow } from '../permissions';
import { ROLE_TEMPLATE, type RoleName } from './roleTemplates';

/** The template ids of roles named in the permission table. */
export function roleIds(names: readonly RoleName[] | undefined): ReadonlySet<string> {
  return new Set((names ?? []).map((name) => ROLE_TEMPLATE[name]));
}

/**
 * Template ids Entra puts in `wids` for every member or guest ("User", "Guest User",
 * "Restricted Guest User"). They are not admin roles and never count as one.
 */
export const USER_TYPE_ROLES: ReadonlySet<string> = new Set([
  'b79fbf4d-3ef9-4689-8143-76b194e85509',
  '10dae51f-b6af-4016-8d66-8c2a99b929b3',
  '2af84b1e-32c8-42b7-82bc-daa82404023b',
]);

/** Display names of the built-in roles this emulator knows, as Graph spells them. */
export const ROLE_DISPLAY_NAMES: Readonly<Record<string, string>> = {
  [ROLE_TEMPLATE.GlobalAdministrator]: 'Global Administrator',
  [ROLE_TEMPLATE.PrivilegedAuthenticationAdministrator]: 'Privileged Authentication Administrator',
  [ROLE_TEMPLATE.PrivilegedRoleAdministrator]: 'Privileged Role Administrator',
  [ROLE_TEMPLATE.AuthenticationAdministrator]: 'Authentication Administrator',
  [ROLE_TEMPLATE.UserAdministrator]: 'User Administrator',
  [ROLE_TEMPLATE.HelpdeskAdministrator]: 'Helpdesk Administrator',
  [ROLE_TEMPLATE.PasswordAdministrator]: 'Password Administrator',
  [ROLE_TEMPLATE.GroupsAdministrator]: 'Groups Administrator',
  [ROLE_TEMPLATE.DirectoryReaders]: 'Directory Readers',
  [ROLE_TEMPLATE.GuestInviter]: 'Guest Inviter',
  [ROLE_TEMPLATE.MessageCenterReader]: 'Message Center Reader',
  [ROLE_TEMPLATE.ReportsReader]: 'Reports Reader',
  [ROLE_TEMPLATE.UsageSummaryReportsReader]: 'Usage Summary Reports Reader',
  [ROLE_TEMPLATE.UserExperienceSuccessManager]: 'User Experience Success Manager',
  [ROLE_TEMPLATE.SecurityAdministrator]: 'Security Administrator',
  [ROLE_TEMPLATE.CloudDeviceAdministrator]: 'Cloud Device Administrator',
  [ROLE_TEMPLATE.IntuneAdministrator]: 'Intune Administrator',
  [ROLE_TEMPLATE.GlobalReader]: 'Global Reader',
  [ROLE_TEMPLATE.SecurityReader]: 'Security Reader',
  [ROLE_TEMPLATE.SecurityOperator]: 'Security Operator',
};

/** What a caller wants to do to another user. */
export type UserAction = 'revokeSessions' | 'resetPassword' | 'enableDisable' | 'manageAuthenticationMethods';

/** What Entra looks at on the target side. */
export interface TargetProfile {
  /** Active tenant-wide role template ids (user-type roles are ignored). */
  readonly roles: readonly string[];
  /** Member (or owner) of a role-assignable group, directly or through nesting. */
  readonly inRoleAssignableGroup: boolean;
  /** Holds a role scoped to a restricted-management administrative unit. */
  readonly hasRestrictedAdministrativeUnitRole?: boolean;
}

/**
 * A row of the table: a target role's template id, or one of the special target kinds
 * ('noAdminRole', 'roleAssignableGroup', 'restrictedAdministrativeUnit', 'anyOtherRole').
 */
type TargetRow = string;

const R = ROLE_TEMPLATE;

/** Rows every column except Password Admin shares: non-admins and the "reader-ish" roles. */
const LOW_ROWS: readonly TargetRow[] = [
  'noAdminRole',
  R.DirectoryReaders,
  R.GuestInviter,
  R.PasswordAdministrator,
  R.MessageCenterReader,
  R.ReportsReader,
  R.UsageSummaryReportsReader,
  R.UserExperienceSuccessManager,
];

/**
 * The columns: for each caller role, the target rows it may act on. Privileged
 * Authentication Administrator and Global Administrator may act on every row.
 */
const COLUMNS: ReadonlyMap<string, ReadonlySet<TargetRow> | 'everyone'> = new Map<string, ReadonlySet<TargetRow> | 'everyone'>([
  [R.PasswordAdministrator, new Set<TargetRow>(['noAdminRole', R.DirectoryReaders, R.GuestInviter, R.PasswordAdministrator])],
  [R.HelpdeskAdministrator, new Set<TargetRow>([...LOW_ROWS, R.HelpdeskAdministrator])],
  [R.AuthenticationAdministrator, new Set<TargetRow>([...LOW_ROWS, R.AuthenticationAdministrator])],
  [R.UserAdministrator, new Set<TargetRow>([...LOW_ROWS, R.HelpdeskAdministrator, R.GroupsAdministrator, R.UserAdministrator])],
  [R.PrivilegedAuthenticationAdministrator, 'everyone'],
  [R.GlobalAdministrator, 'everyone'],
]);

/**
 * Which caller roles hold the permission behind each action at all: the roles column of the
 * operation's row in the permission table (../permissions.ts):
 * - revokeSessions: microsoft.directory/users/invalidateAllRefreshTokens. Not Password
 *   Administrator (its definition is only users/password/update).
 * - resetPassword: microsoft.directory/users/password/update: every column of the table.
 * - enableDisable: microsoft.directory/users/disable and /enable: the "sensitive actions"
 *   table's columns (Auth Admin, User Admin, PAA, GA). Helpdesk and Password Admin lack it.
 * - manageAuthenticationMethods: the roles of DELETE /users/{id}/authentication/{type}Methods/{id}
 *   (Authentication Administrator "for some users", Privileged Authentication Administrator "for
 *   all users"), and Global Administrator, who holds every permission.
 * Deprecated Partner Tier1/Tier2 Support and the newer SOC Identity Responder role are not
 * modelled: they get no rights here (deny by default).
 */
const ACTION_ROLES: Readonly<Record<UserAction, ReadonlySet<string>>> = {
  revokeSessions: roleIds(permissionRow('users.revokeSignInSessions').roles),
  resetPassword: roleIds(permissionRow('users.update.passwordProfile').roles),
  enableDisable: roleIds(permissionRow('users.update.accountEnabled').roles),
  manageAuthenticationMethods: roleIds([...(permissionRow('authenticationMethods.delete').roles ?? []), 'GlobalAdministrator']),
};

/** Roles named as rows of the table; any other role is "any other built-in or custom role". */
const NAMED_ROWS: ReadonlySet<string> = new Set([
  ...LOW_ROWS,
  R.HelpdeskAdministrator,
  R.GroupsAdministrator,
  R.UserAdministrator,
  R.AuthenticationAdministrator,
]);

/** How the confirmation card would describe a target. */
export type TargetClass = 'nonAdmin' | 'limitedAdmin' | 'privilegedAdmin';

function adminRoles(roles: readonly string[]): string[] {
  return roles.filter((role) => !USER_TYPE_ROLES.has(role.toLowerCase())).map((role) => role.toLowerCase());
}

/** The table rows a target falls in; the caller must be allowed on every one of them. */
function rowsOf(target: TargetProfile): TargetRow[] {
  const roles = adminRoles(target.roles);
  const rows: TargetRow[] = roles.map((role) => (NAMED_ROWS.has(role) ? role : 'anyOtherRole'));
  if (roles.length === 0) rows.push('noAdminRole');
  if (target.inRoleAssignableGroup) rows.push('roleAssignableGroup');
  if (target.hasRestrictedAdministrativeUnitRole) rows.push('restrictedAdministrativeUnit');
  return rows;
}

/** The three classes a card names: non-admin, limited admin, privileged admin (docs/entra-roles.md). */
export function classifyTarget(target: TargetProfile): TargetClass {
  const rows = rowsOf(target);
  if (rows.every((row) => row === 'noAdminRole')) return 'nonAdmin';
  // Helpdesk Admin's column is a subset of User Admin's, so these two cover every limited row.
  const limitedColumns = [COLUMNS.get(R.UserAdministrator), COLUMNS.get(R.AuthenticationAdministrator)];
  const someLimitedColumnCovers = limitedColumns.some(
    (column) => column !== undefined && column !== 'everyone' && rows.every((row) => column.has(row)),
  );
  return someLimitedColumnCovers ? 'limitedAdmin' : 'privilegedAdmin';
}

/** Entra's answer, with the caller role that allowed it (for logs and tests). */
export type RoleDecision =
  | { readonly allowed: true; readonly viaRole: string }
  | { readonly allowed: false; readonly reason: 'noRoleWithPermission' | 'targetTooPrivileged' };

/**
 * May a caller holding `callerRoles` (their `wids`) perform `action` on the target?
 *
 * One caller role must cover every row the target falls in. (When a caller holds several
 * roles, Entra's documentation does not say whether coverage may be combined across them;
 * requiring one role to cover the whole target is the conservative reading.)
 */
export function decide(action: UserAction, callerRoles: readonly string[], target: TargetProfile): RoleDecision {
  const usable = adminRoles(callerRoles).filter((role) => ACTION_ROLES[action].has(role));
  if (usable.length === 0) return { allowed: false, reason: 'noRoleWithPermission' };
  const rows = rowsOf(target);
  for (const role of usable) {
    const column = COLUMNS.get(role);
    if (column === 'everyone' || (column !== undefined && rows.every((row) => column.has(row)))) return { allowed: true, viaRole: role };
  }
  return { allowed: false, reason: 'targetTooPrivileged' };
}

/**
 * May a caller with these roles enable or disable devices they do not own? The roles column of
 * PATCH /devices/{id} (Cloud Device Administrator, Intune Administrator, Global Administrator).
 * A device's registered owner may disable it too (Entra's "owned devices" user permissions);
 * that is checked by the caller of this function.
 */
export function mayEnableDisableDevices(callerRoles: readonly string[]): boolean {
  return holdsRoleFor(callerRoles, permissionRow('devices.update').roles);
}

/**
 * Whether the caller holds one of the roles an operation's row names, or Global Administrator
 * (who holds every permission in Entra; the rows name the least privileged roles).
 */
export function holdsRoleFor(callerRoles: readonly string[], roles: readonly RoleName[] | undefined): boolean {
  const allowed = roleIds([...(roles ?? []), 'GlobalAdministrator']);
  return callerRoles.some((role) => allowed.has(role.toLowerCase()));
}
