/**
 * The emulated Microsoft Entra ID: an HTTPS authority on loopback that msal-node (botbuilder's
 * 2.x and @azure/identity's 5.x) accepts as a real one. It publishes OpenID metadata and keys,
 * issues the bot's connector token (client credentials), exchanges a Teams SSO token for a
 * delegated Graph token (on-behalf-of) with Entra's refusals, runs the authorization-code
 * flow behind a "sign in as" page, and honours refresh tokens until the user's sessions are
 * revoked. Every token is signed by `keys`; `verifyIssuedToken` is how the other emulated
 * services check them.
 *
 * Tenant path segments: the directory's tenant id or domain, `botframework.com` (tid
 * BOTFRAMEWORK_TENANT_ID), `common`, `organizations`; anything else is AADSTS90002.
 *
 * Call log (`server.calls`, route names in ENTRA_ROUTE): on `token` and `authorize` the caller is
 * the client_id, or `${client_id}|${user oid}` once the request names a user (OBO, code, refresh).
 */
import { createLocalJWKSet, jwtVerify, type JWK, type JWTPayload } from 'jose';
import type { Directory } from './directory';
import { EmulatedServer, json, type EmulatedRequest, type EmulatedResponse } from './httpServer';
import { SigningKeySet } from './signingKeys';
import {
  apiUserClaims,
  appClaims,
  graphUserClaims,
  managedIdentityClaims,
  servicePrincipalIdOf,
  tokenTimes,
  v1Issuer,
  v2Issuer,
} from './entra/claims';
import { AADSTS, errorResponse, type EntraError } from './entra/errors';
import { handleAuthorizeRequest } from './entra/authorize';
import { escapeHtml } from './entra/html';
import { hostAndPort, instanceDiscovery, keySet, openIdConfigurationV1, openIdConfigurationV2 } from './entra/metadata';
import {
  ENTRA_ROUTE,
  resolveTenant,
  TEAMS_DESKTOP_CLIENT_ID,
  type AppRegistration,
  type EmulatedEntraOptions,
  type EntraContext,
  type TenantRef,
} from './entra/model';
import { ACCESS_AS_USER } from './entra/scopes';
import { handleTokenRequest } from './entra/tokenEndpoint';

export {
  BOTFRAMEWORK_TENANT_ID,
  ENTRA_ROUTE,
  GRAPH_APP_ID,
  GRAPH_RESOURCE,
  GUEST_USER_ROLE,
  TEAMS_DESKTOP_CLIENT_ID,
  type AppRegistration,
  type EmulatedEntraOptions,
  type EntraRouteName,
} from './entra/model';
export { AADSTS, type EntraError, type EntraErrorBody } from './entra/errors';
export { ACCESS_AS_USER } from './entra/scopes';

/** Options of issueSsoToken: by default a valid v2 token for `appId`, from Teams desktop, scp access_as_user. */
export interface SsoTokenOptions {
  readonly appId: string;
  /** aud = the appId (v2 default) or the app's App ID URI (api://botid-{appId} when it has none). */
  readonly audience?: 'appId' | 'appIdUri';
  readonly lifetimeInSeconds?: number;
  /** Issued a lifetime ago, expired ten minutes ago. */
  readonly expired?: boolean;
  /** tid (and the tenant in iss); default the directory's. */
  readonly tenantId?: string;
  /** Signed by an unpublished key under the genuine kid. */
  readonly forge?: boolean;
  readonly omitScp?: boolean;
  /** Replaces iss. */
  readonly issuer?: string;
  /** Adds wids (as with groupMembershipClaims "DirectoryRole"). */
  readonly includeWids?: boolean;
}

/** Options of issueGraphToken: a v1 delegated Graph token as OBO would return it. */
export interface GraphTokenOptions {
  /** The client the token is for (appid). */
  readonly appId: string;
  /** Scope names without prefix; default the app's consented Graph scopes. */
  readonly scopes?: readonly string[];
  readonly lifetimeInSeconds?: number;
  readonly expired?: boolean;
  readonly tenantId?: string;
  readonly forge?: boolean;
}

