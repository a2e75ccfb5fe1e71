/**
 * The emulated Graph's operations: one handler per route, registered in one table that both
 * the HTTP server and $batch dispatch through. Each handler checks the token's permissions
 * against the permission table (../permissions.ts), then Entra's role rules where the
 * operation touches another user, then acts on the directory.
 */
import type { Directory, DirectoryDevice, DirectoryGroup, DirectoryUser } from '../directory';
import { permits, type GraphCaller } from './auth';
import { refused, resolveUserParam, type Found } from './access';
import { EVIDENCE_ROUTE_NAMES, evidenceRoutes } from './evidenceRoutes';
import { getEntity, listCollection, type QueryContext } from './collections';
import { classifyTarget, decide, mayEnableDisableDevices, type UserAction } from './entraRoles';
import { parseSelect, type Parsed } from './odata';
import type { Operation } from '../permissions';
import {
  activeRoles,
  DEVICE_PROPERTIES,
  DIRECTORY_ROLE_PROPERTIES,
  GROUP_FILTERS,
  GROUP_PROPERTIES,
  GROUP_SEARCHABLE,
  GROUP_TYPE_NAME,
  readGroupProperty,
  readUserProperty,
  ROLE_ASSIGNMENT_FILTERS,
  ROLE_ASSIGNMENT_PROPERTIES,
  ROLE_DEFINITION_PROPERTIES,
  roleAssignments,
  shapeDevice,
  shapeDirectoryRole,
  shapeGroup,
  shapeRoleDefinition,
  shapeUser,
  targetProfile,
  USER_FILTERS,
  USER_PROPERTIES,
  USER_SEARCHABLE,
  USER_TYPE_NAME,
  type Json,
  type RoleAssignment,
  type DeviceAccess,
  type UserAccess,
} from './resources';
import { badRequest, denied, failure, notFound, success, type GraphResult } from './responses';

/** Route names, as counted in the call log (`EmulatedGraph.count(route)`). */
export const GRAPH_ROUTES = {
  getUser: 'users.get',
  listUsers: 'users.list',
  me: 'me.get',
  revoke: 'users.revokeSignInSessions',
  revokeMe: 'me.revokeSignInSessions',
  memberOf: 'users.memberOf',
  transitiveMemberOf: 'users.transitiveMemberOf',
  meMemberOf: 'me.memberOf',
  meTransitiveMemberOf: 'me.transitiveMemberOf',
  roleAssignments: 'roleAssignments.list',
  listGroups: 'groups.list',
  getGroup: 'groups.get',
  groupMembers: 'groups.members',
  groupTransitiveMembers: 'groups.transitiveMembers',
  updateUser: 'users.update',
  registeredDevices: 'users.registeredDevices',
  updateDevice: 'devices.update',
  batch: '$batch',
  ...EVIDENCE_ROUTE_NAMES,
  /** Any path the emulator does not serve (answered 400 like Graph's unknown segments). */
  unknown: 'unknown',
} as const;

export type GraphRouteName = (typeof GRAPH_ROUTES)[keyof typeof GRAPH_ROUTES];

