/**
 * Microsoft's permission tables, as the emulated Entra and Graph enforce them: for each Graph
 * operation the delegated and application permissions that allow it, the directory roles a
 * signed-in user must hold for it, how Graph refuses a token without them, and the documented
 * throttling quotas of its resource (graph/throttling.ts enforces those counted in requests).
 * Every row cites the Graph reference page it is copied from.
 *
 * Entra reads the table to know which delegated permissions exist (asking for any other one
 * on-behalf-of is AADSTS70011), Graph to decide whether a token may call an operation. Rows
 * without an endpoint in the emulator yet are data for the features that will need them. A real
 * delegated permission no row names is refused too: stricter than Entra, so a feature that needs
 * one fails its tests until its row is added, rather than passing on a permission nobody checked.
 *
 * Permission lists run from least to most privileged, as the pages print them. A grant that is
 * an array is a combination: every permission in it is needed (the page lists them together).
 */
import type { RoleName } from './graph/roleTemplates';

/** One permission, or a combination that is only enough together. */
export type Grant = string | readonly string[];

/** A documented throttling quota. The emulated Graph enforces those counted in requests (graph/throttling.ts). */
export interface Quota {
  /** Requests, or resource units (Graph's identity and access cost model). */
  readonly unit: 'requests' | 'resourceUnits';
  /** Per window; tenant-sized limits give one value per tenant size (< 50, 50-500, > 500 users). */
  readonly limit: number | { readonly small: number; readonly medium: number; readonly large: number };
  readonly windowInSeconds: number;
  /** Whose budget it is. */
  readonly per: 'appAndTenant' | 'appAcrossTenants' | 'tenant' | 'userAndTenant';
  /** Which requests count: all of them, or only writes (POST, PATCH, PUT, DELETE). */
  readonly counts: 'all' | 'writes';
  /** Whether Graph sends Retry-After when this quota throttles. */
  readonly retryAfter: boolean;
}

/** How Graph answers a token that lacks the permission (403 Authorization_RequestDenied unless a row says otherwise). */
export interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

export interface PermissionRow {
  /** Method and path, as the reference page writes them. */
  readonly request: string;
  /** Delegated (work or school account), least privileged first; empty: not supported (for $batch: none of its own). */
  readonly delegated: readonly Grant[];
  /** Application, least privileged first; empty: not supported (for $batch: none of its own). */
  readonly application: readonly Grant[];
  /**
   * Directory roles, one of which the signed-in user must hold (least privileged first). Absent:
   * the page names none, the permission alone decides. For actions on other users Entra's
   * "who may act on whom" tables narrow this further by the target's roles (graph/entraRoles.ts).
   */
  readonly roles?: readonly RoleName[];
  /** When Graph refuses a missing permission with something other than Authorization_RequestDenied. */
  readonly refusal?: Refusal;
  readonly quotas: readonly Quota[];
}

