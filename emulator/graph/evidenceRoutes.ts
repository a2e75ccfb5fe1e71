/**
 * The emulated Graph's evidence operations, enforced as Graph does: the token's permission (the
 * permission table), the tenant's licence, then the caller's directory roles (and, where the
 * operation touches another user, Entra's "who may act on whom" rules):
 * - GET /auditLogs/signIns (https://learn.microsoft.com/graph/api/signin-list): interactive rows
 *   only (v1.0), newest first, $filter on userId (eq) and createdDateTime (ge/gt/le/lt), $top up
 *   to 1,000, rows hidden until the log's arrival delay has passed;
 * - POST /identityProtection/riskyUsers/confirmCompromised and /dismiss
 *   (https://learn.microsoft.com/graph/api/riskyuser-confirmcompromised,
 *   https://learn.microsoft.com/graph/api/riskyuser-dismiss) and GET /identityProtection/riskyUsers
 *   (https://learn.microsoft.com/graph/api/riskyuser-list), Entra ID P2;
 * - GET /users/{id}/authentication/methods and DELETE /users/{id}/authentication/{type}Methods/{id}
 *   (https://learn.microsoft.com/graph/api/authentication-list-methods,
 *   https://learn.microsoft.com/graph/api/phoneauthenticationmethod-delete): the password method
 *   has no DELETE, the default method cannot be deleted;
 * - GET /roleManagement/directory/roleEligibilityScheduleInstances/filterByCurrentUser(on='principal')
 *   (https://learn.microsoft.com/graph/api/unifiedroleeligibilityscheduleinstance-filterbycurrentuser),
 *   Entra ID P2.
 */
import type { Directory } from '../directory';
import { permissionRow } from '../permissions';
import { METHOD_COLLECTIONS, type EmulatedSignIn } from '../security';
import { refused, resolveUserParam } from './access';
import { permits, type GraphCaller } from './auth';
import { listCollection, type QueryContext } from './collections';
import { decide, holdsRoleFor } from './entraRoles';
import type { FilterCapabilities } from './odata';
import { pick, targetProfile, type Json } from './resources';
import { badRequest, denied, failure, notFound, success, type GraphResult } from './responses';

/** Route names, as counted in the call log. */
export const EVIDENCE_ROUTE_NAMES = {
  signIns: 'auditLogs.signIns',
  confirmCompromised: 'riskyUsers.confirmCompromised',
  dismissRisk: 'riskyUsers.dismiss',
  riskyUsers: 'riskyUsers.list',
  riskyUser: 'riskyUsers.get',
  authenticationMethods: 'users.authenticationMethods',
  deleteAuthenticationMethod: 'users.authenticationMethods.delete',
  myEligibleRoles: 'roleEligibilityScheduleInstances.filterByCurrentUser',
} as const;

type EvidenceRouteName = (typeof EVIDENCE_ROUTE_NAMES)[keyof typeof EVIDENCE_ROUTE_NAMES];

