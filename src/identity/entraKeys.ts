/**
 * What every check of an Entra-issued token shares: the tenant's signing keys, fetched from the
 * configured authority (v1 and v2 tokens have their own key sets,
 * https://learn.microsoft.com/entra/identity-platform/access-tokens#validate-tokens) and cached by jose,
 * and jose's errors as the few problems callers tell apart.
 */
import { createRemoteJWKSet, errors as joseErrors } from 'jose';

/** Why jose refused a token, in the words both token checks use. */
export type JoseProblem = 'malformed' | 'signature' | 'issuer' | 'audience' | 'expired' | 'keys_unavailable';

export type KeySet = ReturnType<typeof createRemoteJWKSet>;

/** The tenants' key sets at one authority, one cached set per URL. */
export class EntraKeys {
  private readonly keySets = new Map<string, KeySet>();

  constructor(private readonly authorityHost: string) {}

  /** The key set for a tenant's v1 or v2 tokens. */
  keysFor(tenantId: string, version: string): KeySet {
    const url = `${this.authorityHost}/${tenantId}/discovery/${version === '2.0' ? 'v2.0/' : ''}keys`;
    let keys = this.keySets.get(url);
    if (!keys) {
      // jose caches the key set and refetches on an unknown kid at most every cooldown.
      keys = createRemoteJWKSet(new URL(url), { cooldownDuration: 5 * 60_000, cacheMaxAge: 24 * 60 * 60_000, timeoutDuration: 5000 });
      this.keySets.set(url, keys);
    }
    return keys;
  }
}

/** jose's refusal as a problem. */
export function classifyJoseError(error: unknown): JoseProblem {
  if (error instanceof joseErrors.JWTExpired) return 'expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return 'issuer';
    if (error.claim === 'aud') return 'audience';
    if (error.claim === 'nbf' || error.claim === 'exp') return 'expired';
    return 'malformed';
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature';
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) return 'keys_unavailable';
  if (error instanceof joseErrors.JOSEError) return 'malformed';
  // Network failures fetching the keys.
  return 'keys_unavailable';
}
