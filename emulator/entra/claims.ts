/**
 * The claims of the tokens the emulated Entra mints. Shapes follow docs/on-behalf-of.md:
 * v2 user tokens for the bot's own API (the Teams SSO token), v1 user tokens for Graph
 * (what OBO returns), v2 app-only tokens (client credentials), and v2 id tokens.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { DEFAULT_USER_ROLE, type DirectoryUser } from '../directory';
import { GRAPH_RESOURCE, GUEST_USER_ROLE } from './model';

/** iat/nbf/exp of one token. */
export interface TokenTimes {
  readonly iat: number;
  readonly nbf: number;
  readonly exp: number;
}

/** Times for a token issued now; an expired one was issued a lifetime ago and ran out ten minutes ago (past any clock skew). */
export function tokenTimes(nowInMs: number, lifetimeInSeconds: number, expired = false): TokenTimes {
  const now = Math.floor(nowInMs / 1000);
  const EXPIRED_AGO_IN_SECONDS = 600;
  const iat = expired ? now - lifetimeInSeconds - EXPIRED_AGO_IN_SECONDS : now;
  return { iat, nbf: iat, exp: iat + lifetimeInSeconds };
}

export function v2Issuer(authorityHost: string, tid: string): string {
  return `${authorityHost}/${tid}/v2.0`;
}

export function v1Issuer(tid: string): string {
  return `https://sts.windows.net/${tid}/`;
}

/** Entra's `sub` is pairwise: stable per user and app, different across apps. */
export function pairwiseSubject(objectId: string, appId: string): string {
  return createHash('sha256').update(`${objectId}|${appId.toLowerCase()}`).digest('base64url').slice(0, 43);
}

/** A unique token id, like Entra's `uti`. */
function uti(): string {
  return randomBytes(16).toString('base64url');
}

/** The user's tenant-wide role template ids plus the default user (or guest) role, as in `wids`. */
export function widsOf(user: DirectoryUser): string[] {
  return [...user.roles, user.userType === 'Guest' ? GUEST_USER_ROLE : DEFAULT_USER_ROLE];
}

/** A v2 delegated token for an app's own API (the Teams SSO token, or access_as_user via the code flow). */
export function apiUserClaims(input: {
  readonly user: DirectoryUser;
  readonly audience: string;
  readonly azp: string;
  readonly tid: string;
  readonly issuer: string;
  readonly appIdForSubject: string;
  readonly scp?: string;
  readonly wids?: boolean;
  readonly times: TokenTimes;
}): JWTPayload {
  const { user, times } = input;
  return {
    aud: input.audience,
    iss: input.issuer,
    iat: times.iat,
    nbf: times.nbf,
    exp: times.exp,
    azp: input.azp,
    azpacr: '0',
    name: user.displayName,
    oid: user.id,
    preferred_username: user.userPrincipalName,
    ...(input.scp !== undefined ? { scp: input.scp } : {}),
    sub: pairwiseSubject(user.id, input.appIdForSubject),
    tid: input.tid,
    uti: uti(),
    ver: '2.0',
    ...(input.wids ? { wids: widsOf(user) } : {}),
  };
}

/** A v1 delegated token for Microsoft Graph, as OBO and the code flow return it. */
export function graphUserClaims(input: {
  readonly user: DirectoryUser;
  readonly clientId: string;
  readonly clientName: string;
  readonly tid: string;
  readonly scopes: readonly string[];
  readonly clientCapabilities?: readonly string[];
  readonly times: TokenTimes;
}): JWTPayload {
  const { user, times } = input;
  return {
    aud: GRAPH_RESOURCE,
    iss: v1Issuer(input.tid),
    iat: times.iat,
    nbf: times.nbf,
    exp: times.exp,
    acct: 0,
    acr: '1',
    amr: ['pwd'],
    app_displayname: input.clientName,
    appid: input.clientId,
    appidacr: '1',
    ...(user.surname ? { family_name: user.surname } : {}),
    ...(user.givenName ? { given_name: user.givenName } : {}),
    idtyp: 'user',
    name: user.displayName,
    oid: user.id,
    scp: input.scopes.join(' '),
    sub: pairwiseSubject(user.id, input.clientId),
    tid: input.tid,
    unique_name: user.userPrincipalName,
    upn: user.userPrincipalName,
    uti: uti(),
    ver: '1.0',
    wids: widsOf(user),
    ...(input.clientCapabilities && input.clientCapabilities.length > 0 ? { xms_cc: [...input.clientCapabilities] } : {}),
  };
}

/** A v2 app-only token (client credentials). No roles: the bot holds no application permissions. */
export function appClaims(input: {
  readonly clientId: string;
  readonly audience: string;
  readonly tid: string;
  readonly issuer: string;
  readonly servicePrincipalId: string;
  readonly times: TokenTimes;
}): JWTPayload {
  const { times } = input;
  return {
    aud: input.audience,
    iss: input.issuer,
    iat: times.iat,
    nbf: times.nbf,
    exp: times.exp,
    azp: input.clientId,
    azpacr: '1',
    appid: input.clientId,
    idtyp: 'app',
    oid: input.servicePrincipalId,
    sub: input.servicePrincipalId,
    tid: input.tid,
    uti: uti(),
    ver: '2.0',
  };
}

/**
 * A v1 app-only token as a managed identity gets it for another app's API (a Logic App's HTTP
 * action with managed-identity authentication,
 * https://learn.microsoft.com/azure/logic-apps/authenticate-with-managed-identity): v1 because
 * the API's registration decides the version and v1 is the default, aud = the resource asked for
 * (the API's Application ID URI), appid = the identity's client id, oid/sub = its service
 * principal, roles = the app roles assigned to it, no scp.
 */
export function managedIdentityClaims(input: {
  readonly clientId: string;
  readonly audience: string;
  readonly tid: string;
  readonly servicePrincipalId: string;
  readonly roles?: readonly string[];
  readonly times: TokenTimes;
}): JWTPayload {
  const { times } = input;
  return {
    aud: input.audience,
    iss: v1Issuer(input.tid),
    iat: times.iat,
    nbf: times.nbf,
    exp: times.exp,
    aio: uti(),
    appid: input.clientId,
    appidacr: '2',
    idp: v1Issuer(input.tid),
    idtyp: 'app',
    oid: input.servicePrincipalId,
    ...(input.roles && input.roles.length > 0 ? { roles: [...input.roles] } : {}),
    sub: input.servicePrincipalId,
    tid: input.tid,
    uti: uti(),
    ver: '1.0',
    xms_mirid: `/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/security/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${input.clientId}`,
  };
}

/** A v2 id token for the client that signed the user in. */
export function idTokenClaims(input: {
  readonly user: DirectoryUser;
  readonly clientId: string;
  readonly tid: string;
  readonly issuer: string;
  readonly nonce?: string;
  readonly times: TokenTimes;
}): JWTPayload {
  const { user, times } = input;
  return {
    aud: input.clientId,
    iss: input.issuer,
    iat: times.iat,
    nbf: times.nbf,
    exp: times.exp,
    name: user.displayName,
    ...(input.nonce !== undefined ? { nonce: input.nonce } : {}),
    oid: user.id,
    preferred_username: user.userPrincipalName,
    sub: pairwiseSubject(user.id, input.clientId),
    tid: input.tid,
    ver: '2.0',
  };
}

/** A service principal object id for an app, stable per app (the oid/sub of its app-only tokens). */
export function servicePrincipalIdOf(appId: string, tid: string): string {
  const h = createHash('sha256').update(`sp|${tid}|${appId.toLowerCase()}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
