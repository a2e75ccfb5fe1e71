/**
 * The emulated Bot Framework Token Service: what a bot reaches at its OAuthUrl
 * (token.botframework.com in the public cloud). The bot uses it where Teams cannot do silent
 * SSO (channels, first use): it asks for a sign-in link, the person signs in at Entra in a
 * popup, the service redeems the authorization code with the bot's own secret and shows a
 * six-digit magic code; Teams hands that code back to the bot, which trades it here for the
 * person's token.
 *
 * Wire format as botframework-connector 4.23.3's TokenApiClient sends and reads it
 * (src/tokenApi/operations/*.ts, auth/userTokenClientImpl.ts):
 * - every api/* call carries the bot's bearer token (client credentials, aud
 *   https://api.botframework.com) — anything else is 401;
 * - GET  api/botsignin/GetSignInResource?state=<base64 TokenExchangeState>  → SignInUrlResponse
 * - GET  api/botsignin/GetSignInUrl?state=…                                 → the link as text
 * - GET  api/usertoken/GetToken?userId&connectionName&channelId[&code]      → TokenResponse | 404 (empty body)
 * - GET  api/usertoken/GetTokenStatus?userId&channelId[&include]           → TokenStatus[]
 * - DELETE api/usertoken/SignOut?userId[&connectionName]&channelId         → 200 {}
 * - POST api/usertoken/GetAadTokens?userId&connectionName&channelId        → { [resourceUrl]: TokenResponse }
 * - POST api/usertoken/exchange                                            → 400: not emulated, the bot does OBO itself
 * and, for the person's browser: GET /signin?session=…[&login_hint=upn] → Entra (authorization
 * code with PKCE) → GET /callback → a page with the magic code. Real Teams closes the popup and
 * sends the code to the bot itself (signin/verifyState); the emulated Teams client calls
 * signInAs and sends the code. The code is bound to the Teams user id, channel and connection
 * in the bot's state: whoever signs in, only that Teams user can redeem it.
 *
 * A 404 from GetToken must have an EMPTY body: the SDK lists 404 as a success status with a
 * TokenResponse mapper, so any JSON body would reach the bot as a "token response" without a token.
 */
