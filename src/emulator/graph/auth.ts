/**
 * Who is calling the emulated Graph: bearer-token checks (signature by the emulated Entra's
 * keys, lifetime, audience, issuer, tenant) and the Graph permissions (delegated `scp`,
 * application `roles`) each operation accepts. Tokens are never logged or echoed.
 */
import type { SigningKeySet } from '../signingKeys';

/** The audiences Graph accepts: its App ID URI and its application id. */
export const GRAPH_AUDIENCES: readonly string[] = ['https://graph.microsoft.com', '00000003-0000-0000-c000-000000000000'];

/** A verified caller. Ids, scope and app-role names are kept lower-case (Graph compares them so). */
export type GraphCaller =
  | {
      readonly kind: 'user';
      readonly oid: string;
      readonly appId: string | undefined;
      readonly scopes: ReadonlySet<string>;
      /** Directory role template ids from `wids`. */
      readonly roles: readonly string[];
      /** The token's `iat`: Continuous Access Evaluation compares it with the user's revocation time. */
      readonly issuedAtInSeconds: number;
      /** Client capabilities from `xms_cc`, lower-case (`cp1`: the client handles claims challenges). */
      readonly clientCapabilities: readonly string[];
    }
  | {
      readonly kind: 'app';
      readonly appId: string;
      readonly appRoles: ReadonlySet<string>;
      /** Directory roles assigned to the app's service principal, from `wids`. */
      readonly roles: readonly string[];
    };

export type Authentication = { readonly ok: true; readonly caller: GraphCaller; readonly tokenId?: string } | { readonly ok: false; readonly message: string };

/** The id the call log records: the user's oid for delegated tokens, the appid for app tokens. */
export function callerId(caller: GraphCaller): string {
  return caller.kind === 'user' ? caller.oid : caller.appId;
}

function stringClaim(payload: Record<string, unknown>, name: string): string | undefined {
  const value = payload[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * Accepted issuers: the v1 issuer Graph tokens carry (`https://sts.windows.net/{tid}/`), or a
 * v2 issuer `{authority host}/{tid}/v2.0` (the emulated Entra's host is not Microsoft's).
 */
function issuerMatches(iss: string | undefined, tenantId: string): boolean {
  if (iss === undefined) return false;
  if (iss === `https://sts.windows.net/${tenantId}/`) return true;
  return /^https:\/\/[^/]+\/([^/]+)\/v2\.0$/.exec(iss)?.[1] === tenantId;
}

/** Verifies the Authorization header's bearer token for the directory's tenant. */
export async function authenticate(authorization: string | undefined, keys: SigningKeySet, tenantId: string): Promise<Authentication> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match?.[1]) return { ok: false, message: 'Access token is empty.' };
  let payload: Record<string, unknown>;
  try {
    payload = await keys.verify(match[1]);
  } catch (error) {
    const expired = error instanceof Error && 'code' in error && error.code === 'ERR_JWT_EXPIRED';
    return { ok: false, message: expired ? 'Lifetime validation failed, the token is expired.' : 'Access token validation failure.' };
  }
  if (typeof payload.exp !== 'number') return { ok: false, message: 'Access token validation failure. The token has no expiry.' };
  const audiences = typeof payload.aud === 'string' ? [payload.aud] : stringList(payload.aud);
  if (!audiences.some((aud) => GRAPH_AUDIENCES.includes(aud))) return { ok: false, message: 'Access token validation failure. Invalid audience.' };
  const tid = stringClaim(payload, 'tid');
  if (tid !== tenantId) return { ok: false, message: 'Access token validation failure. Invalid tenant.' };
  if (!issuerMatches(stringClaim(payload, 'iss'), tenantId)) return { ok: false, message: 'Access token validation failure. Invalid issuer.' };
  const roles = stringList(payload.wids).map((r) => r.toLowerCase());
  const appId = (stringClaim(payload, 'appid') ?? stringClaim(payload, 'azp'))?.toLowerCase();
  const scp = stringClaim(payload, 'scp');
  if (scp !== undefined && stringClaim(payload, 'idtyp') !== 'app') {
    const oid = stringClaim(payload, 'oid');
    if (oid === undefined) return { ok: false, message: 'Access token validation failure. The token has no oid.' };
    const scopes = new Set(scp.split(' ').filter((s) => s.length > 0).map((s) => s.toLowerCase()));
    const issuedAtInSeconds = typeof payload.iat === 'number' ? payload.iat : 0;
    const clientCapabilities = stringList(payload.xms_cc).map((c) => c.toLowerCase());
    return { ok: true, caller: { kind: 'user', oid: oid.toLowerCase(), appId, scopes, roles, issuedAtInSeconds, clientCapabilities }, tokenId: stringClaim(payload, 'uti') };
  }
  if (appId === undefined) return { ok: false, message: 'Access token validation failure. The token has no appid.' };
  const appRoles = new Set(stringList(payload.roles).map((r) => r.toLowerCase()));
  return { ok: true, caller: { kind: 'app', appId, appRoles, roles } };
}