/** What checkIssuedToken answers. */
export type IssuedTokenCheck = { readonly ok: true; readonly claims: JWTPayload } | { readonly ok: false; readonly reason: string };

export class EmulatedEntra {
  private readonly jwks: ReturnType<typeof createLocalJWKSet>;

  private constructor(
    /** The HTTPS server; its call log uses the route names in ENTRA_ROUTE. */
    readonly server: EmulatedServer,
    /** Signs every token this Entra issues. */
    readonly keys: SigningKeySet,
    private readonly ctx: EntraContext,
  ) {
    this.jwks = createLocalJWKSet(keys.jwks() as { keys: JWK[] });
  }

  /** Starts the emulated Entra on 127.0.0.1 (a free port unless options.port). */
  static async start(options: EmulatedEntraOptions): Promise<EmulatedEntra> {
    const keys = await SigningKeySet.create();
    const server = new EmulatedServer({ name: 'entra', tls: options.tls });
    const nowInMs = options.nowInMs ?? ((): number => Date.now());
    const ctx: EntraContext = {
      authorityHost: () => server.baseUrl,
      directory: options.directory,
      apps: new Map(options.apps.map((app) => [app.appId.toLowerCase(), app])),
      keys,
      nowInMs,
      tokenLifetimeInSeconds: options.tokenLifetimeInSeconds ?? 3600,
      codes: new Map(),
      refreshTokens: new Map(),
    };
    registerRoutes(server, ctx);
    await server.listen(options.port);
    return new EmulatedEntra(server, keys, ctx);
  }

  /** https://127.0.0.1:<port> — the value for AZURE_AUTHORITY_HOST / @azure/identity's authorityHost. */
  get authorityHost(): string {
    return this.server.baseUrl;
  }

  /** 127.0.0.1:<port> — what raw msal-node needs in auth.knownAuthorities. */
  get knownAuthority(): string {
    return hostAndPort(this.ctx);
  }

  /** The authority URL for a tenant (default the directory's): `${authorityHost}/${tenant}`. */
  authority(tenant: string = this.ctx.directory.tenantId): string {
    return `${this.authorityHost}/${tenant}`;
  }

  get directory(): Directory {
    return this.ctx.directory;
  }

  /** Registers another app (or replaces one with the same appId). */
  registerApp(app: AppRegistration): void {
    this.ctx.apps.set(app.appId.toLowerCase(), app);
  }

  /** The registration of an app, read live (change consentedGraphScopes on it to change consent). */
  app(appId: string): AppRegistration | undefined {
    return this.ctx.apps.get(appId.toLowerCase());
  }

  /** The token Teams gets silently for the app's webApplicationInfo resource: a v2 user access token. */
  async issueSsoToken(userId: string, options: SsoTokenOptions): Promise<string> {
    const user = this.ctx.directory.findUser(userId);
    if (!user) throw new Error(`No user ${userId} in the emulated directory`);
    const registered = this.ctx.apps.get(options.appId.toLowerCase());
    const audience = options.audience === 'appIdUri' ? (registered?.appIdUri ?? `api://botid-${options.appId}`) : options.appId;
    const tid = options.tenantId ?? this.ctx.directory.tenantId;
    const claims = apiUserClaims({
      user,
      audience,
      azp: TEAMS_DESKTOP_CLIENT_ID,
      tid,
      issuer: options.issuer ?? v2Issuer(this.authorityHost, tid),
      appIdForSubject: options.appId,
      scp: options.omitScp ? undefined : ACCESS_AS_USER,
      wids: options.includeWids,
      times: tokenTimes(this.ctx.nowInMs(), options.lifetimeInSeconds ?? this.ctx.tokenLifetimeInSeconds, options.expired),
    });
    return this.keys.sign(claims, { forge: options.forge });
  }