import { createHash, randomBytes, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import type { DirectoryUser } from './directory';
import { BOTFRAMEWORK_TENANT_ID, type EmulatedEntra } from './entra';
import { EmulatedServer, json, type EmulatedRequest, type EmulatedResponse } from './httpServer';
import type { PemPair } from './tls';

/** An OAuth connection of the bot's Azure Bot resource. */
export interface TokenServiceConnection {
  /** The connection name the bot passes (OAuthPrompt's connectionName). */
  readonly name: string;
  /** What its sign-in asks Entra for, e.g. api://botid-{appId}/access_as_user. */
  readonly scope: string;
  /**
   * The connection's Token Exchange URL (App ID URI) returned as tokenExchangeResource.uri.
   * Default: the scope without its last segment (api://botid-{appId}).
   */
  readonly tokenExchangeUri?: string;
}

export interface EmulatedTokenServiceOptions {
  readonly tls: PemPair;
  readonly entra: EmulatedEntra;
  readonly tenantId: string;
  readonly botAppId: string;
  readonly botAppSecret: string;
  /** The OAuth connections: what scope each one's sign-in asks for. */
  readonly connections: readonly TokenServiceConnection[];
  /** How long a magic code can be redeemed. Default 5 minutes. */
  readonly magicCodeTtlInMs?: number;
  /** How long a sign-in link can be opened. Default 15 minutes. */
  readonly signInLinkTtlInMs?: number;
  /** Wrong codes tolerated before a pending sign-in is thrown away. Default 5. */
  readonly maxWrongCodes?: number;
  /** The service's clock (tests move it). Default Date.now. */
  readonly now?: () => number;
}

/** Why the headless sign-in of {@link EmulatedTokenService.signInAs} did not end with a magic code. */
export class EmulatedSignInError extends Error {
  override readonly name = 'EmulatedSignInError';
  constructor(
    message: string,
    /** The URL path (no query: it may carry a code) of the page that ended the flow. */
    readonly path: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** The audience of the bot's own token for Bot Framework services. */
const BOT_FRAMEWORK_AUDIENCE = 'https://api.botframework.com';
const MINUTE_IN_MS = 60_000;
const MAX_REDIRECTS = 10;

/** A sign-in link handed to the bot, waiting for the person to open it. */
interface SignInSession {
  readonly userId: string;
  readonly channelId: string;
  readonly connection: TokenServiceConnection;
  readonly expiresAt: number;
}

/** A token for one user and connection (pending a magic code, or signed in). */
interface StoredToken {
  readonly token: string;
  readonly expiresAt: number;
}

interface PendingSignIn extends StoredToken {
  readonly magicCode: string;
  readonly codeExpiresAt: number;
  wrongCodes: number;
}

type Authorized = { ok: true; appId: string } | { ok: false; response: EmulatedResponse };

function opaqueId(): string {
  return randomBytes(32).toString('base64url');
}

function magicCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

function sameCode(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function htmlPage(status: number, title: string, bodyHtml: string): EmulatedResponse {
  return {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
      // The callback URL carries the authorization code: never send it on as a Referer.
      'referrer-policy': 'no-referrer',
    },
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${bodyHtml}</body></html>`,
  };
}

function apiError(status: number, code: string, message: string): EmulatedResponse {
  return json(status, { error: { code, message } });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** What the service needs from the TokenExchangeState the SDK sends as `state`. */
interface ParsedExchangeState {
  readonly connectionName: string;
  readonly userId: string;
  readonly channelId: string;
  readonly msAppId: string;
}

/** Decodes UserTokenClient.createTokenExchangeState's base64 JSON; undefined when malformed. */
function parseExchangeState(state: string | null): ParsedExchangeState | undefined {
  if (!state) return undefined;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(state, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isRecord(decoded) || !isRecord(decoded.conversation)) return undefined;
  const user = decoded.conversation.user;
  const connectionName = stringField(decoded, 'connectionName');
  const msAppId = stringField(decoded, 'msAppId');
  const channelId = stringField(decoded.conversation, 'channelId');
  const userId = isRecord(user) ? stringField(user, 'id') : undefined;
  if (!connectionName || !msAppId || !channelId || !userId) return undefined;
  return { connectionName, msAppId, channelId, userId };
}

function exchangeUriOf(connection: TokenServiceConnection): string {
  if (connection.tokenExchangeUri) return connection.tokenExchangeUri;
  const slash = connection.scope.lastIndexOf('/');
  return slash > connection.scope.indexOf('://') + 2 ? connection.scope.slice(0, slash) : connection.scope;
}

function isLoopback(url: URL): boolean {
  return url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
}

/** The emulated Bot Framework Token Service. */
export class EmulatedTokenService {
  readonly server: EmulatedServer;
  private readonly sessions = new Map<string, SignInSession>();
  /** Entra `state` → the sign-in session and its PKCE verifier, while the person is at Entra. */
  private readonly entraStates = new Map<string, { readonly sessionId: string; readonly codeVerifier: string }>();
  private readonly pending = new Map<string, PendingSignIn>();
  private readonly signedIn = new Map<string, StoredToken>();
  private readonly now: () => number;
  private readonly magicCodeTtlInMs: number;
  private readonly signInLinkTtlInMs: number;
  private readonly maxWrongCodes: number;

  private constructor(private readonly options: EmulatedTokenServiceOptions) {
    this.now = options.now ?? Date.now;
    this.magicCodeTtlInMs = options.magicCodeTtlInMs ?? 5 * MINUTE_IN_MS;
    this.signInLinkTtlInMs = options.signInLinkTtlInMs ?? 15 * MINUTE_IN_MS;
    this.maxWrongCodes = options.maxWrongCodes ?? 5;
    this.server = new EmulatedServer({ name: 'tokenService', tls: options.tls });
    this.registerRoutes();
  }

  /** Starts the service on a free loopback port. */
  static async start(options: EmulatedTokenServiceOptions): Promise<EmulatedTokenService> {
    const service = new EmulatedTokenService(options);
    await service.server.listen();
    return service;
  }

  /** The OAuthUrl, e.g. https://127.0.0.1:43123 (no trailing slash). */
  get url(): string {
    return this.server.baseUrl;
  }

  /** The redirect URI the service registers with Entra for the bot's app. */
  get redirectUri(): string {
    return `${this.url}/callback`;
  }

  async stop(): Promise<void> {
    await this.server.close();
  }

  /**
   * A headless browser: opens a sign-in link, signs in as `user` at the emulated Entra
   * (login_hint = the user's UPN), follows the redirects back and returns the magic code shown
   * on the final page. Follows loopback URLs only.
   *
   * @throws EmulatedSignInError when a page answers anything but a redirect or the code page.
   */
  async signInAs(user: DirectoryUser, signInLink: string): Promise<string> {
    let url = new URL(signInLink);
    url.searchParams.set('login_hint', user.userPrincipalName);
    for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
      if (!isLoopback(url) || url.protocol !== 'https:') {
        throw new EmulatedSignInError('The sign-in left the emulated cloud.', url.pathname, 0);
      }
      const response = await fetch(url, { redirect: 'manual' });
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        url = new URL(location, url);
        continue;
      }
      const page = await response.text();
      const code = /<output id="magic-code">(\d{6})<\/output>/.exec(page)?.[1];
      if (response.status === 200 && code) return code;
      throw new EmulatedSignInError(`The sign-in stopped with HTTP ${response.status}.`, url.pathname, response.status);
    }
    throw new EmulatedSignInError('Too many redirects.', url.pathname, 0);
  }

  private registerRoutes(): void {
    const api =
      (handler: (req: EmulatedRequest, appId: string) => EmulatedResponse | Promise<EmulatedResponse>) =>
      async (req: EmulatedRequest): Promise<EmulatedResponse> => {
        const auth = await this.authorize(req);
        if (!auth.ok) return auth.response;
        req.caller = auth.appId;
        return handler(req, auth.appId);
      };
    this.server
      .route(
        'getSignInResource',
        'GET',
        '/api/botsignin/GetSignInResource',
        api((req, appId) => this.getSignInResource(req, appId)),
      )
      .route(
        'getSignInUrl',
        'GET',
        '/api/botsignin/GetSignInUrl',
        api((req, appId) => this.getSignInUrl(req, appId)),
      )
      .route(
        'getToken',
        'GET',
        '/api/usertoken/GetToken',
        api((req) => this.getToken(req)),
      )
      .route(
        'getTokenStatus',
        'GET',
        '/api/usertoken/GetTokenStatus',
        api((req) => this.getTokenStatus(req)),
      )
      .route(
        'signOut',
        'DELETE',
        '/api/usertoken/SignOut',
        api((req) => this.signOut(req)),
      )
      .route(
        'getAadTokens',
        'POST',
        '/api/usertoken/GetAadTokens',
        api((req) => this.getAadTokens(req)),
      )
      .route(
        'exchange',
        'POST',
        '/api/usertoken/exchange',
        api(() => this.exchange()),
      )
      .route('tokenPost', 'POST', '/api/tokenpost/:id', () =>
        apiError(501, 'NotImplemented', 'Posting tokens (Direct Line) is not emulated.'),
      )
      .route('signIn', 'GET', '/signin', (req) => this.openSignInLink(req))
      .route('callback', 'GET', '/callback', (req) => this.callback(req));
  }

  /** Accepts only the bot's own token for Bot Framework services, issued by the emulated Entra. */
  private async authorize(req: EmulatedRequest): Promise<Authorized> {
    const unauthorized: Authorized = {
      ok: false,
      response: apiError(401, 'Unauthorized', 'Authorization has been denied for this request.'),
    };
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([^\s]+)$/i.exec(header) : null;
    const token = match?.[1];
    if (!token) return unauthorized;
    const checked = await this.options.entra.checkIssuedToken(token, { audience: BOT_FRAMEWORK_AUDIENCE });
    if (!checked.ok) return unauthorized;
    const payload = checked.claims;
    const appId = typeof payload.azp === 'string' ? payload.azp : typeof payload.appid === 'string' ? payload.appid : undefined;
    if (appId !== this.options.botAppId) return unauthorized;
    // SingleTenant bots get their token in their own tenant, MultiTenant ones at botframework.com.
    if (payload.tid !== this.options.tenantId && payload.tid !== BOTFRAMEWORK_TENANT_ID) return unauthorized;
    return { ok: true, appId };
  }

  private connection(name: string | null): TokenServiceConnection | undefined {
    return this.options.connections.find((c) => c.name.toLowerCase() === (name ?? '').toLowerCase());
  }

  /** Validates the bot's TokenExchangeState and opens a sign-in session for it. */
  private newSignInSession(
    req: EmulatedRequest,
    appId: string,
  ): { ok: true; link: string; connection: TokenServiceConnection } | { ok: false; response: EmulatedResponse } {
    const state = parseExchangeState(req.query.get('state'));
    if (!state) return { ok: false, response: apiError(400, 'BadArgument', 'state is not a TokenExchangeState.') };
    if (state.msAppId !== appId) return { ok: false, response: apiError(400, 'BadArgument', 'state names another bot.') };
    const connection = this.connection(state.connectionName);
    if (!connection) return { ok: false, response: apiError(400, 'ConnectionNotFound', 'No OAuth connection of that name.') };
    this.sweep();
    const id = opaqueId();
    this.sessions.set(id, {
      userId: state.userId,
      channelId: state.channelId,
      connection,
      expiresAt: this.now() + this.signInLinkTtlInMs,
    });
    return { ok: true, link: `${this.url}/signin?session=${id}`, connection };
  }

  /** Drops sign-in links, abandoned Entra round trips and magic codes that can no longer be used. */
  private sweep(): void {
    const now = this.now();
    for (const [id, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(id);
    for (const [state, flow] of this.entraStates) if (!this.sessions.has(flow.sessionId)) this.entraStates.delete(state);
    for (const [key, pending] of this.pending) if (pending.codeExpiresAt <= now) this.pending.delete(key);
  }

  private getSignInResource(req: EmulatedRequest, appId: string): EmulatedResponse {
    const session = this.newSignInSession(req, appId);
    if (!session.ok) return session.response;
    return json(200, {
      signInLink: session.link,
      tokenExchangeResource: { id: randomUUID(), uri: exchangeUriOf(session.connection), providerId: '' },
      tokenPostResource: { sasUrl: `${this.url}/api/tokenpost/${opaqueId()}` },
    });
  }

  private getSignInUrl(req: EmulatedRequest, appId: string): EmulatedResponse {
    const session = this.newSignInSession(req, appId);
    if (!session.ok) return session.response;
    // The SDK's mapper reads a JSON string.
    return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(session.link) };
  }

  /** The sign-in link: sends the browser to Entra's authorize endpoint for the connection's scope. */
  private openSignInLink(req: EmulatedRequest): EmulatedResponse {
    const id = req.query.get('session') ?? '';
    const session = this.sessions.get(id);
    if (!session || session.expiresAt <= this.now()) {
      this.sessions.delete(id);
      return htmlPage(400, 'Sign-in link not valid', '<p>This sign-in link is unknown, used or expired. Ask the bot for a new one.</p>');
    }
    const entraState = opaqueId();
    const codeVerifier = opaqueId();
    this.entraStates.set(entraState, { sessionId: id, codeVerifier });
    const authorize = new URL(`${this.options.entra.authorityHost}/${encodeURIComponent(this.options.tenantId)}/oauth2/v2.0/authorize`);
    authorize.searchParams.set('client_id', this.options.botAppId);
    authorize.searchParams.set('redirect_uri', this.redirectUri);
    authorize.searchParams.set('response_type', 'code');
    authorize.searchParams.set('scope', session.connection.scope);
    authorize.searchParams.set('state', entraState);
    // PKCE: a code that leaks from the browser is useless without the verifier only this service holds.
    authorize.searchParams.set('code_challenge', createHash('sha256').update(codeVerifier).digest('base64url'));
    authorize.searchParams.set('code_challenge_method', 'S256');
    const loginHint = req.query.get('login_hint');
    if (loginHint) authorize.searchParams.set('login_hint', loginHint);
    return { status: 302, headers: { location: authorize.toString(), 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' } };
  }

  /** Entra's redirect back: redeem the code, keep the token pending, show the magic code. */
  private async callback(req: EmulatedRequest): Promise<EmulatedResponse> {
    const entraState = req.query.get('state') ?? '';
    const flow = this.entraStates.get(entraState);
    this.entraStates.delete(entraState);
    const session = flow === undefined ? undefined : this.sessions.get(flow.sessionId);
    if (flow !== undefined) this.sessions.delete(flow.sessionId); // a link signs in once
    if (!flow || !session || session.expiresAt <= this.now()) {
      return htmlPage(400, 'Sign-in not valid', '<p>This sign-in is unknown, used or expired. Ask the bot for a new link.</p>');
    }
    const error = req.query.get('error');
    const code = req.query.get('code');
    if (error || !code) {
      return htmlPage(400, 'Sign-in failed', `<p>Entra answered: <code>${escapeHtml(error ?? 'no code')}</code>.</p>`);
    }
    const redeemed = await this.redeem(code, flow.codeVerifier, session.connection.scope);
    if (!redeemed.ok) {
      return htmlPage(502, 'Sign-in failed', `<p>The code could not be redeemed: <code>${escapeHtml(redeemed.error)}</code>.</p>`);
    }
    const magic = magicCode();
    const now = this.now();
    this.pending.set(tokenKey(session.channelId, session.userId, session.connection.name), {
      token: redeemed.token,
      expiresAt: now + redeemed.lifetimeInSeconds * 1000,
      magicCode: magic,
      codeExpiresAt: now + this.magicCodeTtlInMs,
      wrongCodes: 0,
    });
    return htmlPage(
      200,
      'Almost done',
      `<p>Enter this code in Teams: <output id="magic-code">${escapeHtml(magic)}</output></p><p>It works once, for ${Math.round(this.magicCodeTtlInMs / MINUTE_IN_MS)} minutes.</p>`,
    );
  }

  /** Redeems an authorization code at Entra's token endpoint with the bot's own secret. */
  private async redeem(
    code: string,
    codeVerifier: string,
    scope: string,
  ): Promise<{ ok: true; token: string; lifetimeInSeconds: number } | { ok: false; error: string }> {
    const endpoint = `${this.options.entra.authorityHost}/${encodeURIComponent(this.options.tenantId)}/oauth2/v2.0/token`;
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: this.options.botAppId,
      client_secret: this.options.botAppSecret,
      code,
      code_verifier: codeVerifier,
      redirect_uri: this.redirectUri,
      scope,
    });
    let status: number;
    let body: unknown;
    try {
      const response = await fetch(endpoint, { method: 'POST', body: form, headers: { accept: 'application/json' } });
      status = response.status;
      body = await response.json();
    } catch {
      return { ok: false, error: 'token_endpoint_unreachable' };
    }
    if (!isRecord(body)) return { ok: false, error: `http_${status}` };
    const accessToken = stringField(body, 'access_token');
    const expiresIn = Number(body.expires_in);
    if (status !== 200 || !accessToken || !Number.isFinite(expiresIn) || expiresIn <= 0) {
      // Only Entra's error code: never its description or anything token-like.
      const error = stringField(body, 'error');
      return { ok: false, error: error && /^[a-z_]{1,64}$/.test(error) ? error : `http_${status}` };
    }
    return { ok: true, token: accessToken, lifetimeInSeconds: expiresIn };
  }

  private tokenResponse(channelId: string, connectionName: string, stored: StoredToken): EmulatedResponse {
    return json(200, { channelId, connectionName, token: stored.token, expiration: new Date(stored.expiresAt).toISOString() });
  }

  /**
   * With a code: only a pending sign-in with that code answers (once); a code that is wrong,
   * used or expired is 404 even when the user is signed in. Without: the signed-in token.
   */
  private getToken(req: EmulatedRequest): EmulatedResponse {
    const userId = req.query.get('userId');
    const connection = this.connection(req.query.get('connectionName'));
    const channelId = req.query.get('channelId');
    if (!userId || !channelId) return apiError(400, 'BadArgument', 'userId and channelId are required.');
    // 404 with an empty body: the SDK then returns undefined (see the module comment).
    const notFound: EmulatedResponse = { status: 404 };
    if (!connection) return notFound;
    const key = tokenKey(channelId, userId, connection.name);
    const now = this.now();
    const code = req.query.get('code');
    if (code) {
      const pending = this.pending.get(key);
      if (!pending || pending.codeExpiresAt <= now || pending.expiresAt <= now) {
        this.pending.delete(key);
        return notFound;
      }
      if (!sameCode(code, pending.magicCode)) {
        pending.wrongCodes += 1;
        if (pending.wrongCodes >= this.maxWrongCodes) this.pending.delete(key);
        return notFound;
      }
      this.pending.delete(key);
      const stored: StoredToken = { token: pending.token, expiresAt: pending.expiresAt };
      this.signedIn.set(key, stored);
      return this.tokenResponse(channelId, connection.name, stored);
    }
    const stored = this.signedIn.get(key);
    if (!stored || stored.expiresAt <= now) {
      this.signedIn.delete(key);
      return notFound;
    }
    return this.tokenResponse(channelId, connection.name, stored);
  }

  private getTokenStatus(req: EmulatedRequest): EmulatedResponse {
    const userId = req.query.get('userId');
    const channelId = req.query.get('channelId');
    if (!userId || !channelId) return apiError(400, 'BadArgument', 'userId and channelId are required.');
    const include = (req.query.get('include') ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== '');
    const now = this.now();
    return json(
      200,
      this.options.connections
        .filter((c) => include.length === 0 || include.includes(c.name.toLowerCase()))
        .map((c) => {
          const stored = this.signedIn.get(tokenKey(channelId, userId, c.name));
          return {
            channelId,
            connectionName: c.name,
            hasToken: stored !== undefined && stored.expiresAt > now,
            serviceProviderDisplayName: 'Azure Active Directory v2',
          };
        }),
    );
  }

  /** Forgets the user's token (and any pending sign-in) for one connection, or all without a name. */
  private signOut(req: EmulatedRequest): EmulatedResponse {
    const userId = req.query.get('userId');
    const channelId = req.query.get('channelId');
    if (!userId || !channelId) return apiError(400, 'BadArgument', 'userId and channelId are required.');
    const name = req.query.get('connectionName');
    const connections = name
      ? this.options.connections.filter((c) => c.name.toLowerCase() === name.toLowerCase())
      : this.options.connections;
    for (const c of connections) {
      const key = tokenKey(channelId, userId, c.name);
      this.signedIn.delete(key);
      this.pending.delete(key);
    }
    return json(200, {});
  }

  /**
   * The signed-in token for each requested resource that is the connection's own resource
   * (its App ID URI, or its scope). Other resources would need a refresh-token redemption the
   * emulator does not do: they are left out of the answer.
   */
  private getAadTokens(req: EmulatedRequest): EmulatedResponse {
    const userId = req.query.get('userId');
    const channelId = req.query.get('channelId');
    const connection = this.connection(req.query.get('connectionName'));
    if (!userId || !channelId) return apiError(400, 'BadArgument', 'userId and channelId are required.');
    if (!connection) return apiError(404, 'ConnectionNotFound', 'No OAuth connection of that name.');
    let body: unknown;
    try {
      body = req.json();
    } catch {
      return apiError(400, 'BadArgument', 'The body must be { resourceUrls: string[] }.');
    }
    const urls =
      isRecord(body) && Array.isArray(body.resourceUrls) ? body.resourceUrls.filter((u): u is string => typeof u === 'string') : [];
    const stored = this.signedIn.get(tokenKey(channelId, userId, connection.name));
    const answer: Record<string, unknown> = {};
    if (stored && stored.expiresAt > this.now()) {
      const own = new Set([exchangeUriOf(connection), connection.scope].map((u) => u.toLowerCase()));
      for (const url of urls) {
        if (own.has(url.toLowerCase())) {
          answer[url] = {
            channelId,
            connectionName: connection.name,
            token: stored.token,
            expiration: new Date(stored.expiresAt).toISOString(),
          };
        }
      }
    }
    return json(200, answer);
  }

  /**
   * Token exchange (SSO through the Token Service) is not emulated: this bot exchanges the Teams
   * SSO token on-behalf-of itself. The SDK lists 400 as a non-throwing answer, so
   * UserTokenClient.exchangeToken resolves to an object without a token.
   */
  private exchange(): EmulatedResponse {
    return apiError(400, 'NotSupported', 'Token exchange is not emulated: the bot does on-behalf-of itself.');
  }
}

function tokenKey(channelId: string, userId: string, connectionName: string): string {
  return JSON.stringify([channelId.toLowerCase(), userId, connectionName.toLowerCase()]);
}