// https://learn.microsoft.com/graph/throttling-limits — "Identity and access service limits"
// (users, groups, devices, directory roles...), the per-app global limit, and the separate
// buckets for device writes, identity and access reports, and identity protection.
const GLOBAL: Quota = { unit: 'requests', limit: 130_000, windowInSeconds: 10, per: 'appAcrossTenants', counts: 'all', retryAfter: true };
const IDENTITY_AND_ACCESS: readonly Quota[] = [
  GLOBAL,
  {
    unit: 'resourceUnits',
    limit: { small: 3_500, medium: 5_000, large: 8_000 },
    windowInSeconds: 10,
    per: 'appAndTenant',
    counts: 'all',
    retryAfter: true,
  },
  { unit: 'requests', limit: 3_000, windowInSeconds: 150, per: 'appAndTenant', counts: 'writes', retryAfter: true },
  { unit: 'resourceUnits', limit: 150_000, windowInSeconds: 20, per: 'appAcrossTenants', counts: 'all', retryAfter: true },
  { unit: 'requests', limit: 35_000, windowInSeconds: 300, per: 'appAcrossTenants', counts: 'writes', retryAfter: true },
  { unit: 'requests', limit: 18_000, windowInSeconds: 300, per: 'tenant', counts: 'writes', retryAfter: true },
];
/** Writes to device objects have their own quota on top: 25 per 10 s for each user. */
const DEVICE_WRITES: readonly Quota[] = [
  ...IDENTITY_AND_ACCESS,
  { unit: 'requests', limit: 25, windowInSeconds: 10, per: 'userAndTenant', counts: 'writes', retryAfter: true },
];
/** Sign-ins, directory audits, authentication methods and registration reports. */
const IDENTITY_AND_ACCESS_REPORTS: readonly Quota[] = [
  GLOBAL,
  { unit: 'requests', limit: 5, windowInSeconds: 10, per: 'appAndTenant', counts: 'all', retryAfter: true },
  { unit: 'requests', limit: 122, windowInSeconds: 10, per: 'appAcrossTenants', counts: 'all', retryAfter: true },
];
/** Risky users, risk detections, named locations, Conditional Access policies: one bucket per tenant, and no Retry-After. */
const IDENTITY_PROTECTION: readonly Quota[] = [
  GLOBAL,
  { unit: 'requests', limit: 1, windowInSeconds: 1, per: 'tenant', counts: 'all', retryAfter: false },
];

const USER_READERS = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];

