/**
 * Checks the bearer token of a POST /api/alerts call: an app-only Entra access token, such as a
 * Logic App's or an Azure Function's managed identity gets for the bot's API
 * (https://learn.microsoft.com/azure/logic-apps/authenticate-with-managed-identity). Deny by
 * default: signed by the tenant's keys (RS256), issued for an allowed tenant (v1
 * `https://sts.windows.net/{tid}/` or v2 `{authority}/{tid}/v2.0`, each with its own key set), for
 * the configured audience (the bot API's Application ID URI), not expired by the bot's one clock,
 * app-only (no `scp`; `idtyp` `app` when present), and from a calling app (`appid` in v1, `azp`
 * in v2) on the allow-list. Claims: https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
 */
import { decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { classifyJoseError, EntraKeys } from './entraKeys';
import type { Clock } from '../domain/clock';

export type CallerProblem =
  | 'malformed'
  | 'signature'
  | 'issuer'
  | 'audience'
  | 'tenant'
  | 'expired'
  | 'not_app_token'
  | 'caller_not_allowed'
  | 'role_missing'
  | 'keys_unavailable';

/** The checked caller. */
export interface AlertCaller {
  readonly tenantId: string;
  /** The calling app's (managed identity's) client id. */
  readonly appId: string;
  /** Its service principal's object id (oid), when the token carries one. */
  readonly servicePrincipalId?: string;
}

export type CallerVerification =
  { readonly ok: true; readonly caller: AlertCaller } | { readonly ok: false; readonly problem: CallerProblem };

export interface AlertCallerValidatorOptions {
  readonly authorityHost: string;
  readonly allowedTenants: readonly string[];
  /** Accepted `aud` values: the bot API's Application ID URI (ALERT_AUDIENCE). */
  readonly audiences: readonly string[];
  /** Calling apps allowed (ALERT_CALLER_APP_IDS), lower-case. */
  readonly callerAppIds: readonly string[];
  /** An app role the caller must hold (ALERT_CALLER_ROLE), when set. */
  readonly requiredRole?: string;
  readonly clock: Clock;
  readonly clockToleranceInSeconds?: number;
}

const MAX_TOKEN_CHARS = 16_384;

export class AlertCallerValidator {
  private readonly keys: EntraKeys;

  constructor(private readonly options: AlertCallerValidatorOptions) {
    this.keys = new EntraKeys(options.authorityHost);
  }

  /** The tenant a token claims, if it is one of ours (unverified: only for where a refusal is recorded). */
  claimedTenant(token: string): string | undefined {
    try {
      const body = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { tid?: unknown };
      const tid = typeof body.tid === 'string' ? body.tid.toLowerCase() : '';
      return this.options.allowedTenants.includes(tid) ? tid : undefined;
    } catch {
      return undefined;
    }
  }

  async verify(token: string): Promise<CallerVerification> {
    if (token.length > MAX_TOKEN_CHARS || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token))
      return { ok: false, problem: 'malformed' };
    let claimed: { ver: string; tid: string };
    try {
      if (decodeProtectedHeader(token).alg !== 'RS256') return { ok: false, problem: 'signature' };
      const body = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { ver?: unknown; tid?: unknown };
      claimed = { ver: body.ver === '1.0' ? '1.0' : '2.0', tid: typeof body.tid === 'string' ? body.tid.toLowerCase() : '' };
    } catch {
      return { ok: false, problem: 'malformed' };
    }
    // The tenant decides which keys and issuer apply: only an allowed one is ever looked up.
    if (!this.options.allowedTenants.includes(claimed.tid)) return { ok: false, problem: 'tenant' };
    const issuer = claimed.ver === '1.0' ? `https://sts.windows.net/${claimed.tid}/` : `${this.options.authorityHost}/${claimed.tid}/v2.0`;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys.keysFor(claimed.tid, claimed.ver), {
        algorithms: ['RS256'],
        issuer,
        audience: [...this.options.audiences],
        clockTolerance: this.options.clockToleranceInSeconds ?? 60,
        currentDate: this.options.clock.now(),
        requiredClaims: ['exp', 'iat', 'tid'],
      }));
    } catch (error) {
      return { ok: false, problem: classifyJoseError(error) };
    }
    if (String(payload.tid).toLowerCase() !== claimed.tid) return { ok: false, problem: 'tenant' };
    // A user's (delegated) token is never an alert source.
    if (payload.scp !== undefined || (payload.idtyp !== undefined && payload.idtyp !== 'app'))
      return { ok: false, problem: 'not_app_token' };
    const appId = (claimed.ver === '1.0' ? payload.appid : payload.azp) ?? payload.appid ?? payload.azp;
    if (typeof appId !== 'string' || !this.options.callerAppIds.includes(appId.toLowerCase()))
      return { ok: false, problem: 'caller_not_allowed' };
    if (this.options.requiredRole !== undefined) {
      const roles = Array.isArray(payload.roles) ? (payload.roles as unknown[]) : [];
      if (!roles.includes(this.options.requiredRole)) return { ok: false, problem: 'role_missing' };
    }
    return {
      ok: true,
      caller: {
        tenantId: claimed.tid,
        appId: appId.toLowerCase(),
        ...(typeof payload.oid === 'string' ? { servicePrincipalId: payload.oid.toLowerCase() } : {}),
      },
    };
  }
}