/** The Graph permissions (delegated and application) that allow an operation. */
export interface Permission {
  readonly delegated: readonly string[];
  readonly application: readonly string[];
}

const READ_USERS_FULL = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All', 'Directory.AccessAsUser.All'];
const READ_MEMBERSHIPS = [...READ_USERS_FULL, 'GroupMember.Read.All', 'GroupMember.ReadWrite.All', 'Group.Read.All', 'Group.ReadWrite.All'];

/**
 * Per operation, from the Graph permission pages (graph.md §1.3, §2.2, §2.5, §2.6). Higher
 * privileged permissions that include the least one are listed too.
 */
export const PERMISSIONS = {
  /** Full profile of other users. */
  readUsers: { delegated: READ_USERS_FULL, application: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'] },
  /** Basic profile of other users (and listing them). */
  readUsersBasic: { delegated: ['User.ReadBasic.All'], application: ['User.ReadBasic.All'] },
  /** The signed-in user's own profile. */
  readSelf: { delegated: ['User.Read', 'User.ReadWrite', 'User.ReadBasic.All', ...READ_USERS_FULL], application: [] },
  /** memberOf / transitiveMemberOf of other users. */
  readMemberships: { delegated: READ_MEMBERSHIPS, application: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All', 'GroupMember.Read.All', 'Group.Read.All'] },
  /** memberOf / transitiveMemberOf of the signed-in user. */
  readOwnMemberships: { delegated: ['User.Read', 'User.ReadWrite', ...READ_MEMBERSHIPS], application: [] },
  readRoleAssignments: {
    delegated: ['RoleManagement.Read.Directory', 'RoleManagement.ReadWrite.Directory', 'RoleManagement.Read.All', 'Directory.Read.All', 'Directory.ReadWrite.All', 'Directory.AccessAsUser.All'],
    application: ['RoleManagement.Read.Directory', 'RoleManagement.ReadWrite.Directory', 'RoleManagement.Read.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  },
  readGroups: {
    delegated: ['GroupMember.Read.All', 'GroupMember.ReadWrite.All', 'Group.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All', 'Directory.AccessAsUser.All'],
    application: ['GroupMember.Read.All', 'GroupMember.ReadWrite.All', 'Group.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  },
  revokeSessions: {
    delegated: ['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All', 'Directory.AccessAsUser.All'],
    application: ['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
  },
  enableDisableUsers: {
    delegated: ['User.EnableDisableAccount.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All', 'Directory.AccessAsUser.All'],
    application: ['User.EnableDisableAccount.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
  },
  /** passwordProfile: Directory.ReadWrite.All does not include password reset. */
  resetPasswords: { delegated: ['User-PasswordProfile.ReadWrite.All', 'User.ReadWrite.All', 'Directory.AccessAsUser.All'], application: ['User-PasswordProfile.ReadWrite.All', 'User.ReadWrite.All'] },
  readDevices: {
    delegated: ['Device.Read.All', 'Device.ReadWrite.All', ...READ_USERS_FULL],
    application: ['Device.Read.All', 'Device.ReadWrite.All', 'User.Read.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  },
  writeDevices: { delegated: ['Device.ReadWrite.All', 'Directory.ReadWrite.All', 'Directory.AccessAsUser.All'], application: ['Device.ReadWrite.All', 'Directory.ReadWrite.All'] },
} as const satisfies Record<string, Permission>;

/** Does the token carry one of the permissions that allow this operation? */
export function granted(caller: GraphCaller, permission: Permission): boolean {
  const held = caller.kind === 'user' ? caller.scopes : caller.appRoles;
  const accepted = caller.kind === 'user' ? permission.delegated : permission.application;
  return accepted.some((name) => held.has(name.toLowerCase()));
}