  /** A delegated Graph token (v1) as OBO returns it, without the exchange: for testing Graph directly. */
  async issueGraphToken(userId: string, options: GraphTokenOptions): Promise<string> {
    const user = this.ctx.directory.findUser(userId);
    if (!user) throw new Error(`No user ${userId} in the emulated directory`);
    const app = this.ctx.apps.get(options.appId.toLowerCase());
    const claims = graphUserClaims({
      user,
      clientId: options.appId,
      clientName: app?.displayName ?? options.appId,
      tid: options.tenantId ?? this.ctx.directory.tenantId,
      scopes: options.scopes ?? app?.consentedGraphScopes ?? [],
      times: tokenTimes(this.ctx.nowInMs(), options.lifetimeInSeconds ?? this.ctx.tokenLifetimeInSeconds, options.expired),
    });
    return this.keys.sign(claims, { forge: options.forge });
  }

  /** An app-only token (v2, no roles) as client credentials returns it, without the HTTP round trip. */
  async issueAppToken(
    appId: string,
    options: { readonly audience: string; readonly tenantId?: string; readonly expired?: boolean; readonly forge?: boolean },
  ): Promise<string> {
    const tid = options.tenantId ?? this.ctx.directory.tenantId;
    const claims = appClaims({
      clientId: appId,
      audience: options.audience,
      tid,
      issuer: v2Issuer(this.authorityHost, tid),
      servicePrincipalId: servicePrincipalIdOf(appId, tid),
      times: tokenTimes(this.ctx.nowInMs(), this.ctx.tokenLifetimeInSeconds, options.expired),
    });
    return this.keys.sign(claims, { forge: options.forge });
  }

  /**
   * A managed identity's v1 app-only token for an API (e.g. the bot's /api/alerts), as the
   * identity endpoint returns it to a Logic App or a Function; `tenantId` and `issuer` change
   * where it claims to be from, `forge` signs it with an unpublished key under the genuine kid.
   */
  async issueManagedIdentityToken(
    clientId: string,
    options: {
      readonly audience: string;
      readonly tenantId?: string;
      readonly roles?: readonly string[];
      readonly expired?: boolean;
      readonly forge?: boolean;
      readonly lifetimeInSeconds?: number;
    },
  ): Promise<string> {
    const tid = options.tenantId ?? this.ctx.directory.tenantId;
    const claims = managedIdentityClaims({
      clientId,
      audience: options.audience,
      tid,
      servicePrincipalId: servicePrincipalIdOf(clientId, tid),
      roles: options.roles,
      // Managed identity tokens live about a day.
      times: tokenTimes(this.ctx.nowInMs(), options.lifetimeInSeconds ?? 24 * 3600, options.expired),
    });
    return this.keys.sign(claims, { forge: options.forge });
  }

  /**
   * Verifies a token this Entra issued: RS256 signature by `keys`, nbf/exp (no clock tolerance,
   * against Entra's clock), audience, and an issuer of this Entra's shape for the token's tid
   * (`${authorityHost}/{tid}/v2.0` or `https://sts.windows.net/{tid}/`). Throws otherwise.
   * For Graph, the connector and the token service.
   */
  async verifyIssuedToken(token: string, expectations: { audience: string | readonly string[] }): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, this.jwks, {
      algorithms: ['RS256'],
      audience: typeof expectations.audience === 'string' ? expectations.audience : [...expectations.audience],
      currentDate: new Date(this.ctx.nowInMs()),
      clockTolerance: 0,
    });
    const tid = typeof payload.tid === 'string' ? payload.tid : undefined;
    if (!tid || (payload.iss !== v2Issuer(this.authorityHost, tid) && payload.iss !== v1Issuer(tid))) {
      throw new Error('The token was not issued by this emulated Entra (unexpected "iss" claim value)');
    }
    return payload;
  }

  /** verifyIssuedToken as a value: { ok: true, claims } or { ok: false, reason } (the reason names no token content). */
  async checkIssuedToken(token: string, expectations: { audience: string | readonly string[] }): Promise<IssuedTokenCheck> {
    try {
      return { ok: true, claims: await this.verifyIssuedToken(token, expectations) };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return { ok: false, reason: typeof code === 'string' ? code : error instanceof Error ? error.message : 'invalid token' };
    }
  }

  async stop(): Promise<void> {
    await this.server.close();
  }
}

