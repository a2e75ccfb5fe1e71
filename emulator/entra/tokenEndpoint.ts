/**
 * POST /{tenant}/oauth2/v2.0/token: client credentials (the bot's connector token),
 * on-behalf-of (the SSO token → a delegated Graph token), authorization code (the sign-in
 * fallback / token service) and refresh token. Each refusal is the AADSTS answer Entra gives.
 *
 * Call log: `req.caller` is the client_id the request claims; once a user is known (OBO,
 * code, refresh) it becomes `${client_id}|${user oid}`.
 */
import { createHash, timingSafeEqual, randomBytes } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, importJWK, type JWK, type JWTPayload, type KeyLike } from 'jose';
import type { DirectoryUser } from '../directory';
import type { SigningKeySet } from '../signingKeys';
import type { EmulatedRequest, EmulatedResponse } from '../httpServer';
import { apiUserClaims, appClaims, graphUserClaims, idTokenClaims, servicePrincipalIdOf, tokenTimes, v1Issuer, v2Issuer } from './claims';
import { AADSTS, errorResponse, type EntraError } from './errors';
import {
  fail,
  GRAPH_RESOURCE,
  ok,
  resolveTenant,
  type AppRegistration,
  type CodeGrant,
  type EntraContext,
  type Outcome,
  type TenantRef,
} from './model';
import { ACCESS_AS_USER, grantGraphScopes, parseScopes, responseScope, type ScopeRequest } from './scopes';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const CODE_LIFETIME_IN_MS = 5 * 60 * 1000;

type TokenBody = Record<string, unknown>;

/** Answers one token request. */
export async function handleTokenRequest(ctx: EntraContext, req: EmulatedRequest): Promise<EmulatedResponse> {
  const nowInMs = ctx.nowInMs();
  const form = req.form();
  const correlationId = correlationIdOf(form.get('client-request-id') ?? headerOf(req, 'client-request-id'));
  const answer = (outcome: Outcome<TokenBody, EntraError>): EmulatedResponse =>
    outcome.ok
      ? {
          status: 200,
          headers: {
            'cache-control': 'no-store, no-cache',
            pragma: 'no-cache',
            ...(correlationId ? { 'client-request-id': correlationId } : {}),
          },
          body: outcome.value,
        }
      : errorResponse(outcome.error, { authorityHost: ctx.authorityHost(), nowInMs, correlationId });

  const basic = parseBasicAuth(headerOf(req, 'authorization'));
  const claimedClientId = basic?.id ?? form.get('client_id') ?? undefined;
  if (claimedClientId) req.caller = claimedClientId;

  const segment = req.params.tenant ?? '';
  const tenant = resolveTenant(segment, ctx.directory);
  if (!tenant) return answer(fail(AADSTS.tenantNotFound(segment)));

  const grantType = form.get('grant_type');
  if (!grantType) return answer(fail(AADSTS.missingParameter('grant_type')));
  if (![JWT_BEARER, 'client_credentials', 'authorization_code', 'refresh_token'].includes(grantType)) {
    return answer(fail(AADSTS.unsupportedGrantType(grantType)));
  }
  const client = authenticateClient(ctx, form, basic, segment);
  if (!client.ok) return answer(client);
  const call: GrantCall = {
    ctx,
    form,
    client: client.value,
    tenant,
    segment,
    nowInMs,
    identify: (user) => {
      req.caller = `${client.value.appId}|${user.id}`;
    },
  };
  switch (grantType) {
    case 'client_credentials':
      return answer(await clientCredentials(call));
    case JWT_BEARER:
      return answer(await onBehalfOf(call));
    case 'authorization_code':
      return answer(await authorizationCode(call));
    default:
      return answer(await refreshToken(call));
  }
}

interface GrantCall {
  readonly ctx: EntraContext;
  readonly form: URLSearchParams;
  readonly client: AppRegistration;
  readonly tenant: TenantRef;
  /** The tenant segment as written in the path (for messages). */
  readonly segment: string;
  readonly nowInMs: number;
  /** Records the user in the call log. */
  readonly identify: (user: DirectoryUser) => void;
}