/** A request as a handler sees it, whether it came over HTTP or inside a $batch. */
export interface RouteContext extends QueryContext {
  readonly method: string;
  readonly caller: GraphCaller;
  /** The bearer token's own id (`uti`), for the call log. */
  readonly tokenId?: string;
  /** Named groups of the route pattern, percent-decoded. */
  readonly params: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

/** What handlers act on. */
export interface GraphEnvironment {
  readonly directory: Directory;
  readonly revokeResponse: '200' | '204';
  readonly now: () => Date;
  /** Runs a $batch (provided by EmulatedGraph, which owns dispatching and the call log). */
  readonly batch: (ctx: RouteContext) => Promise<GraphResult>;
}

export interface GraphRoute {
  readonly name: GraphRouteName;
  readonly method: string;
  /** The permission table row whose throttling quotas a call counts against (./throttling.ts); none for unknown paths. */
  readonly quotas?: Operation;
  /** Matched against the raw path after /v1.0. */
  readonly pattern: RegExp;
  readonly handle: (ctx: RouteContext, env: GraphEnvironment) => GraphResult | Promise<GraphResult>;
}

// ---------------------------------------------------------------------------------------------
// shared steps

/** /users/{id|upn} or /users('{upn}') → the user, or Graph's 400/404. */
function resolveUser(ctx: RouteContext, env: GraphEnvironment): Found<DirectoryUser> {
  return resolveUserParam(ctx.params, env.directory);
}

/** /me → the signed-in user; app tokens have no "me". */
function resolveMe(ctx: RouteContext, env: GraphEnvironment): Found<DirectoryUser> {
  if (ctx.caller.kind !== 'user')
    return { ok: false, error: badRequest('/me request is only valid with delegated authentication flow.', 'BadRequest') };
  const user = env.directory.findUser(ctx.caller.oid);
  return user ? { ok: true, value: user } : { ok: false, error: notFound(ctx.caller.oid) };
}

function isSelf(caller: GraphCaller, user: DirectoryUser): boolean {
  return caller.kind === 'user' && caller.oid === user.id.toLowerCase();
}

/** How much of a user the caller may read, if anything. */
function userAccess(caller: GraphCaller, user: DirectoryUser | undefined): UserAccess | undefined {
  if (permits(caller, 'users.read')) return 'full';
  if (user && isSelf(caller, user) && permits(caller, 'me.read')) return 'full';
  if (permits(caller, 'users.readBasic')) return 'basic';
  return undefined;
}

/**
 * Entra's decision for an action on another user:
 * - anyone may revoke their own sessions, also through /users/{own id} (the target is the
 *   same object as /me; Entra's check is about the object, not the path);
 * - otherwise one of the caller's roles (wids) must allow it (entraRoles.ts);
 * - app-only tokens: an application permission acts without a directory role, and this
 *   emulator assumes (Entra does not document it for revocation) it reaches non-admins only,
 *   unless the app's service principal holds a role that allows more.
 */
function mayActOn(env: GraphEnvironment, caller: GraphCaller, action: UserAction, target: DirectoryUser): boolean {
  if (action === 'revokeSessions' && isSelf(caller, target)) return true;
  const profile = targetProfile(env.directory, target);
  if (decide(action, caller.roles, profile).allowed) return true;
  return caller.kind === 'app' && classifyTarget(profile) === 'nonAdmin';
}

/** Seconds precision with 'Z', as Graph writes signInSessionsValidFromDateTime. */
function isoSeconds(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

function revokeAnswer(ctx: RouteContext, env: GraphEnvironment): GraphResult {
  if (env.revokeResponse === '204') return success(204);
  return success(200, { '@odata.context': `${ctx.endpoint}/v1.0/$metadata#Edm.Boolean`, value: true });
}

function revokeSessions(ctx: RouteContext, env: GraphEnvironment, target: DirectoryUser): GraphResult {
  if (!mayActOn(env, ctx.caller, 'revokeSessions', target)) return denied();
  const now = env.now();
  target.signInSessionsValidFromDateTime = isoSeconds(now);
  // A demo or test attacker who still knows the password tries it again at once (security.ts).
  env.directory.security.attackerTries(target, now);
  return revokeAnswer(ctx, env);
}

function readJsonObject(body: Buffer): Parsed<Record<string, unknown>> {
  if (body.length === 0) return { ok: false, code: 'Request_BadRequest', message: 'Empty Payload. JSON content expected.' };
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
      return { ok: true, value: parsed as Record<string, unknown> };
  } catch {
    // fall through
  }
  return { ok: false, code: 'Request_BadRequest', message: 'Invalid JSON payload.' };
}

/** Entra's default password policy: 8-256 characters, three of four character classes. */
function meetsComplexity(password: string): boolean {
  if (password.length < 8 || password.length > 256) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(password)).length;
  return classes >= 3;
}

// ---------------------------------------------------------------------------------------------
// users

function getUser(ctx: RouteContext, env: GraphEnvironment): GraphResult {
  if (!permits(ctx.caller, 'users.read') && !permits(ctx.caller, 'users.readBasic') && !permits(ctx.caller, 'me.read'))
    return refused('users.read');
  const found = resolveUser(ctx, env);
  if (!found.ok) return found.error;
  const access = userAccess(ctx.caller, found.value);
  if (!access) return refused('users.read');
  return getEntity(ctx, { typeName: USER_TYPE_NAME, properties: USER_PROPERTIES, entitySet: 'users' }, (select) =>
    shapeUser(found.value, select, access),
  );
}

