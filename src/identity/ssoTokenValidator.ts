/**
 * Checks that a Teams SSO token (or a token from the visible sign-in) belongs to the person
 * who clicked: signed by the tenant's Entra keys, issued for this tenant by the configured
 * authority, meant for this app, not expired, a delegated user token, and for the same
 * Entra object id the channel vouched for in the activity. Deny by default.
 */
import type { Clock } from '../domain/clock';
import { decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { classifyJoseError, EntraKeys } from './entraKeys';

export type TokenProblem =
  'malformed' | 'signature' | 'issuer' | 'audience' | 'tenant' | 'subject' | 'expired' | 'not_user_token' | 'keys_unavailable';

/** The checked identity behind a token. */
export interface VerifiedUser {
  readonly tenantId: string;
  readonly aadObjectId: string;
  readonly name?: string;
  readonly userPrincipalName?: string;
  /** Seconds since the epoch. */
  readonly expiresAt: number;
}

export interface Expected {
  /** The tenant of the activity (conversation.tenantId). */
  readonly tenantId: string;
  /** from.aadObjectId of the activity: the person who clicked. */
  readonly aadObjectId: string;
}

export type Verification = { ok: true; user: VerifiedUser } | { ok: false; problem: TokenProblem };

export interface SsoTokenValidatorOptions {
  readonly authorityHost: string;
  readonly appId: string;
  readonly ssoAppIdUri: string;
  readonly allowedTenants: readonly string[];
  /** Clock skew tolerated on exp/nbf. */
  readonly clockToleranceInSeconds?: number;
  /** Decides exp/nbf: the bot's one clock. */
  readonly clock: Clock;
}

const PUBLIC_AUTHORITY = 'https://login.microsoftonline.com';

export class SsoTokenValidator {
  private readonly keys: EntraKeys;

  constructor(private readonly options: SsoTokenValidatorOptions) {
    this.keys = new EntraKeys(options.authorityHost);
  }

  async verify(token: string, expected: Expected): Promise<Verification> {
    const tenantId = expected.tenantId.toLowerCase();
    if (!this.options.allowedTenants.includes(tenantId)) return { ok: false, problem: 'tenant' };
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token) || token.length > 16_384)
      return { ok: false, problem: 'malformed' };
    let version: string;
    try {
      const header = decodeProtectedHeader(token);
      if (header.alg !== 'RS256') return { ok: false, problem: 'signature' };
      const body = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { ver?: unknown };
      version = body.ver === '1.0' ? '1.0' : '2.0';
    } catch {
      return { ok: false, problem: 'malformed' };
    }
    const issuers = this.issuersFor(tenantId, version);
    if (issuers.length === 0) return { ok: false, problem: 'issuer' };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys.keysFor(tenantId, version), {
        algorithms: ['RS256'],
        issuer: issuers,
        audience: [this.options.appId, this.options.ssoAppIdUri],
        clockTolerance: this.options.clockToleranceInSeconds ?? 60,
        currentDate: this.options.clock.now(),
        requiredClaims: ['exp', 'iat', 'tid', 'oid'],
      }));
    } catch (error) {
      return { ok: false, problem: classifyJoseError(error) };
    }
    if (String(payload.tid).toLowerCase() !== tenantId) return { ok: false, problem: 'tenant' };
    if (String(payload.oid).toLowerCase() !== expected.aadObjectId.toLowerCase()) return { ok: false, problem: 'subject' };
    if (typeof payload.scp !== 'string' || payload.scp.length === 0) return { ok: false, problem: 'not_user_token' };
    return {
      ok: true,
      user: {
        tenantId,
        aadObjectId: String(payload.oid).toLowerCase(),
        name: typeof payload.name === 'string' ? payload.name : undefined,
        userPrincipalName:
          typeof payload.preferred_username === 'string'
            ? payload.preferred_username
            : typeof payload.upn === 'string'
              ? payload.upn
              : undefined,
        expiresAt: Number(payload.exp),
      },
    };
  }

  /** v2 tokens come from the configured authority; v1 tokens only from the public cloud's sts.windows.net. */
  private issuersFor(tenantId: string, version: string): string[] {
    if (version === '2.0') return [`${this.options.authorityHost}/${tenantId}/v2.0`];
    return this.options.authorityHost === PUBLIC_AUTHORITY ? [`https://sts.windows.net/${tenantId}/`] : [];
  }
}