function headerOf(req: EmulatedRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function correlationIdOf(value: string | null | undefined): string | undefined {
  return value && /^[0-9a-f-]{36}$/i.test(value) ? value : undefined;
}

/** HTTP Basic client authentication (RFC 6749 §2.3.1: id and secret form-url-encoded). */
function parseBasicAuth(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const unescape = (s: string): string => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  return { id: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function authenticateClient(
  ctx: EntraContext,
  form: URLSearchParams,
  basic: { id: string; secret: string } | undefined,
  tenantName: string,
): Outcome<AppRegistration, EntraError> {
  const bodyId = form.get('client_id');
  if (basic && bodyId && basic.id.toLowerCase() !== bodyId.toLowerCase()) return fail(AADSTS.malformedRequest());
  const clientId = basic?.id ?? bodyId;
  if (!clientId) return fail(AADSTS.missingParameter('client_id'));
  const app = ctx.apps.get(clientId.toLowerCase());
  if (!app) return fail(AADSTS.unknownClient(clientId, tenantName));
  const secret = basic?.secret ?? form.get('client_secret');
  if (secret === null) {
    return fail(form.has('client_assertion') ? AADSTS.clientAssertionUnsupported() : AADSTS.missingClientSecret());
  }
  if (!sameSecret(secret, app.secret)) return fail(AADSTS.badClientSecret(app.appId));
  return ok(app);
}

/** The tenant id a user-token request at this path issues for (common/organizations: the directory's). */
function userTenantOf(ctx: EntraContext, tenant: TenantRef): string {
  return tenant.kind === 'multi' ? ctx.directory.tenantId : tenant.tid;
}

function isoOfSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

/** Refuses a user who can't get tokens: missing, disabled, or whose sessions were revoked after `issuedAtInSeconds`. */
function checkUser(ctx: EntraContext, userId: string, tenantName: string, issuedAtInSeconds: number): Outcome<DirectoryUser, EntraError> {
  const user = ctx.directory.users.get(userId);
  if (!user) return fail(AADSTS.userNotFound(userId, tenantName));
  if (!user.accountEnabled) return fail(AADSTS.userDisabled());
  const validFromInMs = Date.parse(user.signInSessionsValidFromDateTime);
  // Entra compares whole seconds: a grant from the same second as the revocation still counts.
  const validFromInSeconds = Number.isNaN(validFromInMs) ? 0 : Math.floor(validFromInMs / 1000);
  if (issuedAtInSeconds < validFromInSeconds) {
    return fail(AADSTS.grantRevoked(isoOfSeconds(issuedAtInSeconds), isoOfSeconds(validFromInSeconds)));
  }
  return ok(user);
}

// ---------------------------------------------------------------- client credentials

async function clientCredentials(call: GrantCall): Promise<Outcome<TokenBody, EntraError>> {
  const { ctx, tenant, client, form } = call;
  if (tenant.kind === 'multi' && tenant.segment === 'common') return fail(AADSTS.grantNotOnCommon());
  const scope = form.get('scope');
  if (!scope) return fail(AADSTS.missingParameter('scope'));
  const scopes = scope.split(/\s+/).filter((s) => s.length > 0);
  const only = scopes.length === 1 ? scopes[0] : undefined;
  if (!only || !only.endsWith('/.default') || only.length <= '/.default'.length) return fail(AADSTS.clientCredentialsScope(scope));
  const resource = only.slice(0, -'/.default'.length);
  const api = parseScopes(`${resource}/${ACCESS_AS_USER}`, ctx.apps.values(), call.segment);
  // An app's own API is addressed by its appId in v2 tokens; any other resource by its URI.
  const audience = api.ok && api.value.resource.kind === 'api' ? api.value.resource.app.appId : resource;
  const tid = userTenantOf(ctx, tenant);
  const times = tokenTimes(call.nowInMs, ctx.tokenLifetimeInSeconds);
  const accessToken = await ctx.keys.sign(
    appClaims({
      clientId: client.appId,
      audience,
      tid,
      issuer: v2Issuer(ctx.authorityHost(), tid),
      servicePrincipalId: servicePrincipalIdOf(client.appId, tid),
      times,
    }),
  );
  return ok({
    token_type: 'Bearer',
    expires_in: ctx.tokenLifetimeInSeconds,
    ext_expires_in: ctx.tokenLifetimeInSeconds,
    access_token: accessToken,
  });
}

// ---------------------------------------------------------------- on-behalf-of

const publicKeys = new WeakMap<SigningKeySet, Promise<KeyLike | Uint8Array>>();

/** The published key, imported once per key set. */
function publicKeyOf(keys: SigningKeySet): Promise<KeyLike | Uint8Array> {
  let key = publicKeys.get(keys);
  if (!key) {
    const [jwk] = keys.jwks().keys;
    if (!jwk) throw new Error('The emulated Entra has no signing key');
    key = importJWK(jwk as JWK, 'RS256');
    publicKeys.set(keys, key);
  }
  return key;
}

function audiencesOf(payload: JWTPayload): string[] {
  return typeof payload.aud === 'string'
    ? [payload.aud]
    : Array.isArray(payload.aud)
      ? payload.aud.filter((a) => typeof a === 'string')
      : [];
}

/** Checks the user assertion as Entra does: signature, issuer, time, audience, tenant, user token. */
async function checkAssertion(call: GrantCall, assertion: string): Promise<Outcome<JWTPayload & { oid: string; tid: string }, EntraError>> {
  const { ctx, client, tenant } = call;
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(assertion).kid;
  } catch {
    return fail(AADSTS.malformedAssertion());
  }
  if (kid !== ctx.keys.kid) return fail(AADSTS.assertionKeyNotFound());
  let payload: unknown;
  try {
    const verified = await compactVerify(assertion, await publicKeyOf(ctx.keys), { algorithms: ['RS256'] });
    payload = JSON.parse(Buffer.from(verified.payload).toString('utf8'));
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return fail(code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' ? AADSTS.assertionBadSignature() : AADSTS.malformedAssertion());
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return fail(AADSTS.malformedAssertion());
  const claims = payload as JWTPayload;
  const tid = typeof claims.tid === 'string' ? claims.tid : '';
  const iss = typeof claims.iss === 'string' ? claims.iss : '';
  if (!tid || (iss !== v2Issuer(ctx.authorityHost(), tid) && iss !== v1Issuer(tid))) return fail(AADSTS.assertionIssuer(iss));
  const nowInSeconds = Math.floor(call.nowInMs / 1000);
  const exp = typeof claims.exp === 'number' ? claims.exp : 0;
  const nbf = typeof claims.nbf === 'number' ? claims.nbf : 0;
  if (exp <= nowInSeconds || nbf > nowInSeconds) return fail(AADSTS.assertionExpired(isoOfSeconds(nowInSeconds), isoOfSeconds(exp)));
  const audiences = audiencesOf(claims);
  const accepted = [client.appId, client.appIdUri].filter((a): a is string => a !== undefined).map((a) => a.toLowerCase());
  if (!audiences.some((a) => accepted.includes(a.toLowerCase()))) return fail(AADSTS.assertionAudience(audiences.join(' '), client.appId));
  const expectedTid = userTenantOf(ctx, tenant);
  if (tid.toLowerCase() !== expectedTid.toLowerCase()) return fail(AADSTS.assertionTenant(tid, call.segment));
  const isUserToken = typeof claims.scp === 'string' && claims.scp.length > 0 && claims.idtyp !== 'app' && typeof claims.oid === 'string';
  if (!isUserToken) return fail(AADSTS.assertionNotUserToken());
  return ok({ ...claims, oid: claims.oid as string, tid });
}

/** A claims challenge like Entra's for Conditional Access (a policy id the client passes back to /authorize). */
function mfaClaimsChallenge(): string {
  return JSON.stringify({ access_token: { capolids: { essential: true, values: ['9b2ac5b1-6c7e-4c2a-9a3e-5d1f0c2b7e41'] } } });
}

async function onBehalfOf(call: GrantCall): Promise<Outcome<TokenBody, EntraError>> {
  const { ctx, form, client } = call;
  if (form.get('requested_token_use') !== 'on_behalf_of') return fail(AADSTS.missingParameter('requested_token_use'));
  const assertion = form.get('assertion');
  if (!assertion) return fail(AADSTS.missingParameter('assertion'));
  const checked = await checkAssertion(call, assertion);
  if (!checked.ok) return checked;
  const claims = checked.value;
  const issuedAt = typeof claims.iat === 'number' ? claims.iat : 0;
  const user = checkUser(ctx, claims.oid, call.segment, issuedAt);
  if (!user.ok) return user;
  call.identify(user.value);
  if (user.value.oboFailure === 'consent_required') return fail(AADSTS.consentRequired(client.appId, client.displayName));
  if (user.value.oboFailure === 'interaction_required')
    return fail(AADSTS.mfaRequired('00000003-0000-0000-c000-000000000000', mfaClaimsChallenge()));
  const scope = form.get('scope');
  if (!scope) return fail(AADSTS.missingParameter('scope'));
  const request = parseScopes(scope, ctx.apps.values(), call.segment);
  if (!request.ok) return request;
  const { resource } = request.value;
  if (resource.kind === 'none') return fail(AADSTS.invalidScope(scope));
  // The emulator records consent for Graph only; an app asking for another app's API on-behalf-of has none.
  if (resource.kind === 'api') return fail(AADSTS.consentRequired(client.appId, client.displayName));
  return issueUserTokens(call, user.value, claims.tid, scope, request.value, { interactive: false });
}

// ---------------------------------------------------------------- authorization code

async function authorizationCode(call: GrantCall): Promise<Outcome<TokenBody, EntraError>> {
  const { ctx, form, client, nowInMs } = call;
  const code = form.get('code');
  if (!code) return fail(AADSTS.missingParameter('code'));
  const grant = ctx.codes.get(code);
  if (grant?.clientId.toLowerCase() !== client.appId.toLowerCase()) return fail(AADSTS.invalidCode());
  if (grant.tid.toLowerCase() !== userTenantOf(ctx, call.tenant).toLowerCase()) return fail(AADSTS.invalidCode());
  if (grant.redeemed) return fail(AADSTS.codeRedeemed());
  grant.redeemed = true;
  if (nowInMs >= grant.expiresAtInMs) return fail(AADSTS.codeExpired());
  const redirectUri = form.get('redirect_uri');
  if (!redirectUri) return fail(AADSTS.missingParameter('redirect_uri'));
  if (redirectUri !== grant.redirectUri) return fail(AADSTS.redirectMismatchOnRedeem());
  if (grant.codeChallenge !== undefined) {
    const verifier = form.get('code_verifier') ?? '';
    const derived = grant.codeChallengeMethod === 'plain' ? verifier : createHash('sha256').update(verifier, 'ascii').digest('base64url');
    if (!verifier || derived !== grant.codeChallenge) return fail(AADSTS.pkceMismatch());
  }
  const user = checkUser(ctx, grant.userId, call.segment, Math.floor(grant.issuedAtInMs / 1000));
  if (!user.ok) return user;
  call.identify(user.value);
  const request = parseScopes(grant.scope, ctx.apps.values(), call.segment);
  if (!request.ok) return request;
  // The person typed their credentials on the sign-in page: an interactive sign-in.
  return issueUserTokens(call, user.value, grant.tid, grant.scope, request.value, {
    nonce: grant.nonce,
    claims: grant.claims,
    interactive: true,
  });
}

// ---------------------------------------------------------------- refresh token

async function refreshToken(call: GrantCall): Promise<Outcome<TokenBody, EntraError>> {
  const { ctx, form, client } = call;
  const token = form.get('refresh_token');
  if (!token) return fail(AADSTS.missingParameter('refresh_token'));
  const grant = ctx.refreshTokens.get(token);
  if (grant?.tid.toLowerCase() !== userTenantOf(ctx, call.tenant).toLowerCase()) return fail(AADSTS.invalidRefreshToken());
  if (grant.clientId.toLowerCase() !== client.appId.toLowerCase()) return fail(AADSTS.refreshTokenOtherClient());
  const user = checkUser(ctx, grant.userId, call.segment, grant.issuedAtInSeconds);
  if (!user.ok) return user;
  call.identify(user.value);
  const scope = form.get('scope') ?? grant.scope;
  const request = parseScopes(scope, ctx.apps.values(), call.segment);
  if (!request.ok) return request;
  return issueUserTokens(call, user.value, grant.tid, scope, request.value, {
    claims: form.get('claims') ?? undefined,
    interactive: false,
  });
}

// ---------------------------------------------------------------- issuing

/** Client capabilities (e.g. cp1) from a `claims` request parameter. */
function clientCapabilitiesOf(claims: string | undefined): string[] {
  if (!claims) return [];
  try {
    const parsed: unknown = JSON.parse(claims);
    const values = (parsed as { access_token?: { xms_cc?: { values?: unknown } } } | null)?.access_token?.xms_cc?.values;
    return Array.isArray(values) ? values.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

function opaqueToken(prefix: string): string {
  return `${prefix}${randomBytes(48).toString('base64url')}`;
}

/** Mints the access token for a user request (Graph v1 or an app's API v2), plus id token, refresh token and client_info. */
async function issueUserTokens(
  call: GrantCall,
  user: DirectoryUser,
  tid: string,
  rawScope: string,
  request: ScopeRequest,
  extra: { nonce?: string; claims?: string; interactive?: boolean } = {},
): Promise<Outcome<TokenBody, EntraError>> {
  const { ctx, client, form, nowInMs } = call;
  const times = tokenTimes(nowInMs, ctx.tokenLifetimeInSeconds);
  const issuer = v2Issuer(ctx.authorityHost(), tid);
  let claims: JWTPayload;
  let granted: string[];
  const { resource, oidc } = request;
  if (resource.kind === 'api') {
    claims = apiUserClaims({
      user,
      audience: resource.app.appId,
      azp: client.appId,
      tid,
      issuer,
      appIdForSubject: resource.app.appId,
      scp: ACCESS_AS_USER,
      times,
    });
    granted = [`${resource.resourceUri}/${ACCESS_AS_USER}`];
  } else {
    let names: string[];
    if (resource.kind === 'graph') {
      const consented = grantGraphScopes(resource, client);
      if (!consented.ok) return consented;
      names = consented.value;
    } else {
      // Sign-in only: Entra still returns a Graph token carrying the OpenID scopes.
      names = oidc.filter((s) => s !== 'offline_access');
    }
    const capabilities = clientCapabilitiesOf(extra.claims ?? form.get('claims') ?? undefined);
    claims = graphUserClaims({
      user,
      clientId: client.appId,
      clientName: client.displayName,
      tid,
      scopes: names,
      clientCapabilities: capabilities,
      times,
    });
    granted = resource.kind === 'graph' ? names.map((n) => `${GRAPH_RESOURCE}/${n}`) : [];
  }
  const body: TokenBody = {
    token_type: 'Bearer',
    scope: responseScope(granted, oidc),
    expires_in: ctx.tokenLifetimeInSeconds,
    ext_expires_in: ctx.tokenLifetimeInSeconds,
    access_token: await ctx.keys.sign(claims),
  };
  if (oidc.includes('offline_access')) {
    const refresh = opaqueToken('0.A');
    ctx.refreshTokens.set(refresh, {
      clientId: client.appId,
      userId: user.id,
      tid,
      scope: rawScope,
      issuedAtInSeconds: Math.floor(nowInMs / 1000),
    });
    body.refresh_token = refresh;
  }
  if (oidc.includes('openid')) {
    body.id_token = await ctx.keys.sign(idTokenClaims({ user, clientId: client.appId, tid, issuer, nonce: extra.nonce, times }));
  }
  if (form.get('client_info') === '1') {
    body.client_info = Buffer.from(JSON.stringify({ uid: user.id, utid: tid })).toString('base64url');
  }
  // Every token issued for a user is a sign-in in the tenant's log: interactive when the person
  // signed in themselves, non-interactive when a client redeemed a token (on-behalf-of, refresh).
  ctx.directory.security.recordSignIn(user, {
    at: new Date(nowInMs),
    appId: client.appId,
    appDisplayName: client.displayName,
    resourceDisplayName: resource.kind === 'api' ? resource.app.displayName : 'Microsoft Graph',
    clientAppUsed: 'Mobile Apps and Desktop clients',
    interactive: extra.interactive ?? false,
  });
  return ok(body);
}

/** Remembers an authorization code; drops codes that expired long ago. */
export function rememberCode(ctx: EntraContext, grant: Omit<CodeGrant, 'expiresAtInMs' | 'redeemed'>): string {
  for (const [key, old] of ctx.codes) if (old.expiresAtInMs < grant.issuedAtInMs - CODE_LIFETIME_IN_MS) ctx.codes.delete(key);
  const code = opaqueToken('1.A');
  ctx.codes.set(code, { ...grant, expiresAtInMs: grant.issuedAtInMs + CODE_LIFETIME_IN_MS, redeemed: false });
  return code;
}
