/**
 * The bot's on-behalf-of tokens as a Continuous Access Evaluation (CAE) client: every token request
 * declares the `cp1` client capability (@azure/identity's `enableCae`, which gives msal-node
 * `clientCapabilities: ['cp1']`), so Graph checks each call against the person's current state and
 * answers with a claims challenge once their sessions are revoked or their account is disabled,
 * instead of honouring the token until it expires. A client that declares cp1 must handle those
 * challenges: https://learn.microsoft.com/entra/identity-platform/app-resilience-continuous-access-evaluation.
 *
 * Here that means: once Graph challenged a token of this credential (src/graph/claimsChallenge.ts),
 * the credential is spent. Every later token request redeems the claims (a request with claims
 * bypasses msal's cache, so the challenged token is never sent again), and the session it belongs
 * to is dropped so the person signs in again (src/identity/delegatedSessions.ts). A credential
 * created with claims owed by a challenged one redeems them in its first token request.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import type { ClaimsChallengeListener } from '../graph/claimsChallenge';

export class ContinuousAccessCredential implements TokenCredential, ClaimsChallengeListener {
  private claims: string | undefined;
  private spent = false;

  /** `owedClaims`: what a challenged credential of the same person still owed Entra. */
  constructor(
    private readonly inner: TokenCredential,
    owedClaims?: string,
  ) {
    this.claims = owedClaims;
  }

  async getToken(scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken | null> {
    const claims = options.claims ?? this.claims;
    const token = await this.inner.getToken(scopes, { ...options, enableCae: true, ...(claims ? { claims } : {}) });
    // Owed claims are redeemed once; a spent credential keeps bypassing the cache that holds the challenged token.
    if (!this.spent && claims === this.claims) this.claims = undefined;
    return token;
  }

  claimsChallenged(claims: string): void {
    this.claims = claims;
    this.spent = true;
  }

  /** Whether Graph challenged a token of this credential: its session must not be used for new work. */
  get challenged(): boolean {
    return this.spent;
  }

  /** The claims the next token request will carry, if any. */
  get owedClaims(): string | undefined {
    return this.claims;
  }
}