/** What these handlers read of a request (routes.ts's RouteContext has all of it). */
export interface EvidenceContext extends QueryContext {
  readonly method: string;
  readonly caller: GraphCaller;
  readonly params: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

/** What they act on. */
export interface EvidenceEnvironment {
  readonly directory: Directory;
  readonly now: () => Date;
}

interface EvidenceRoute {
  readonly name: EvidenceRouteName;
  readonly method: string;
  readonly pattern: RegExp;
  readonly handle: (ctx: EvidenceContext, env: EvidenceEnvironment) => GraphResult;
}

/** Whether a delegated caller holds a role the operation's row names (application tokens act by permission alone). */
function holdsRole(caller: GraphCaller, roles: Parameters<typeof holdsRoleFor>[1]): boolean {
  return caller.kind === 'app' || holdsRoleFor(caller.roles, roles);
}

// ---------------------------------------------------------------------------------------------
// sign-in logs

const SIGN_IN_PROPERTIES: readonly string[] = [
  'id',
  'createdDateTime',
  'userId',
  'userPrincipalName',
  'userDisplayName',
  'appId',
  'appDisplayName',
  'resourceId',
  'resourceDisplayName',
  'ipAddress',
  'clientAppUsed',
  'correlationId',
  'conditionalAccessStatus',
  'appliedConditionalAccessPolicies',
  'isInteractive',
  'deviceDetail',
  'location',
  'status',
  'riskDetail',
  'riskLevelAggregated',
  'riskLevelDuringSignIn',
  'riskState',
  'riskEventTypes',
  'riskEventTypes_v2',
];

const SIGN_IN_FILTERS: FilterCapabilities = {
  typeName: 'microsoft.graph.signIn',
  properties: [...SIGN_IN_PROPERTIES, 'location/city', 'location/countryOrRegion'],
  eq: [
    'id',
    'userId',
    'appId',
    'correlationId',
    'clientAppUsed',
    'conditionalAccessStatus',
    'userPrincipalName',
    'userDisplayName',
    'appDisplayName',
    'ipAddress',
    'location/city',
    'location/countryOrRegion',
  ],
  startswith: ['userPrincipalName', 'userDisplayName', 'appDisplayName', 'ipAddress', 'location/city', 'location/countryOrRegion'],
  range: ['createdDateTime'],
};

function shapeSignIn(row: EmulatedSignIn, premium: boolean): Json {
  const { visibleAtInMs: _hidden, ...wire } = row;
  // Risk details need Entra ID P2; without it Graph says "hidden".
  const risk = premium ? 'none' : 'hidden';
  return {
    ...wire,
    resourceId: '00000003-0000-0000-c000-000000000000',
    appliedConditionalAccessPolicies: [],
    deviceDetail: {
      deviceId: '',
      displayName: '',
      operatingSystem: 'Windows10',
      browser: 'Edge 120.0.0',
      isCompliant: false,
      isManaged: false,
      trustType: '',
    },
    riskDetail: risk,
    riskLevelAggregated: risk,
    riskLevelDuringSignIn: risk,
    riskState: 'none',
    riskEventTypes: [],
    riskEventTypes_v2: [],
  };
}

function readPath(item: Json, property: string): unknown {
  let value: unknown = item;
  for (const part of property.split('/')) {
    if (typeof value !== 'object' || value === null) return undefined;
    const key = Object.keys(value).find((k) => k.toLowerCase() === part.toLowerCase());
    value = key === undefined ? undefined : (value as Record<string, unknown>)[key];
  }
  return value;
}

function listSignIns(ctx: EvidenceContext, env: EvidenceEnvironment): GraphResult {
  const row = permissionRow('auditLogs.signIns.list');
  if (!permits(ctx.caller, 'auditLogs.signIns.list')) return refused('auditLogs.signIns.list');
  const { licences } = env.directory.security;
  if (!licences.p1 && !licences.p2)
    return failure(
      403,
      'Authentication_RequestFromNonPremiumTenantOrB2CTenant',
      "Neither tenant is B2C or tenant doesn't have premium license",
    );
  if (!holdsRole(ctx.caller, row.roles))
    return failure(403, 'Authentication_RequestFromUnsupportedUserRole', 'User is not in the allowed roles');
  // v1.0 lists interactive sign-ins only; non-interactive ones are in the log but not here.
  const rows = env.directory.security
    .visibleSignIns(env.now())
    .filter((r) => r.isInteractive)
    .map((r) => shapeSignIn(r, licences.p2));
  return listCollection(ctx, rows, {
    typeName: 'microsoft.graph.signIn',
    properties: SIGN_IN_PROPERTIES,
    contextFragment: 'auditLogs/signIns',
    read: readPath,
    filter: SIGN_IN_FILTERS,
    defaultTop: 1000,
    maxTop: 1000,
    shape: (item, select) => pick(item, select),
  });
}

// ---------------------------------------------------------------------------------------------
// Identity Protection

/**
 * POST /identityProtection/riskyUsers/confirmCompromised and /dismiss: the same body
 * ({ userIds }), permission, licence and role rules; confirming raises the risk to high,
 * dismissing clears it (https://learn.microsoft.com/graph/api/riskyuser-dismiss).
 */
function changeRisk(
  operation: 'riskyUsers.confirmCompromised' | 'riskyUsers.dismiss',
): (ctx: EvidenceContext, env: EvidenceEnvironment) => GraphResult {
  return (ctx, env) => {
    const row = permissionRow(operation);
    if (!permits(ctx.caller, operation)) return refused(operation);
    const security = env.directory.security;
    if (!security.licences.p2) return failure(403, 'Forbidden', 'Your tenant is not licensed for this feature.');
    if (!holdsRole(ctx.caller, row.roles)) return denied();
    let userIds: unknown;
    try {
      userIds = (JSON.parse(ctx.body.toString('utf8') || 'null') as { userIds?: unknown } | null)?.userIds;
    } catch {
      return badRequest('Invalid JSON payload.');
    }
    if (!Array.isArray(userIds) || userIds.length === 0 || !userIds.every((id) => typeof id === 'string'))
      return badRequest("The request body must carry 'userIds', a non-empty list of user ids.");
    const now = env.now().toISOString();
    for (const id of userIds) {
      const user = env.directory.users.get(id.toLowerCase());
      // Ids that are no user are ignored, as the emulator reads the documentation.
      if (!user) continue;
      security.riskyUsers.set(
        user.id,
        operation === 'riskyUsers.confirmCompromised'
          ? {
              riskLevel: 'high',
              riskState: 'confirmedCompromised',
              riskDetail: 'adminConfirmedUserCompromised',
              riskLastUpdatedDateTime: now,
            }
          : { riskLevel: 'none', riskState: 'dismissed', riskDetail: 'adminDismissedAllRiskForUser', riskLastUpdatedDateTime: now },
      );
    }
    return success(204);
  };
}

const RISKY_USER_PROPERTIES: readonly string[] = [
  'id',
  'isDeleted',
  'isProcessing',
  'riskDetail',
  'riskLastUpdatedDateTime',
  'riskLevel',
  'riskState',
  'userDisplayName',
  'userPrincipalName',
];

/**
 * GET /identityProtection/riskyUsers (https://learn.microsoft.com/graph/api/riskyuser-list): $filter
 * on riskState and riskLevel (eq) and riskLastUpdatedDateTime (ranges), $orderby, $top (at most
 * 500), paged with nextLink; Entra ID P2.
 */
function listRiskyUsers(ctx: EvidenceContext, env: EvidenceEnvironment): GraphResult {
  const row = permissionRow('riskyUsers.list');
  if (!permits(ctx.caller, 'riskyUsers.list')) return refused('riskyUsers.list');
  const security = env.directory.security;
  if (!security.licences.p2) return failure(403, 'Forbidden', 'Your tenant is not licensed for this feature.');
  if (!holdsRole(ctx.caller, row.roles)) return denied();
  const items: Json[] = [...security.riskyUsers.entries()].flatMap(([id, risk]) => {
    const user = env.directory.users.get(id.toLowerCase());
    return user
      ? [
          {
            id: user.id,
            isDeleted: false,
            isProcessing: false,
            ...risk,
            userDisplayName: user.displayName,
            userPrincipalName: user.userPrincipalName,
          },
        ]
      : [];
  });
  // Newest change first, as the emulator lists it (Graph documents no default order).
  items.sort((a, b) => String(b.riskLastUpdatedDateTime).localeCompare(String(a.riskLastUpdatedDateTime)));
  return listCollection(ctx, items, {
    typeName: 'microsoft.graph.riskyUser',
    properties: RISKY_USER_PROPERTIES,
    contextFragment: 'identityProtection/riskyUsers',
    read: readPath,
    filter: {
      typeName: 'microsoft.graph.riskyUser',
      properties: RISKY_USER_PROPERTIES,
      eq: ['riskState', 'riskLevel', 'id', 'userPrincipalName'],
      startswith: ['userPrincipalName', 'userDisplayName'],
      range: ['riskLastUpdatedDateTime'],
    },
    defaultTop: 20,
    maxTop: 500,
    shape: (item, select) => pick(item, select),
  });
}

/** GET /identityProtection/riskyUsers/{id} (https://learn.microsoft.com/graph/api/riskyuser-get): the list's permissions and licence; 404 when there is no record. */
function getRiskyUser(ctx: EvidenceContext, env: EvidenceEnvironment): GraphResult {
  const row = permissionRow('riskyUsers.list');
  if (!permits(ctx.caller, 'riskyUsers.list')) return refused('riskyUsers.list');
  const security = env.directory.security;
  if (!security.licences.p2) return failure(403, 'Forbidden', 'Your tenant is not licensed for this feature.');
  if (!holdsRole(ctx.caller, row.roles)) return denied();
  const id = (ctx.params.id ?? '').toLowerCase();
  const user = env.directory.users.get(id);
  const risk = user ? security.riskyUsers.get(user.id) : undefined;
  if (!user || !risk) return notFound(id);
  return success(200, {
    '@odata.context': `${ctx.endpoint}/v1.0/$metadata#identityProtection/riskyUsers/$entity`,
    id: user.id,
    isDeleted: false,
    isProcessing: false,
    ...risk,
    userDisplayName: user.displayName,
    userPrincipalName: user.userPrincipalName,
  });
}

// ---------------------------------------------------------------------------------------------
// authentication methods

function listMethods(ctx: EvidenceContext, env: EvidenceEnvironment): GraphResult {
  const row = permissionRow('authenticationMethods.list');
  if (!permits(ctx.caller, 'authenticationMethods.list')) return refused('authenticationMethods.list');
  for (const name of ctx.query.keys()) if (name.startsWith('$')) return badRequest(`The query parameter '${name}' is not supported.`);
  const found = resolveUserParam(ctx.params, env.directory);
  if (!found.ok) return found.error;
  const target = found.value;
  const own = ctx.caller.kind === 'user' && ctx.caller.oid === target.id.toLowerCase();
  if (!own && !holdsRole(ctx.caller, row.roles)) return denied();
  const value = env.directory.security
    .methodsOf(target.id)
    .map((m) => ({ '@odata.type': m.odataType, id: m.id, createdDateTime: m.createdDateTime, ...m.properties }));
  return success(200, { '@odata.context': `${ctx.endpoint}/v1.0/$metadata#users('${target.id}')/authentication/methods`, value });
}

function deleteMethod(ctx: EvidenceContext, env: EvidenceEnvironment): GraphResult {
  if (!permits(ctx.caller, 'authenticationMethods.delete')) return refused('authenticationMethods.delete');
  const found = resolveUserParam(ctx.params, env.directory);
  if (!found.ok) return found.error;
  const target = found.value;
  const collection = ctx.params.collection ?? '';
  const odataType = Object.entries(METHOD_COLLECTIONS).find(([name]) => name.toLowerCase() === collection.toLowerCase())?.[1];
  if (!odataType) return failure(400, 'BadRequest', `Resource not found for the segment '${collection}'.`);
  // The password is reset, never deleted: Graph has no DELETE for it.
  if (odataType === METHOD_COLLECTIONS.passwordMethods)
    return failure(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
  if (ctx.caller.kind === 'user' && !decide('manageAuthenticationMethods', ctx.caller.roles, targetProfile(env.directory, target)).allowed)
    return denied();
  const methodId = ctx.params.method ?? '';
  const security = env.directory.security;
  const method = security.methodsOf(target.id).find((m) => m.id.toLowerCase() === methodId.toLowerCase() && m.odataType === odataType);
  if (!method) return notFound(methodId);
  if (security.defaultMethod.get(target.id) === method.id)
    return badRequest("The user's default multi-factor method can't be deleted: they must choose another default method first.");
  security.methods.set(
    target.id,
    security.methodsOf(target.id).filter((m) => m !== method),
  );
  return success(204);
}

// ---------------------------------------------------------------------------------------------
// Privileged Identity Management

const ELIGIBILITY_PROPERTIES: readonly string[] = [
  'id',
  'principalId',
  'roleDefinitionId',
  'directoryScopeId',
  'appScopeId',
  'startDateTime',
  'endDateTime',
  'memberType',
  'roleEligibilityScheduleId',
];

function myEligibleRoles(ctx: EvidenceContext, env: EvidenceEnvironment): GraphResult {
  if (ctx.caller.kind !== 'user') return badRequest('filterByCurrentUser is only valid with delegated authentication flow.', 'BadRequest');
  if (!permits(ctx.caller, 'roleEligibilityScheduleInstances.filterByCurrentUser'))
    return refused('roleEligibilityScheduleInstances.filterByCurrentUser');
  const security = env.directory.security;
  if (!security.licences.p2)
    return failure(400, 'AadPremiumLicenseRequired', 'The tenant needs a Microsoft Entra ID P2 or Governance license.');
  const oid = ctx.caller.oid;
  const items: Json[] = (security.eligibleRoles.get(oid) ?? []).map((templateId) => ({
    id: `${oid}-${templateId}-e`,
    principalId: oid,
    roleDefinitionId: templateId,
    directoryScopeId: '/',
    appScopeId: null,
    startDateTime: '2026-01-05T08:00:00Z',
    endDateTime: null,
    memberType: 'Direct',
    roleEligibilityScheduleId: `${templateId}-${oid}`,
  }));
  return listCollection(ctx, items, {
    typeName: 'microsoft.graph.unifiedRoleEligibilityScheduleInstance',
    properties: ELIGIBILITY_PROPERTIES,
    contextFragment: 'Collection(unifiedRoleEligibilityScheduleInstance)',
    read: (item, property) => item[ELIGIBILITY_PROPERTIES.find((p) => p.toLowerCase() === property.toLowerCase()) ?? ''],
    filter: {
      typeName: 'microsoft.graph.unifiedRoleEligibilityScheduleInstance',
      properties: ELIGIBILITY_PROPERTIES,
      eq: ['roleDefinitionId', 'directoryScopeId', 'principalId'],
      startswith: [],
    },
    shape: (item, select) => pick(item, select),
  });
}

/** The routes, built with routes.ts's pattern helper and user reference (so paths are matched the one way). */
export function evidenceRoutes(pattern: (source: string) => RegExp, userRef: string): EvidenceRoute[] {
  return [
    { name: EVIDENCE_ROUTE_NAMES.signIns, method: 'GET', pattern: pattern('/auditLogs/signIns'), handle: listSignIns },
    {
      name: EVIDENCE_ROUTE_NAMES.confirmCompromised,
      method: 'POST',
      pattern: pattern('/identityProtection/riskyUsers/confirmCompromised'),
      handle: changeRisk('riskyUsers.confirmCompromised'),
    },
    {
      name: EVIDENCE_ROUTE_NAMES.dismissRisk,
      method: 'POST',
      pattern: pattern('/identityProtection/riskyUsers/dismiss'),
      handle: changeRisk('riskyUsers.dismiss'),
    },
    { name: EVIDENCE_ROUTE_NAMES.riskyUsers, method: 'GET', pattern: pattern('/identityProtection/riskyUsers'), handle: listRiskyUsers },
    {
      name: EVIDENCE_ROUTE_NAMES.riskyUser,
      method: 'GET',
      pattern: pattern('/identityProtection/riskyUsers/(?<id>[0-9A-Fa-f-]{36})'),
      handle: getRiskyUser,
    },
    {
      name: EVIDENCE_ROUTE_NAMES.authenticationMethods,
      method: 'GET',
      pattern: pattern(`/users${userRef}/authentication/methods`),
      handle: listMethods,
    },
    {
      name: EVIDENCE_ROUTE_NAMES.deleteAuthenticationMethod,
      method: 'DELETE',
      pattern: pattern(`/users${userRef}/authentication/(?<collection>[A-Za-z0-9]+Methods)/(?<method>[^/]+)`),
      handle: deleteMethod,
    },
    {
      name: EVIDENCE_ROUTE_NAMES.myEligibleRoles,
      method: 'GET',
      pattern: pattern(
        String.raw`/roleManagement/directory/roleEligibilityScheduleInstances/filterByCurrentUser\(on=(?:'|%27)principal(?:'|%27)\)`,
      ),
      handle: myEligibleRoles,
    },
  ];
}
