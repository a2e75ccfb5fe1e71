/**
 * Graph's claims challenge (Continuous Access Evaluation): a 401 whose WWW-Authenticate header
 * holds a Bearer challenge with error="insufficient_claims" and a base64 `claims` value. Graph
 * sends it to CAE-capable clients (ours: see src/identity/continuousAccessCredential.ts) when the
 * token was issued before the user's sessions were revoked, or the account was disabled or its
 * password reset. See https://learn.microsoft.com/entra/identity-platform/claims-challenge and
 * https://learn.microsoft.com/entra/identity-platform/app-resilience-continuous-access-evaluation.
 *
 * The middleware below sits in every Graph client's chain (src/graph/graphCall.ts) and tells the
 * credential; the caller still gets the 401 (sign_in_expired), nothing is retried here.
 */
import type { TokenCredential } from '@azure/identity';
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';

/** A credential that wants to hear of claims challenges (the token it gave is no longer honoured). */
export interface ClaimsChallengeListener {
  claimsChallenged(claims: string): void;
}

export function challengeListenerOf(credential: TokenCredential): ClaimsChallengeListener | undefined {
  const candidate = credential as TokenCredential & Partial<ClaimsChallengeListener>;
  return typeof candidate.claimsChallenged === 'function' ? (candidate as ClaimsChallengeListener) : undefined;
}

/** Longest header and claims value read: a challenge is a few hundred characters. */
const MAX_HEADER_LENGTH = 16_384;
const MAX_CLAIMS_LENGTH = 4_096;

interface Challenge {
  readonly scheme: string;
  readonly params: Map<string, string>;
}

const TOKEN_CHAR = /[A-Za-z0-9!#$%&'*+.^_`|~-]/;

/**
 * The challenges of a WWW-Authenticate value (RFC 9110 §11.6.1): `scheme name=value, name="quoted", …`,
 * several per header allowed. One pass over the text, so a hostile header costs linear time.
 */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let current: Challenge | undefined;
  let i = 0;
  const n = header.length;
  const token = (): string => {
    const start = i;
    while (i < n && TOKEN_CHAR.test(header.charAt(i))) i += 1;
    return header.slice(start, i);
  };
  const skip = (chars: string): void => {
    while (i < n && chars.includes(header.charAt(i))) i += 1;
  };
  while (i < n) {
    skip(' \t,');
    const name = token();
    if (name === '') {
      i += 1;
      continue;
    }
    skip(' \t');
    if (header.charAt(i) !== '=' || header.charAt(i + 1) === '=') {
      // A new challenge's scheme (or a token68 of the current one, which is never what we look for).
      if (header.charAt(i) === '=') {
        skip('=');
        continue;
      }
      current = { scheme: name.toLowerCase(), params: new Map() };
      challenges.push(current);
      continue;
    }
    i += 1;
    skip(' \t');
    let value = '';
    if (header.charAt(i) === '"') {
      i += 1;
      while (i < n && header.charAt(i) !== '"') {
        if (header.charAt(i) === '\\' && i + 1 < n) i += 1;
        value += header.charAt(i);
        i += 1;
      }
      i += 1;
    } else {
      value = token();
    }
    current?.params.set(name.toLowerCase(), value);
  }
  return challenges;
}

/**
 * The claims a Bearer challenge asks for, decoded to the JSON text a token request passes on
 * (`{"access_token":{"nbf":{"essential":true,"value":"…"}}}`); undefined when the header is not an
 * insufficient_claims challenge or its claims are not base64 of a JSON object.
 */
export function claimsFromChallenge(header: string | null | undefined): string | undefined {
  if (!header || header.length > MAX_HEADER_LENGTH) return undefined;
  for (const challenge of parseChallenges(header)) {
    if (challenge.scheme !== 'bearer' || challenge.params.get('error') !== 'insufficient_claims') continue;
    const encoded = challenge.params.get('claims') ?? '';
    if (encoded === '' || encoded.length > MAX_CLAIMS_LENGTH || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded)) continue;
    const text = Buffer.from(encoded, 'base64').toString('utf8');
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return text;
    } catch {
      // Not a claims request: not a challenge we can redeem.
    }
  }
  return undefined;
}

/** Graph client middleware: tells the listener of every claims challenge that passes by. */
export class ClaimsChallengeHandler implements Middleware {
  private next: Middleware | undefined;

  constructor(private readonly listener: ClaimsChallengeListener) {}

  async execute(context: Context): Promise<void> {
    await this.next?.execute(context);
    const response = context.response;
    if (response?.status !== 401) return;
    const claims = claimsFromChallenge(response.headers.get('www-authenticate'));
    if (claims) this.listener.claimsChallenged(claims);
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}
