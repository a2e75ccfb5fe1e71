/**
 * How directory objects look in Graph: property catalogs (what $select and $filter may name),
 * default property sets, and the JSON for users, groups, directory roles, role assignments
 * and devices.
 */
import { createHash } from 'node:crypto';
import type { Directory, DirectoryDevice, DirectoryGroup, DirectoryUser } from '../directory';
import { ROLE_DISPLAY_NAMES, USER_TYPE_ROLES, type TargetProfile } from './entraRoles';
import type { FilterCapabilities } from './odata';

export type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// users

export const USER_TYPE_NAME = 'microsoft.graph.user';

/** Returned without $select (docs/graph-protocol.md), in Graph's order. */
export const USER_DEFAULT_PROPERTIES: readonly string[] = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];

/** What User.ReadBasic.All may read of other users. */
export const USER_BASIC_PROPERTIES: readonly string[] = ['id', 'displayName', 'givenName', 'surname', 'mail', 'userPrincipalName'];

type UserReader = (user: DirectoryUser) => unknown;

/** Every user property the emulator can $select; unmodelled ones read as Graph's null or []. */
const USER_READERS: Readonly<Record<string, UserReader>> = {
  id: (u) => u.id,
  businessPhones: () => [],
  displayName: (u) => u.displayName,
  givenName: (u) => u.givenName ?? null,
  surname: (u) => u.surname ?? null,
  jobTitle: (u) => u.jobTitle ?? null,
  mail: (u) => u.mail ?? null,
  mobilePhone: () => null,
  officeLocation: (u) => u.officeLocation ?? null,
  preferredLanguage: () => null,
  userPrincipalName: (u) => u.userPrincipalName,
  department: (u) => u.department ?? null,
  accountEnabled: (u) => u.accountEnabled,
  userType: (u) => u.userType,
  signInSessionsValidFromDateTime: (u) => u.signInSessionsValidFromDateTime,
  onPremisesSyncEnabled: () => null,
  onPremisesUserPrincipalName: () => null,
  createdDateTime: () => null,
  employeeId: () => null,
  companyName: () => null,
  usageLocation: () => null,
  externalUserState: (u) => (u.userType === 'Guest' ? 'Accepted' : null),
  creationType: (u) => (u.userType === 'Guest' ? 'Invitation' : null),
  mailNickname: (u) => u.userPrincipalName.split('@')[0] ?? null,
  otherMails: () => [],
  proxyAddresses: (u) => (u.mail ? [`SMTP:${u.mail}`] : []),
};

export const USER_PROPERTIES: readonly string[] = Object.keys(USER_READERS);

export function readUserProperty(user: DirectoryUser, property: string): unknown {
  const canonical = USER_PROPERTIES.find((p) => p.toLowerCase() === property.toLowerCase());
  return canonical ? USER_READERS[canonical]?.(user) : undefined;
}

export const USER_FILTERS: FilterCapabilities = {
  typeName: USER_TYPE_NAME,
  properties: USER_PROPERTIES,
  eq: ['id', 'userPrincipalName', 'mail', 'department', 'displayName', 'userType', 'givenName', 'surname', 'jobTitle', 'accountEnabled'],
  startswith: ['displayName', 'userPrincipalName', 'mail', 'givenName', 'surname'],
  advanced: ['userPrincipalName', 'mail', 'displayName', 'department', 'jobTitle', 'givenName', 'surname', 'userType', 'accountEnabled'],
};

export const USER_SEARCHABLE: readonly string[] = ['displayName', 'givenName', 'surname', 'mail', 'userPrincipalName', 'mailNickname'];

/** How much of a user the caller may see. */
export type UserAccess = 'full' | 'basic';

/** A user as Graph returns it: the default set, or exactly the selected properties. */
export function shapeUser(user: DirectoryUser, select: readonly string[] | undefined, access: UserAccess): Json {
  const names = select ?? USER_DEFAULT_PROPERTIES;
  const result: Json = {};
  for (const name of names) {
    if (access === 'basic' && !USER_BASIC_PROPERTIES.includes(name)) continue;
    result[name] = USER_READERS[name]?.(user) ?? null;
  }
  return result;
}

/** Entra's view of a user as a target of the role rules. */
export function targetProfile(directory: Directory, user: DirectoryUser): TargetProfile {
  return {
    roles: user.roles,
    inRoleAssignableGroup: directory.transitiveGroupsOf(user.id).some((group) => group.isAssignableToRole),
  };
}

// ---------------------------------------------------------------------------------------------
// groups

export const GROUP_TYPE_NAME = 'microsoft.graph.group';

const GROUP_READERS: Readonly<Record<string, (group: DirectoryGroup) => unknown>> = {
  id: (g) => g.id,
  displayName: (g) => g.displayName,
  description: (g) => g.description ?? null,
  groupTypes: () => [],
  mail: () => null,
  mailEnabled: () => false,
  mailNickname: (g) => g.displayName.replace(/[^A-Za-z0-9]/g, '').toLowerCase(),
  securityEnabled: () => true,
  isAssignableToRole: (g) => g.isAssignableToRole,
  visibility: () => null,
  createdDateTime: () => null,
};