function getMe(ctx: RouteContext, env: GraphEnvironment): GraphResult {
  const found = resolveMe(ctx, env);
  if (!found.ok) return found.error;
  if (!permits(ctx.caller, 'me.read')) return refused('me.read');
  return getEntity(ctx, { typeName: USER_TYPE_NAME, properties: USER_PROPERTIES, entitySet: 'users' }, (select) =>
    shapeUser(found.value, select, 'full'),
  );
}

function listUsers(ctx: RouteContext, env: GraphEnvironment): GraphResult {
  const access = userAccess(ctx.caller, undefined);
  if (!access) return refused('users.readBasic');
  return listCollection(ctx, [...env.directory.users.values()], {
    typeName: USER_TYPE_NAME,
    properties: USER_PROPERTIES,
    contextFragment: 'users',
    selectInContext: true,
    read: readUserProperty,
    filter: USER_FILTERS,
    searchable: USER_SEARCHABLE,
    orderable: ['displayName', 'userPrincipalName'],
    shape: (user, select) => shapeUser(user, select, access),
  });
}

function revokeUser(ctx: RouteContext, env: GraphEnvironment): GraphResult {
  if (!permits(ctx.caller, 'users.revokeSignInSessions')) return refused('users.revokeSignInSessions');
  const found = resolveUser(ctx, env);
  if (!found.ok) return found.error;
  return revokeSessions(ctx, env, found.value);
}

function revokeMe(ctx: RouteContext, env: GraphEnvironment): GraphResult {
  const found = resolveMe(ctx, env);
  if (!found.ok) return found.error;
  if (!permits(ctx.caller, 'me.revokeSignInSessions')) return refused('me.revokeSignInSessions');
  return revokeSessions(ctx, env, found.value);
}

const UPDATABLE_USER_PROPERTIES = ['accountEnabled', 'passwordProfile'];

/** PATCH /users/{id}: accountEnabled and passwordProfile only (what containment needs). */
function updateUser(ctx: RouteContext, env: GraphEnvironment): GraphResult {
  const found = resolveUser(ctx, env);
  if (!found.ok) return found.error;
  const target = found.value;
  const body = readJsonObject(ctx.body);
  if (!body.ok) return failure(400, body.code, body.message);
  for (const key of Object.keys(body.value)) {
    if (!UPDATABLE_USER_PROPERTIES.includes(key))
      return badRequest(`Updating '${key}' is not supported by the emulated Graph (only ${UPDATABLE_USER_PROPERTIES.join(', ')}).`);
  }
  const { accountEnabled, passwordProfile } = body.value;
  if (accountEnabled !== undefined) {
    if (typeof accountEnabled !== 'boolean') return badRequest("Invalid value for property 'accountEnabled': a boolean is expected.");
    if (!permits(ctx.caller, 'users.update.accountEnabled')) return refused('users.update.accountEnabled');
    if (!mayActOn(env, ctx.caller, 'enableDisable', target)) return denied();
  }
  let profile: { password: string; forceChangePasswordNextSignIn: boolean } | undefined;
  if (passwordProfile !== undefined) {
    if (passwordProfile === null || typeof passwordProfile !== 'object') return badRequest("Invalid value for property 'passwordProfile'.");
    const { password, forceChangePasswordNextSignIn } = passwordProfile as Record<string, unknown>;
    if (typeof password !== 'string') return badRequest("Invalid value for property 'passwordProfile': 'password' is required.");
    if (forceChangePasswordNextSignIn !== undefined && typeof forceChangePasswordNextSignIn !== 'boolean') {
      return badRequest("Invalid value for property 'forceChangePasswordNextSignIn': a boolean is expected.");
    }
    if (!permits(ctx.caller, 'users.update.passwordProfile')) return refused('users.update.passwordProfile');
    if (!mayActOn(env, ctx.caller, 'resetPassword', target)) return denied();
    if (!meetsComplexity(password))
      return badRequest(
        'The specified password does not comply with password complexity requirements. Please provide a different password.',
      );
    profile = { password, forceChangePasswordNextSignIn: forceChangePasswordNextSignIn ?? true };
  }
  // Every check passed: apply all or nothing. The password itself is never stored.
  if (typeof accountEnabled === 'boolean') target.accountEnabled = accountEnabled;
  if (profile)
    target.passwordProfile = { forceChangePasswordNextSignIn: profile.forceChangePasswordNextSignIn, changedAt: isoSeconds(env.now()) };
  return success(204);
}

