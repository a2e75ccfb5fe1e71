/**
 * RSA signing keys for tokens minted by the emulated cloud (Entra and the Bot Framework
 * channel), published as a JWKS the way Microsoft publishes its keys. RS256 only: the
 * SDKs under test (botbuilder's JwtTokenExtractor, jose in the bot) expect RSA keys.
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, jwtVerify, createLocalJWKSet, type JWK, type JWTPayload, type KeyLike } from 'jose';

/** A published key, as in a JWKS document. */
export interface PublishedKey extends JWK {
  readonly kid: string;
  readonly endorsements?: readonly string[];
}

export interface SignOptions {
  /** Sign with this key id's key, or (for forgery tests) claim this kid while signing with another key. */
  readonly kid?: string;
  /** Header fields to add (e.g. x5t). */
  readonly header?: Record<string, string>;
  /** Sign with a key that is not published (a forgery under a genuine kid when kid is set). */
  readonly forge?: boolean;
}

/** Told about every token any key set signs (see onTokenSigned). */
export type TokenSignedListener = (token: string) => void;

const tokenListeners = new Set<TokenSignedListener>();

/**
 * Tells `listener` about every token the emulated cloud signs from now on (Entra's SSO, Graph
 * and connector tokens, the channel's tokens): the suite-wide secret scan uses it to know
 * exactly which tokens must never show up in logs, cards or storage. Returns the unsubscribe.
 */
export function onTokenSigned(listener: TokenSignedListener): () => void {
  tokenListeners.add(listener);
  return () => void tokenListeners.delete(listener);
}

export class SigningKeySet {
  private constructor(
    private readonly privateKey: KeyLike,
    private readonly forgeryKey: KeyLike,
    private readonly published: PublishedKey,
  ) {}

  /** Creates a key set with one active key. */
  static async create(options: { endorsements?: readonly string[] } = {}): Promise<SigningKeySet> {
    const [{ privateKey, publicKey }, forgery] = await Promise.all([
      generateKeyPair('RS256', { modulusLength: 2048 }),
      generateKeyPair('RS256', { modulusLength: 2048 }),
    ]);
    const jwk = await exportJWK(publicKey);
    const kid = randomUUID().replace(/-/g, '');
    const published: PublishedKey = {
      ...jwk,
      kid,
      kty: 'RSA',
      use: 'sig',
      alg: 'RS256',
      ...(options.endorsements ? { endorsements: [...options.endorsements] } : {}),
    };
    return new SigningKeySet(privateKey, forgery.privateKey, published);
  }

  /** The key id of the active key. */
  get kid(): string {
    return this.published.kid;
  }

  /** The JWKS document. */
  jwks(): { keys: PublishedKey[] } {
    return { keys: [this.published] };
  }

  /** Signs the claims as a JWT (typ JWT, alg RS256). Claims are taken as given: set iat/exp yourself. */
  async sign(claims: JWTPayload, options: SignOptions = {}): Promise<string> {
    const key = options.forge ? this.forgeryKey : this.privateKey;
    const token = await new SignJWT(claims)
      .setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid: options.kid ?? this.published.kid, ...options.header })
      .sign(key);
    for (const listener of tokenListeners) listener(token);
    return token;
  }

  /** Verifies a token signed by this key set; throws on a bad signature, expiry or unknown kid. */
  async verify(token: string): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, createLocalJWKSet(this.jwks() as { keys: JWK[] }), { clockTolerance: 60 });
    return payload;
  }
}

/** Seconds since the epoch, as JWTs count time. */
export function epochSeconds(at: number = Date.now()): number {
  return Math.floor(at / 1000);
}
