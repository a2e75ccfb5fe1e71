/**
 * Who is calling the emulated Graph: bearer-token checks (signature by the emulated Entra's
 * keys, lifetime, audience, issuer, tenant) and whether its permissions (delegated `scp`,
 * application `roles`) are ones the permission table (../permissions.ts) accepts for an
 * operation. Tokens are never logged or echoed.
 */
import { permissionRow, satisfies, type Operation } from '../permissions';
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

export type Authentication =
  { readonly ok: true; readonly caller: GraphCaller; readonly tokenId?: string } | { readonly ok: false; readonly message: string };

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
  if (!audiences.some((aud) => GRAPH_AUDIENCES.includes(aud)))
    return { ok: false, message: 'Access token validation failure. Invalid audience.' };
  const tid = stringClaim(payload, 'tid');
  if (tid !== tenantId) return { ok: false, message: 'Access token validation failure. Invalid tenant.' };
  if (!issuerMatches(stringClaim(payload, 'iss'), tenantId))
    return { ok: false, message: 'Access token validation failure. Invalid issuer.' };
  const roles = stringList(payload.wids).map((r) => r.toLowerCase());
  const appId = (stringClaim(payload, 'appid') ?? stringClaim(payload, 'azp'))?.toLowerCase();
  const scp = stringClaim(payload, 'scp');
  if (scp !== undefined && stringClaim(payload, 'idtyp') !== 'app') {
    const oid = stringClaim(payload, 'oid');
    if (oid === undefined) return { ok: false, message: 'Access token validation failure. The token has no oid.' };
    const scopes = new Set(
      scp
        .split(' ')
        .filter((s) => s.length > 0)
        .map((s) => s.toLowerCase()),
    );
    const issuedAtInSeconds = typeof payload.iat === 'number' ? payload.iat : 0;
    const clientCapabilities = stringList(payload.xms_cc).map((c) => c.toLowerCase());
    return {
      ok: true,
      caller: { kind: 'user', oid: oid.toLowerCase(), appId, scopes, roles, issuedAtInSeconds, clientCapabilities },
      tokenId: stringClaim(payload, 'uti'),
    };
  }
  if (appId === undefined) return { ok: false, message: 'Access token validation failure. The token has no appid.' };
  const appRoles = new Set(stringList(payload.roles).map((r) => r.toLowerCase()));
  return { ok: true, caller: { kind: 'app', appId, appRoles, roles } };
}

/**
 * Does the token carry a permission the operation's row accepts (delegated `scp` for user
 * tokens, application `roles` for app tokens)? The one permission check of the emulated Graph.
 */
export function permits(caller: GraphCaller, operation: Operation): boolean {
  const row = permissionRow(operation);
  return caller.kind === 'user' ? satisfies(caller.scopes, row.delegated) : satisfies(caller.appRoles, row.application);
}