// ---------------------------------------------------------------------------------------------
// memberships and roles

type DirectoryObject =
  | { readonly kind: 'user'; readonly user: DirectoryUser }
  | { readonly kind: 'group'; readonly group: DirectoryGroup }
  | { readonly kind: 'role'; readonly templateId: string };

const CASTS: Readonly<Record<string, DirectoryObject['kind']>> = {
  'microsoft.graph.user': 'user',
  'microsoft.graph.group': 'group',
  'microsoft.graph.directoryrole': 'role',
};

const OBJECT_PROPERTIES: readonly string[] = [...new Set([...USER_PROPERTIES, ...GROUP_PROPERTIES, ...DIRECTORY_ROLE_PROPERTIES])];

function readObject(item: DirectoryObject, property: string): unknown {
  if (item.kind === 'user') return readUserProperty(item.user, property);
  if (item.kind === 'group') return readGroupProperty(item.group, property);
  return property.toLowerCase() === 'roletemplateid' ? item.templateId : undefined;
}

function objectCollection(
  ctx: RouteContext,
  env: GraphEnvironment,
  items: DirectoryObject[],
  allowedCasts: readonly DirectoryObject['kind'][],
  access: UserAccess,
): GraphResult {
  const castText = ctx.params.cast;
  let kind: DirectoryObject['kind'] | undefined;
  if (castText !== undefined) {
    kind = CASTS[castText.toLowerCase()];
    if (!kind || !allowedCasts.includes(kind)) return failure(400, 'BadRequest', `Resource not found for the segment '${castText}'.`);
  }
  const fragment = kind === 'user' ? 'users' : kind === 'group' ? 'groups' : kind === 'role' ? 'directoryRoles' : 'directoryObjects';
  const typeNames = { user: 'user', group: 'group', role: 'directoryRole' } as const;
  return listCollection(ctx, kind ? items.filter((i) => i.kind === kind) : items, {
    typeName: kind ? `microsoft.graph.${typeNames[kind]}` : 'microsoft.graph.directoryObject',
    properties: OBJECT_PROPERTIES,
    contextFragment: fragment,
    read: readObject,
    shape: (item, select) => {
      const type = `#microsoft.graph.${typeNames[item.kind]}`;
      if (item.kind === 'user')
        return {
          '@odata.type': type,
          ...shapeUser(
            item.user,
            select?.filter((p) => USER_PROPERTIES.includes(p)),
            access,
          ),
        };
      if (item.kind === 'group') return { '@odata.type': type, ...shapeGroup(item.group, select) };
      return { '@odata.type': type, ...shapeDirectoryRole(env.directory.tenantId, item.templateId, select) };
    },
  });
}

function membershipsOf(env: GraphEnvironment, user: DirectoryUser, transitive: boolean): DirectoryObject[] {
  const groups = transitive
    ? env.directory.transitiveGroupsOf(user.id)
    : [...env.directory.groups.values()].filter((g) => g.members.includes(user.id));
  return [
    ...groups.map((group): DirectoryObject => ({ kind: 'group', group })),
    ...activeRoles(user).map((templateId): DirectoryObject => ({ kind: 'role', templateId })),
  ];
}

function memberOfHandler(transitive: boolean, me: boolean) {
  return (ctx: RouteContext, env: GraphEnvironment): GraphResult => {
    const found = me ? resolveMe(ctx, env) : resolveUser(ctx, env);
    if (!found.ok) return found.error;
    const own = isSelf(ctx.caller, found.value);
    if (!permits(ctx.caller, 'users.memberOf') && !(own && permits(ctx.caller, 'me.memberOf'))) return refused('users.memberOf');
    return objectCollection(ctx, env, membershipsOf(env, found.value, transitive), ['group', 'role'], 'full');
  };
}

