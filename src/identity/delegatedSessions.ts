/**
 * One delegated session per signed-in person: an OnBehalfOfCredential for their checked SSO
 * token and a directory gateway that uses it. Kept warm until the SSO token expires, so a
 * returning user costs no sign-in round trip and, while MSAL's cache holds the Graph token,
 * no token-endpoint call. Keyed by tenant and object id taken from the verified token.
 *
 * Tokens are requested as a Continuous Access Evaluation client (continuousAccessCredential.ts):
 * when Graph challenges one (the person's own sessions were revoked, or their account disabled),
 * the session stops being warm at once, the person is asked to sign in again, and the next
 * session redeems the challenge's claims in its first on-behalf-of request.
 */
import {
  OnBehalfOfCredential,
  type MultiTenantTokenCredentialOptions,
  type OnBehalfOfCredentialSecretOptions,
  type TokenCredential,
} from '@azure/identity';
import type { SessionMemo } from '../app/acting';
import type { DirectoryGateway } from '../app/ports/directory';
import type { ContainmentGateway } from '../app/ports/containment';
import type { EvidenceGateway } from '../app/ports/evidence';
import type { Clock } from '../domain/clock';
import { ContinuousAccessCredential } from './continuousAccessCredential';
import type { VerifiedUser } from './ssoTokenValidator';

export interface DelegatedSession {
  readonly user: VerifiedUser;
  readonly directory: DirectoryGateway;
  /** Containment (disable account, reset password, disable devices…) with the same credential. */
  readonly containment?: ContainmentGateway;
  /** Sign-in logs, authentication methods and PIM eligibility with the same credential. */
  readonly evidence?: EvidenceGateway;
  /** What this session remembers while it lasts (the person's roles for the "can I?" line); gone with it. */
  readonly memo: SessionMemo;
  /** Whether Graph challenged this session's tokens (Continuous Access Evaluation): the person must sign in again. */
  readonly challenged: () => boolean;
}

export interface DelegatedSessionsOptions {
  readonly authorityHost: string;
  readonly appId: string;
  readonly appPassword: string;
  readonly makeGateway: (credential: TokenCredential) => DirectoryGateway;
  readonly makeContainment?: (credential: TokenCredential) => ContainmentGateway;
  readonly makeEvidence?: (credential: TokenCredential) => EvidenceGateway;
  /** Sessions kept at most; the least recently used goes first. */
  readonly maxSessions?: number;
  /** Stop using a session this long before its SSO token expires. */
  readonly expiryMarginInSeconds?: number;
  /** Decides when a warm session's SSO token is too old to use. (msal-node's own token cache
   * judges the tokens it holds by the machine's clock: a library edge.) */
  readonly clock: Clock;
}

interface Entry {
  readonly session: DelegatedSession;
  readonly credential: ContinuousAccessCredential;
  readonly tokenFingerprint: string;
}

export class DelegatedSessions {
  private readonly entries = new Map<string, Entry>();
  /** Claims a challenged session left for the person's next one to redeem. */
  private readonly owed = new Map<string, string>();

  constructor(private readonly options: DelegatedSessionsOptions) {}

  /** The session for a verified token, reusing the warm one when it is the same token. */
  open(user: VerifiedUser, ssoToken: string): DelegatedSession {
    const key = keyOf(user.tenantId, user.aadObjectId);
    // The signature part identifies the token without keeping the token itself as a key.
    const fingerprint = ssoToken.slice(-43);
    const existing = this.entries.get(key);
    if (existing?.tokenFingerprint === fingerprint && this.isFresh(existing.session) && !existing.credential.challenged) {
      this.touch(key, existing);
      return existing.session;
    }
    if (existing) this.drop(key, existing);
    const owedClaims = this.owed.get(key);
    this.owed.delete(key);
    // disableInstanceDiscovery is honoured by OnBehalfOfCredential (its options reach MSAL)
    // but missing from its option types; without it MSAL asks login.microsoftonline.com
    // about any other authority host (sovereign clouds, the emulator) and fails offline.
    const credentialOptions: OnBehalfOfCredentialSecretOptions & MultiTenantTokenCredentialOptions & { disableInstanceDiscovery: boolean } =
      {
        tenantId: user.tenantId,
        clientId: this.options.appId,
        clientSecret: this.options.appPassword,
        userAssertionToken: ssoToken,
        authorityHost: this.options.authorityHost,
        disableInstanceDiscovery: true,
      };
    const credential = new ContinuousAccessCredential(new OnBehalfOfCredential(credentialOptions), owedClaims);
    const session: DelegatedSession = {
      user,
      directory: this.options.makeGateway(credential),
      containment: this.options.makeContainment?.(credential),
      evidence: this.options.makeEvidence?.(credential),
      memo: new SessionMemory(),
      challenged: () => credential.challenged,
    };
    this.touch(key, { session, credential, tokenFingerprint: fingerprint });
    return session;
  }

  /** The warm session of this person, if any. */
  find(tenantId: string, aadObjectId: string): DelegatedSession | undefined {
    const key = keyOf(tenantId, aadObjectId);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (!this.isFresh(entry.session) || entry.credential.challenged) {
      this.drop(key, entry);
      return undefined;
    }
    this.touch(key, entry);
    return entry.session;
  }

  /** Drops a session, e.g. after Entra said the sign-in is no longer good. */
  forget(tenantId: string, aadObjectId: string): void {
    const key = keyOf(tenantId, aadObjectId);
    const entry = this.entries.get(key);
    if (entry) this.drop(key, entry);
  }

  /** Removes a session, keeping any claims it still owed for the person's next one. */
  private drop(key: string, entry: Entry): void {
    this.entries.delete(key);
    const claims = entry.credential.owedClaims;
    if (claims === undefined) return;
    this.owed.delete(key);
    this.owed.set(key, claims);
    const max = this.options.maxSessions ?? 5000;
    while (this.owed.size > max) {
      const oldest = this.owed.keys().next().value;
      if (oldest === undefined) break;
      this.owed.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private isFresh(session: DelegatedSession): boolean {
    const now = this.options.clock.now().getTime() / 1000;
    return session.user.expiresAt - (this.options.expiryMarginInSeconds ?? 120) > now;
  }

  private touch(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    const max = this.options.maxSessions ?? 5000;
    while (this.entries.size > max) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}

/**
 * One session's memory: values kept for as long as the session object lives; a value being
 * computed is shared by everyone who asks meanwhile; failures are never kept.
 */
class SessionMemory implements SessionMemo {
  private readonly kept = new Map<string, Promise<unknown>>();

  remember<T>(key: string, compute: () => Promise<T>, keep: (value: T) => boolean): Promise<T> {
    const known = this.kept.get(key);
    if (known) return known as Promise<T>;
    const pending = compute().then(
      (value) => {
        if (!keep(value)) this.kept.delete(key);
        return value;
      },
      (error: unknown) => {
        this.kept.delete(key);
        throw error;
      },
    );
    this.kept.set(key, pending);
    return pending;
  }
}

function keyOf(tenantId: string, aadObjectId: string): string {
  return `${tenantId.toLowerCase()}|${aadObjectId.toLowerCase()}`;
}