/** Every operation the emulator knows, by name. */
export const PERMISSION_TABLE = {
  // https://learn.microsoft.com/graph/api/user-get (full profile of another user; User.ReadBasic.All
  // reads only the basic profile, see users.readBasic)
  'users.read': {
    request: 'GET /users/{id | userPrincipalName}',
    delegated: USER_READERS,
    application: USER_READERS,
    quotas: IDENTITY_AND_ACCESS,
  },
  // https://learn.microsoft.com/graph/api/user-list (User.ReadBasic.All: display name, names, mail, photo)
  'users.readBasic': {
    request: 'GET /users',
    delegated: ['User.ReadBasic.All'],
    application: ['User.ReadBasic.All'],
    quotas: IDENTITY_AND_ACCESS,
  },
  // https://learn.microsoft.com/graph/api/user-get (GET /me: the signed-in user's own profile)
  'me.read': {
    request: 'GET /me',
    delegated: ['User.Read', 'User.ReadWrite', 'User.ReadBasic.All', ...USER_READERS],
    application: [],
    quotas: IDENTITY_AND_ACCESS,
  },
  // https://learn.microsoft.com/graph/api/user-revokesigninsessions
  'users.revokeSignInSessions': {
    request: 'POST /users/{id | userPrincipalName}/revokeSignInSessions',
    delegated: ['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
    application: ['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
    // Roles holding microsoft.directory/users/invalidateAllRefreshTokens (not Password Administrator).
    roles: [
      'HelpdeskAdministrator',
      'AuthenticationAdministrator',
      'UserAdministrator',
      'PrivilegedAuthenticationAdministrator',
      'GlobalAdministrator',
    ],
    quotas: IDENTITY_AND_ACCESS,
  },
  // https://learn.microsoft.com/graph/api/user-revokesigninsessions (a user revoking their own sessions needs no role)
  'me.revokeSignInSessions': {
    request: 'POST /me/revokeSignInSessions',
    delegated: ['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
    application: [],
    quotas: IDENTITY_AND_ACCESS,
  },
  // https://learn.microsoft.com/graph/api/user-update (accountEnabled: the least privileged grant is the pair)
  'users.update.accountEnabled': {
    request: 'PATCH /users/{id | userPrincipalName} {accountEnabled}',
    delegated: [['User.EnableDisableAccount.All', 'User.Read.All'], 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
    application: [['User.EnableDisableAccount.All', 'User.Read.All'], 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
    // The "sensitive actions" table's columns; Helpdesk and Password Administrator may not.
    roles: ['AuthenticationAdministrator', 'UserAdministrator', 'PrivilegedAuthenticationAdministrator', 'GlobalAdministrator'],
    quotas: IDENTITY_AND_ACCESS,
  },
  // https://learn.microsoft.com/graph/api/user-update (passwordProfile: User-PasswordProfile.ReadWrite.All;
  // Directory.ReadWrite.All does not include password reset, the page's older note names Directory.AccessAsUser.All)
  'users.update.passwordProfile': {
    request: 'PATCH /users/{id | userPrincipalName} {passwordProfile}',
    delegated: ['User-PasswordProfile.ReadWrite.All', 'User.ReadWrite.All', 'Directory.AccessAsUser.All'],
    application: ['User-PasswordProfile.ReadWrite.All'],
    // The "who can reset passwords" table's columns.
    roles: [
      'PasswordAdministrator',
      'HelpdeskAdministrator',
      'AuthenticationAdministrator',
      'UserAdministrator',
      'PrivilegedAuthenticationAdministrator',
      'GlobalAdministrator',
    ],
    quotas: IDENTITY_AND_ACCESS,
  },
  // https://learn.microsoft.com/graph/api/user-list-memberof and user-list-transitivememberof (another user's)
  'users.memberOf': {
    request: 'GET /users/{id}/memberOf, GET /users/{id}/transitiveMemberOf',
    delegated: [...USER_READERS, 'GroupMember.Read.All', 'GroupMember.ReadWrite.All', 'Group.Read.All', 'Group.ReadWrite.All'],
    application: [...USER_READERS, 'GroupMember.Read.All', 'Group.Read.All'],
    quotas: IDENTITY_AND_ACCESS,
  },
  // https://learn.microsoft.com/graph/api/user-list-memberof (GET /me/memberOf: User.Read is enough)
  'me.memberOf': {
    request: 'GET /me/memberOf, GET /me/transitiveMemberOf',
    delegated: [
      'User.Read',
      'User.ReadWrite',
      ...USER_READERS,
      'GroupMember.Read.All',
      'GroupMember.ReadWrite.All',
      'Group.Read.All',
      'Group.ReadWrite.All',
    ],
    application: [],
    quotas: IDENTITY_AND_ACCESS,
  },
  // https://learn.microsoft.com/graph/api/rbacapplication-list-roleassignments
  'roleAssignments.list': {
    request: 'GET /roleManagement/directory/roleAssignments',
    delegated: [
      'RoleManagement.Read.Directory',
      'Directory.Read.All',
      'RoleManagement.ReadWrite.Directory',
      'RoleManagement.Read.All',
      'Directory.ReadWrite.All',
    ],
    application: [
      'RoleManagement.Read.Directory',
      'Directory.Read.All',
      'RoleManagement.ReadWrite.Directory',
      'RoleManagement.Read.All',
      'Directory.ReadWrite.All',
    ],
    quotas: IDENTITY_AND_ACCESS,
  },
  // https://learn.microsoft.com/graph/api/group-get and group-list
  'groups.read': {
    request: 'GET /groups, GET /groups/{id}',
    delegated: [
      'GroupMember.Read.All',
      'Group.Read.All',
      'Directory.Read.All',
      'Group.ReadWrite.All',
      'GroupMember.ReadWrite.All',
      'Directory.ReadWrite.All',
    ],
    application: [
      'GroupMember.Read.All',
      'Group.Read.All',
      'Directory.Read.All',
      'Group.ReadWrite.All',
      'GroupMember.ReadWrite.All',
      'Directory.ReadWrite.All',
    ],
    quotas: IDENTITY_AND_ACCESS,
  },
  // https://learn.microsoft.com/graph/api/group-list-members and group-list-transitivemembers
  'groups.members': {
    request: 'GET /groups/{id}/members, GET /groups/{id}/transitiveMembers',
    delegated: ['GroupMember.Read.All', 'Directory.Read.All', 'Group.Read.All', 'Group.ReadWrite.All', 'GroupMember.ReadWrite.All'],
    application: ['GroupMember.Read.All', 'Directory.Read.All', 'Group.Read.All', 'Group.ReadWrite.All', 'GroupMember.ReadWrite.All'],
    quotas: IDENTITY_AND_ACCESS,
  },
  // https://learn.microsoft.com/graph/api/user-list-registereddevices (User.Read covers one's own
  // devices; other users' need User.Read.All. Devices come back with only @odata.type and id unless
  // the token may also read devices, see devices.read.)
  'users.registeredDevices': {
    request: 'GET /users/{id}/registeredDevices',
    delegated: USER_READERS,
    application: USER_READERS,
    quotas: IDENTITY_AND_ACCESS,
  },
  // https://learn.microsoft.com/graph/api/user-list-registereddevices (GET /me/registeredDevices)
  'me.registeredDevices': {
    request: 'GET /me/registeredDevices',
    delegated: ['User.Read', ...USER_READERS],
    application: [],
    quotas: IDENTITY_AND_ACCESS,
  },
  // https://learn.microsoft.com/graph/api/device-get (also what decides whether devices in a
  // directoryObject collection come back in full or with limited information)
  'devices.read': {
    request: 'GET /devices/{id}',
    delegated: ['Device.Read.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
    application: ['Device.Read.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
    quotas: IDENTITY_AND_ACCESS,
  },
  // https://learn.microsoft.com/graph/api/device-update — Directory.AccessAsUser.All is the only
  // delegated permission; Device.ReadWrite.All is application-only. Cloud Device Administrator
  // may only enable or disable; a device's registered owner may disable it (not enable it).
  'devices.update': {
    request: 'PATCH /devices/{id}',
    delegated: ['Directory.AccessAsUser.All'],
    application: ['Device.ReadWrite.All', 'Directory.ReadWrite.All'],
    roles: ['CloudDeviceAdministrator', 'IntuneAdministrator', 'GlobalAdministrator'],
    quotas: DEVICE_WRITES,
  },
  // https://learn.microsoft.com/graph/json-batching — the batch needs no permission of its own;
  // each request in it is authorised by its own row, with the same token.
  $batch: {
    request: 'POST /$batch',
    delegated: [],
    application: [],
    quotas: [GLOBAL],
  },

  // Evidence of containment (graph/evidenceRoutes.ts serves them, except listing and dismissing
  // risky users, which are data for the alert features).

  // https://learn.microsoft.com/graph/api/signin-list (Entra ID P1 or P2; Directory.Read.All is
  // the page's higher privileged alternative)
  'auditLogs.signIns.list': {
    request: 'GET /auditLogs/signIns',
    delegated: ['AuditLog.Read.All', 'Directory.Read.All'],
    application: ['AuditLog.Read.All', 'Directory.Read.All'],
    roles: ['ReportsReader', 'SecurityReader', 'SecurityOperator', 'SecurityAdministrator', 'GlobalReader', 'GlobalAdministrator'],
    refusal: {
      status: 403,
      code: 'Authentication_MSGraphPermissionMissing',
      message: "Application missing Microsoft Graph API 'Read all audit log data' permission",
    },
    quotas: IDENTITY_AND_ACCESS_REPORTS,
  },
  // https://learn.microsoft.com/graph/api/riskyuser-list (Entra ID P2)
  'riskyUsers.list': {
    request: 'GET /identityProtection/riskyUsers',
    delegated: ['IdentityRiskyUser.Read.All', 'IdentityRiskyUser.ReadWrite.All'],
    application: ['IdentityRiskyUser.Read.All', 'IdentityRiskyUser.ReadWrite.All'],
    roles: ['GlobalReader', 'SecurityOperator', 'SecurityReader', 'SecurityAdministrator'],
    quotas: IDENTITY_PROTECTION,
  },
  // https://learn.microsoft.com/graph/api/riskyuser-confirmcompromised
  'riskyUsers.confirmCompromised': {
    request: 'POST /identityProtection/riskyUsers/confirmCompromised',
    delegated: ['IdentityRiskyUser.ReadWrite.All'],
    application: ['IdentityRiskyUser.ReadWrite.All'],
    roles: ['SecurityAdministrator'],
    quotas: IDENTITY_PROTECTION,
  },
  // https://learn.microsoft.com/graph/api/riskyuser-dismiss
  'riskyUsers.dismiss': {
    request: 'POST /identityProtection/riskyUsers/dismiss',
    delegated: ['IdentityRiskyUser.ReadWrite.All'],
    application: ['IdentityRiskyUser.ReadWrite.All'],
    roles: ['SecurityAdministrator'],
    quotas: IDENTITY_PROTECTION,
  },
  // https://learn.microsoft.com/graph/api/authentication-list-methods (another user's methods;
  // Global Reader may read too; the quota is the reports bucket's)
  'authenticationMethods.list': {
    request: 'GET /users/{id}/authentication/methods',
    delegated: ['UserAuthenticationMethod.Read.All', 'UserAuthenticationMethod.ReadWrite.All'],
    application: ['UserAuthenticationMethod.Read.All', 'UserAuthenticationMethod.ReadWrite.All'],
    roles: ['GlobalReader', 'AuthenticationAdministrator', 'PrivilegedAuthenticationAdministrator'],
    quotas: IDENTITY_AND_ACCESS_REPORTS,
  },
  // https://learn.microsoft.com/graph/api/phoneauthenticationmethod-delete (and the other
  // {type}Methods/{id} deletes; Authentication Administrators reach only some targets)
  'authenticationMethods.delete': {
    request: 'DELETE /users/{id}/authentication/{type}Methods/{id}',
    delegated: ['UserAuthenticationMethod.ReadWrite.All'],
    application: ['UserAuthenticationMethod.ReadWrite.All'],
    roles: ['AuthenticationAdministrator', 'PrivilegedAuthenticationAdministrator'],
    quotas: IDENTITY_AND_ACCESS_REPORTS,
  },
  // https://learn.microsoft.com/graph/api/unifiedroleeligibilityscheduleinstance-filterbycurrentuser
  // (Entra ID P2 or ID Governance; the caller's own eligibilities, no role needed)
  'roleEligibilityScheduleInstances.filterByCurrentUser': {
    request: "GET /roleManagement/directory/roleEligibilityScheduleInstances/filterByCurrentUser(on='principal')",
    delegated: [
      'RoleEligibilitySchedule.Read.Directory',
      'RoleManagement.Read.Directory',
      'RoleManagement.Read.All',
      'RoleEligibilitySchedule.ReadWrite.Directory',
      'RoleManagement.ReadWrite.Directory',
    ],
    application: [
      'RoleEligibilitySchedule.Read.Directory',
      'RoleManagement.Read.Directory',
      'RoleManagement.Read.All',
      'RoleEligibilitySchedule.ReadWrite.Directory',
      'RoleManagement.ReadWrite.Directory',
    ],
    quotas: [GLOBAL],
  },
} as const satisfies Record<string, PermissionRow>;

export type Operation = keyof typeof PERMISSION_TABLE;

/** The row of an operation. */
export function permissionRow(operation: Operation): PermissionRow {
  return PERMISSION_TABLE[operation];
}

function namesIn(grants: readonly Grant[]): string[] {
  return grants.flatMap((grant) => (typeof grant === 'string' ? [grant] : [...grant]));
}

const DELEGATED = new Map<string, string>(
  Object.values(PERMISSION_TABLE).flatMap((row: PermissionRow) =>
    namesIn(row.delegated).map((name): [string, string] => [name.toLowerCase(), name]),
  ),
);

/**
 * A delegated Microsoft Graph permission by name (case-insensitively, as Entra compares them),
 * spelt as Graph spells it; undefined when the table has none by that name.
 */
export function delegatedPermission(name: string): string | undefined {
  return DELEGATED.get(name.toLowerCase());
}

/** Whether a set of held permission names (lower-case) satisfies one of the grants. */
export function satisfies(held: ReadonlySet<string>, grants: readonly Grant[]): boolean {
  return grants.some((grant) => (typeof grant === 'string' ? [grant] : grant).every((name) => held.has(name.toLowerCase())));
}