/** $expand=roleDefinition or roleDefinition($select=a,b). */
function expandRoleDefinition(text: string): Parsed<(assignment: RoleAssignment) => Json> {
  const match = /^\s*roleDefinition(?:\(\s*\$select=([^)]*)\))?\s*$/i.exec(text);
  if (!match)
    return {
      ok: false,
      code: 'Request_BadRequest',
      message: `Could not find a navigation property named '${text}' on type 'microsoft.graph.unifiedRoleAssignment'.`,
    };
  let select: string[] | undefined;
  if (match[1] !== undefined) {
    const parsed = parseSelect(match[1], ROLE_DEFINITION_PROPERTIES, 'microsoft.graph.unifiedRoleDefinition');
    if (!parsed.ok) return parsed;
    select = parsed.value;
  }
  return { ok: true, value: (assignment) => ({ roleDefinition: shapeRoleDefinition(assignment.roleDefinitionId, select) }) };
}

function listRoleAssignments(ctx: RouteContext, env: GraphEnvironment): GraphResult {
  if (!permits(ctx.caller, 'roleAssignments.list')) return refused('roleAssignments.list');
  return listCollection(ctx, roleAssignments(env.directory), {
    typeName: 'microsoft.graph.unifiedRoleAssignment',
    properties: ROLE_ASSIGNMENT_PROPERTIES,
    contextFragment: 'roleManagement/directory/roleAssignments',
    read: (assignment, property) => {
      const name = ROLE_ASSIGNMENT_PROPERTIES.find((p) => p.toLowerCase() === property.toLowerCase());
      return name ? assignment[name as keyof RoleAssignment] : undefined;
    },
    filter: ROLE_ASSIGNMENT_FILTERS,
    expand: expandRoleDefinition,
    shape: (assignment, select) => {
      const full: Json = { ...assignment };
      if (!select) return full;
      return Object.fromEntries(select.map((name) => [name, full[name] ?? null]));
    },
  });
}

// ---------------------------------------------------------------------------------------------
// groups

function findGroup(ctx: RouteContext, env: GraphEnvironment): Found<DirectoryGroup> {
  const id = ctx.params.group ?? '';
  const group = env.directory.groups.get(id.toLowerCase()) ?? env.directory.groups.get(id);
  return group ? { ok: true, value: group } : { ok: false, error: notFound(id) };
}

function listGroups(ctx: RouteContext, env: GraphEnvironment): GraphResult {
  if (!permits(ctx.caller, 'groups.read')) return refused('groups.read');
  return listCollection(ctx, [...env.directory.groups.values()], {
    typeName: GROUP_TYPE_NAME,
    properties: GROUP_PROPERTIES,
    contextFragment: 'groups',
    selectInContext: true,
    read: readGroupProperty,
    filter: GROUP_FILTERS,
    searchable: GROUP_SEARCHABLE,
    orderable: ['displayName'],
    shape: shapeGroup,
  });
}

function getGroup(ctx: RouteContext, env: GraphEnvironment): GraphResult {
  if (!permits(ctx.caller, 'groups.read')) return refused('groups.read');
  const found = findGroup(ctx, env);
  if (!found.ok) return found.error;
  return getEntity(ctx, { typeName: GROUP_TYPE_NAME, properties: GROUP_PROPERTIES, entitySet: 'groups' }, (select) =>
    shapeGroup(found.value, select),
  );
}

function membersOf(env: GraphEnvironment, group: DirectoryGroup, transitive: boolean): DirectoryObject[] {
  const result = new Map<string, DirectoryObject>();
  const seen = new Set<string>();
  const visit = (g: DirectoryGroup): void => {
    if (seen.has(g.id)) return;
    seen.add(g.id);
    for (const id of g.members) {
      const user = env.directory.users.get(id);
      const nested = env.directory.groups.get(id);
      if (user) result.set(id, { kind: 'user', user });
      else if (nested) {
        result.set(id, { kind: 'group', group: nested });
        if (transitive) visit(nested);
      }
    }
  };
  visit(group);
  return [...result.values()];
}

function groupMembersHandler(transitive: boolean) {
  return (ctx: RouteContext, env: GraphEnvironment): GraphResult => {
    if (!permits(ctx.caller, 'groups.members')) return refused('groups.members');
    const found = findGroup(ctx, env);
    if (!found.ok) return found.error;
    // Member user objects carry full profiles only with a User.Read.All-class permission.
    const access: UserAccess = permits(ctx.caller, 'users.read') ? 'full' : 'basic';
    return objectCollection(ctx, env, membersOf(env, found.value, transitive), ['user', 'group'], access);
  };
}