export const GROUP_PROPERTIES: readonly string[] = Object.keys(GROUP_READERS);

export function readGroupProperty(group: DirectoryGroup, property: string): unknown {
  const canonical = GROUP_PROPERTIES.find((p) => p.toLowerCase() === property.toLowerCase());
  return canonical ? GROUP_READERS[canonical]?.(group) : undefined;
}

export const GROUP_FILTERS: FilterCapabilities = {
  typeName: GROUP_TYPE_NAME,
  properties: GROUP_PROPERTIES,
  eq: ['id', 'displayName', 'mail', 'mailNickname', 'securityEnabled', 'mailEnabled', 'isAssignableToRole'],
  startswith: ['displayName', 'mail', 'mailNickname'],
  advanced: ['displayName', 'description', 'mail'],
};

export const GROUP_SEARCHABLE: readonly string[] = ['displayName', 'description', 'mail', 'mailNickname'];

export function shapeGroup(group: DirectoryGroup, select: readonly string[] | undefined): Json {
  const result: Json = {};
  for (const name of select ?? GROUP_PROPERTIES) if (name in GROUP_READERS) result[name] = GROUP_READERS[name]?.(group) ?? null;
  return result;
}

// ---------------------------------------------------------------------------------------------
// directory roles and role assignments

export const DIRECTORY_ROLE_PROPERTIES: readonly string[] = ['id', 'displayName', 'description', 'roleTemplateId', 'deletedDateTime'];

/** Formats 16 bytes of a hash as a GUID, so generated ids look like directory ids. */
function guidFrom(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A directoryRole object's id: tenant-specific and stable, unlike the template id. */
export function directoryRoleId(tenantId: string, templateId: string): string {
  return guidFrom(`directoryRole:${tenantId}:${templateId}`);
}

export function roleDisplayName(templateId: string): string {
  return ROLE_DISPLAY_NAMES[templateId] ?? `Custom role ${templateId.slice(0, 8)}`;
}

/** Admin roles a user holds (user-type roles such as "User" are never listed by Graph). */
export function activeRoles(user: DirectoryUser): string[] {
  return user.roles.map((r) => r.toLowerCase()).filter((r) => !USER_TYPE_ROLES.has(r));
}

export function shapeDirectoryRole(tenantId: string, templateId: string, select: readonly string[] | undefined): Json {
  const full: Json = {
    id: directoryRoleId(tenantId, templateId),
    deletedDateTime: null,
    description: null,
    displayName: roleDisplayName(templateId),
    roleTemplateId: templateId,
  };
  return pick(full, select);
}

export const ROLE_ASSIGNMENT_PROPERTIES: readonly string[] = ['id', 'principalId', 'roleDefinitionId', 'directoryScopeId'];
export const ROLE_DEFINITION_PROPERTIES: readonly string[] = ['id', 'templateId', 'displayName', 'description', 'isBuiltIn', 'isEnabled'];

export const ROLE_ASSIGNMENT_FILTERS: FilterCapabilities = {
  typeName: 'microsoft.graph.unifiedRoleAssignment',
  properties: ROLE_ASSIGNMENT_PROPERTIES,
  eq: ['id', 'principalId', 'roleDefinitionId', 'directoryScopeId'],
  startswith: [],
};

export interface RoleAssignment {
  readonly id: string;
  readonly principalId: string;
  readonly roleDefinitionId: string;
  readonly directoryScopeId: string;
}

/** Tenant-wide assignments of every user's active roles; built-in roleDefinitionId = template id. */
export function roleAssignments(directory: Directory): RoleAssignment[] {
  const result: RoleAssignment[] = [];
  for (const user of directory.users.values()) {
    for (const templateId of activeRoles(user)) {
      const id = createHash('sha256').update(`assignment:${templateId}:${user.id}`).digest('base64url').slice(0, 43);
      result.push({ id, principalId: user.id, roleDefinitionId: templateId, directoryScopeId: '/' });
    }
  }
  return result;
}

export function shapeRoleDefinition(templateId: string, select: readonly string[] | undefined): Json {
  return pick(
    {
      id: templateId,
      templateId,
      displayName: roleDisplayName(templateId),
      description: null,
      isBuiltIn: templateId in ROLE_DISPLAY_NAMES,
      isEnabled: true,
    },
    select,
  );
}

// ---------------------------------------------------------------------------------------------
// devices

export const DEVICE_PROPERTIES: readonly string[] = ['id', 'displayName', 'accountEnabled'];

/** 'limited': Graph's shape for a device the token may not read (id only, other properties null). */
export type DeviceAccess = 'full' | 'limited';

export function shapeDevice(device: DirectoryDevice, select: readonly string[] | undefined, access: DeviceAccess): Json {
  if (access === 'limited') return pick({ id: device.id, displayName: null, accountEnabled: null }, select);
  return pick({ id: device.id, displayName: device.displayName, accountEnabled: device.accountEnabled }, select);
}

/** Keeps only the selected keys (all when nothing is selected). */
export function pick(full: Json, select: readonly string[] | undefined): Json {
  if (!select) return full;
  const result: Json = {};
  for (const name of select) if (name in full) result[name] = full[name];
  return result;
}