/** Answers a JSON route for a known tenant; an unknown one gets AADSTS90002. */
function forTenant(
  ctx: EntraContext,
  answer: (tenant: TenantRef, req: EmulatedRequest) => EmulatedResponse,
): (req: EmulatedRequest) => EmulatedResponse {
  return (req) => {
    const segment = req.params.tenant ?? '';
    const tenant = resolveTenant(segment, ctx.directory);
    return tenant ? answer(tenant, req) : refusal(ctx, AADSTS.tenantNotFound(segment));
  };
}

function refusal(ctx: EntraContext, error: EntraError): EmulatedResponse {
  return errorResponse(error, { authorityHost: ctx.authorityHost(), nowInMs: ctx.nowInMs() });
}

const CACHEABLE = { 'cache-control': 'max-age=86400, private' } as const;

function registerRoutes(server: EmulatedServer, ctx: EntraContext): void {
  server
    .route(
      ENTRA_ROUTE.instanceDiscovery,
      'GET',
      '/:tenant/discovery/instance',
      forTenant(ctx, (tenant, req) => {
        const answer = instanceDiscovery(ctx, req.query, tenant.segment);
        return answer ? json(200, answer, CACHEABLE) : refusal(ctx, AADSTS.unknownInstance());
      }),
    )
    .route(
      ENTRA_ROUTE.openIdConfiguration,
      'GET',
      '/:tenant/v2.0/.well-known/openid-configuration',
      forTenant(ctx, (t) => json(200, openIdConfigurationV2(ctx, t), CACHEABLE)),
    )
    .route(
      ENTRA_ROUTE.openIdConfiguration,
      'GET',
      '/:tenant/.well-known/openid-configuration',
      forTenant(ctx, (t) => json(200, openIdConfigurationV1(ctx, t), CACHEABLE)),
    )
    .route(
      ENTRA_ROUTE.keys,
      'GET',
      '/:tenant/discovery/v2.0/keys',
      forTenant(ctx, (t) => json(200, keySet(ctx, t, 'v2'), CACHEABLE)),
    )
    .route(
      ENTRA_ROUTE.keys,
      'GET',
      '/:tenant/discovery/keys',
      forTenant(ctx, (t) => json(200, keySet(ctx, t, 'v1'), CACHEABLE)),
    )
    .route(ENTRA_ROUTE.token, 'POST', '/:tenant/oauth2/v2.0/token', (req) => handleTokenRequest(ctx, req))
    .route(ENTRA_ROUTE.authorize, 'GET', '/:tenant/oauth2/v2.0/authorize', (req) => handleAuthorizeRequest(ctx, req))
    .route(ENTRA_ROUTE.logout, 'GET', '/:tenant/oauth2/v2.0/logout', (req) => signOut(ctx, req))
    .route(ENTRA_ROUTE.errorPage, 'GET', '/error', (req) => {
      const code = /^\d{1,9}$/.test(req.query.get('code') ?? '') ? (req.query.get('code') ?? '') : 'unknown';
      return {
        status: 200,
        headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'" },
        body: `<!doctype html><title>AADSTS${escapeHtml(code)}</title><p>Emulated Entra ID error AADSTS${escapeHtml(code)}. See the error_description of the response.</p>`,
      };
    });
}

/** end_session_endpoint: redirects only to a URI some app registered, else says so on a page. */
function signOut(ctx: EntraContext, req: EmulatedRequest): EmulatedResponse {
  const target = req.query.get('post_logout_redirect_uri');
  const registered = target !== null && [...ctx.apps.values()].some((app) => app.redirectUris.includes(target));
  if (target && registered) {
    const state = req.query.get('state');
    const location = state ? `${target}${target.includes('?') ? '&' : '?'}${new URLSearchParams({ state }).toString()}` : target;
    return { status: 302, headers: { location } };
  }
  return {
    status: 200,
    headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'" },
    body: '<!doctype html><title>Signed out</title><p>You signed out of the emulated Entra ID. You can close this window.</p>',
  };
}