// ---------------------------------------------------------------------------------------------
// devices

function listRegisteredDevices(ctx: RouteContext, env: GraphEnvironment): GraphResult {
  const found = resolveUser(ctx, env);
  if (!found.ok) return found.error;
  const own = isSelf(ctx.caller, found.value);
  if (!permits(ctx.caller, 'users.registeredDevices') && !(own && permits(ctx.caller, 'me.registeredDevices')))
    return refused('users.registeredDevices');
  const devices = [...env.directory.devices.values()].filter((d) => d.ownerId === found.value.id);
  // Graph's limited-information rule: without permission to read devices, each comes back with
  // only its type and id, every other property null.
  const access: DeviceAccess = permits(ctx.caller, 'devices.read') ? 'full' : 'limited';
  return listCollection<DirectoryDevice>(ctx, devices, {
    typeName: 'microsoft.graph.device',
    properties: DEVICE_PROPERTIES,
    contextFragment: 'directoryObjects',
    read: (device, property) => shapeDevice(device, [property], access)[property],
    shape: (device, select) => ({ '@odata.type': '#microsoft.graph.device', ...shapeDevice(device, select, access) }),
  });
}

/**
 * PATCH /devices/{id} {accountEnabled}. Needs Cloud Device Administrator, Intune
 * Administrator or Global Administrator; a device's owner may disable (not enable) it.
 */
function updateDevice(ctx: RouteContext, env: GraphEnvironment): GraphResult {
  if (!permits(ctx.caller, 'devices.update')) return refused('devices.update');
  const id = ctx.params.device ?? '';
  const device = env.directory.devices.get(id.toLowerCase()) ?? env.directory.devices.get(id);
  if (!device) return notFound(id);
  const body = readJsonObject(ctx.body);
  if (!body.ok) return failure(400, body.code, body.message);
  for (const key of Object.keys(body.value)) {
    if (key !== 'accountEnabled') return badRequest(`Updating '${key}' is not supported by the emulated Graph (only accountEnabled).`);
  }
  const { accountEnabled } = body.value;
  if (typeof accountEnabled !== 'boolean') return badRequest("Invalid value for property 'accountEnabled': a boolean is expected.");
  const ownerDisabling = ctx.caller.kind === 'user' && ctx.caller.oid === device.ownerId.toLowerCase() && !accountEnabled;
  if (ctx.caller.kind === 'user' && !mayEnableDisableDevices(ctx.caller.roles) && !ownerDisabling) return denied();
  device.accountEnabled = accountEnabled;
  return success(204);
}

// ---------------------------------------------------------------------------------------------
// the table

function unknownSegment(ctx: RouteContext): GraphResult {
  if (ROUTE_TABLE.some((route) => route.pattern.test(ctx.rawPath))) {
    return failure(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
  }
  const segments = ctx.rawPath.split('/').filter((s) => s.length > 0);
  return failure(400, 'BadRequest', `Resource not found for the segment '${segments[0] ?? ''}'.`);
}

const USER_REF = String.raw`(?:/(?<user>[^/]+)|\((?<userKey>[^/]*)\))`;
const CAST = String.raw`(?:/(?<cast>microsoft\.graph\.[A-Za-z]+))?`;

function pattern(source: string): RegExp {
  return new RegExp(`^${source}/?$`, 'i');
}

/** Every operation; matched in order against the path after /v1.0. */
export const ROUTE_TABLE: readonly GraphRoute[] = [
  { name: GRAPH_ROUTES.me, quotas: 'me.read', method: 'GET', pattern: pattern('/me'), handle: getMe },
  {
    name: GRAPH_ROUTES.revokeMe,
    quotas: 'me.revokeSignInSessions',
    method: 'POST',
    pattern: pattern('/me/revokeSignInSessions'),
    handle: revokeMe,
  },
  {
    name: GRAPH_ROUTES.meMemberOf,
    quotas: 'me.memberOf',
    method: 'GET',
    pattern: pattern(`/me/memberOf${CAST}`),
    handle: memberOfHandler(false, true),
  },
  {
    name: GRAPH_ROUTES.meTransitiveMemberOf,
    quotas: 'me.memberOf',
    method: 'GET',
    pattern: pattern(`/me/transitiveMemberOf${CAST}`),
    handle: memberOfHandler(true, true),
  },
  { name: GRAPH_ROUTES.listUsers, quotas: 'users.readBasic', method: 'GET', pattern: pattern('/users'), handle: listUsers },
  { name: GRAPH_ROUTES.getUser, quotas: 'users.read', method: 'GET', pattern: pattern(`/users${USER_REF}`), handle: getUser },
  {
    name: GRAPH_ROUTES.updateUser,
    quotas: 'users.update.accountEnabled',
    method: 'PATCH',
    pattern: pattern(`/users${USER_REF}`),
    handle: updateUser,
  },
  {
    name: GRAPH_ROUTES.revoke,
    quotas: 'users.revokeSignInSessions',
    method: 'POST',
    pattern: pattern(`/users${USER_REF}/revokeSignInSessions`),
    handle: revokeUser,
  },
  {
    name: GRAPH_ROUTES.memberOf,
    quotas: 'users.memberOf',
    method: 'GET',
    pattern: pattern(`/users${USER_REF}/memberOf${CAST}`),
    handle: memberOfHandler(false, false),
  },
  {
    name: GRAPH_ROUTES.transitiveMemberOf,
    quotas: 'users.memberOf',
    method: 'GET',
    pattern: pattern(`/users${USER_REF}/transitiveMemberOf${CAST}`),
    handle: memberOfHandler(true, false),
  },
  {
    name: GRAPH_ROUTES.registeredDevices,
    quotas: 'users.registeredDevices',
    method: 'GET',
    pattern: pattern(`/users${USER_REF}/registeredDevices`),
    handle: listRegisteredDevices,
  },
  {
    name: GRAPH_ROUTES.roleAssignments,
    quotas: 'roleAssignments.list',
    method: 'GET',
    pattern: pattern('/roleManagement/directory/roleAssignments'),
    handle: listRoleAssignments,
  },
  { name: GRAPH_ROUTES.listGroups, quotas: 'groups.read', method: 'GET', pattern: pattern('/groups'), handle: listGroups },
  { name: GRAPH_ROUTES.getGroup, quotas: 'groups.read', method: 'GET', pattern: pattern('/groups/(?<group>[^/]+)'), handle: getGroup },
  {
    name: GRAPH_ROUTES.groupMembers,
    quotas: 'groups.members',
    method: 'GET',
    pattern: pattern(`/groups/(?<group>[^/]+)/members${CAST}`),
    handle: groupMembersHandler(false),
  },
  {
    name: GRAPH_ROUTES.groupTransitiveMembers,
    quotas: 'groups.members',
    method: 'GET',
    pattern: pattern(`/groups/(?<group>[^/]+)/transitiveMembers${CAST}`),
    handle: groupMembersHandler(true),
  },
  {
    name: GRAPH_ROUTES.updateDevice,
    quotas: 'devices.update',
    method: 'PATCH',
    pattern: pattern('/devices/(?<device>[^/]+)'),
    handle: updateDevice,
  },
  {
    name: GRAPH_ROUTES.batch,
    quotas: '$batch',
    method: 'POST',
    pattern: pattern(String.raw`/\$batch`),
    handle: (ctx, env) => env.batch(ctx),
  },
  ...evidenceRoutes(pattern, USER_REF),
];

/** The catch-all: any method, any path (405 for a known path with another method, else 400). */
export const UNKNOWN_ROUTE: GraphRoute = { name: GRAPH_ROUTES.unknown, method: '*', pattern: /^.*$/, handle: unknownSegment };

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Finds the route for a method and raw path (after /v1.0), with decoded parameters. */
export function matchRoute(method: string, rawPath: string): { route: GraphRoute; params: Record<string, string | undefined> } {
  for (const route of ROUTE_TABLE) {
    if (route.method !== method.toUpperCase()) continue;
    const match = route.pattern.exec(rawPath);
    if (!match) continue;
    const params: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries<string | undefined>(match.groups ?? {}))
      params[name] = value === undefined ? undefined : safeDecode(value);
    return { route, params };
  }
  return { route: UNKNOWN_ROUTE, params: {} };
}
