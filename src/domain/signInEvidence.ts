/**
 * Evidence of containment from the sign-in logs: what happened to an account since its sessions
 * were revoked. Revocation itself answers 200 whatever happens, and reading
 * signInSessionsValidFromDateTime back proves only that the directory moved; the sign-in logs
 * show whether anyone still gets in. Pure: the caller reads the logs and passes the time.
 *
 * Facts this relies on (docs/evidence.md): sign-in log rows arrive minutes late; status.errorCode
 * 0 is a success, anything else a failed or interrupted attempt
 * (https://learn.microsoft.com/entra/identity-platform/reference-error-codes); access tokens
 * issued before a revoke stay valid until they expire, 60 to 90 minutes by default
 * (https://learn.microsoft.com/entra/identity-platform/configurable-token-lifetimes).
 */

/** One row of the sign-in log, as much of it as the cards show. */
export interface SignInEvent {
  readonly id: string;
  /** createdDateTime (ISO). */
  readonly at: string;
  readonly userId: string;
  readonly app?: string;
  /** clientAppUsed, e.g. "Browser", "Mobile Apps and Desktop clients". */
  readonly client?: string;
  readonly ipAddress?: string;
  /** "City, CC" from the log's IP lookup. */
  readonly location?: string;
  /** Whether the user supplied a factor (password, MFA…) rather than a client using a token silently. */
  readonly interactive?: boolean;
  /** status.errorCode: 0 is a success. */
  readonly errorCode: number;
  /** status.failureReason, Graph's own words (shown only when the code is not in the table below). */
  readonly failureReason?: string;
}

/**
 * Sign-in error codes in words: the AADSTS numbers (without the prefix) responders meet most after
 * a revoke. From https://learn.microsoft.com/entra/identity-platform/reference-error-codes.
 */
export const SIGN_IN_ERROR_WORDS: Readonly<Record<number, string>> = {
  50126: 'wrong user name or password',
  50053: 'account locked (too many attempts, or a sign-in from a known malicious IP address)',
  53003: 'blocked by Conditional Access',
  50057: 'account disabled',
  50055: 'password expired',
  50144: 'password expired (on-premises)',
  50074: 'multi-factor authentication required and not completed',
  50076: 'multi-factor authentication required by policy',
  50079: 'must register for multi-factor authentication',
  50072: 'must register for multi-factor authentication',
  500121: 'multi-factor authentication failed or was denied',
  50140: 'interrupted by the “stay signed in?” prompt',
  50158: 'external security challenge not satisfied',
  50125: 'interrupted for a password reset or registration',
  50132: 'session no longer valid after a password change',
  50133: 'session no longer valid after a password change or expiry',
  50173: 'token no longer valid: sessions were revoked or the password changed',
  50097: 'device authentication required',
  50155: 'device authentication failed',
  53000: 'device not compliant (Conditional Access)',
  53001: 'device not domain-joined (Conditional Access)',
  53002: 'app not approved (Conditional Access)',
  530032: 'blocked by a security policy',
  530035: 'blocked by security defaults',
  70043: 'sign-in frequency ran out (Conditional Access)',
  700082: 'refresh token expired after inactivity',
  65001: 'consent missing',
  90094: 'admin consent required',
};

/** An error code in words: the table's, else Graph's own failure reason, else the number. */
export function signInErrorWords(code: number, failureReason?: string): string {
  const known = SIGN_IN_ERROR_WORDS[code];
  if (known) return known;
  const reason = failureReason?.trim().replace(/\.$/, '');
  return reason ? `error ${code}: ${reason}` : `error ${code}`;
}

/** The directory roles that may read other people's sign-in logs, least privileged first (https://learn.microsoft.com/graph/api/signin-list). */
export const SIGN_IN_LOG_READER_ROLES: readonly string[] = [
  'Reports Reader',
  'Security Reader',
  'Security Operator',
  'Security Administrator',
  'Global Reader',
  'Global Administrator',
];

/**
 * How far before the revoke the logs are read: rows stamped a little earlier than our revoke time
 * (clock skew between us and Entra) are still read, and shown apart, never counted.
 */
export const SIGN_IN_CHECK_MARGIN_IN_MS = 5 * 60_000;

/** The default of MAX_ACCESS_TOKEN_LIFETIME_MINUTES: the longest default access-token lifetime (60 to 90 minutes). */
export const DEFAULT_MAX_ACCESS_TOKEN_LIFETIME_IN_MS = 90 * 60_000;

/** The plain verdict a card leads with. */
export type SignInVerdict = 'none' | 'failedOnly' | 'succeeded';

/** What the sign-in logs say about one account since its revoke. */
export interface SignInEvidence {
  readonly userId: string;
  /** The revoke instant the check compares with (ISO). */
  readonly revokedAt: string;
  /** Where the read started: the revoke minus the margin. */
  readonly since: string;
  /** When the logs were read. */
  readonly checkedAt: string;
  /** When the last access token issued before the revoke expires at the latest. */
  readonly residualWindowEndsAt: string;
  readonly verdict: SignInVerdict;
  /** Successful sign-ins at or after the revoke, newest first. */
  readonly successes: readonly SignInEvent[];
  /** Failed (or interrupted) attempts at or after the revoke, newest first. */
  readonly failures: readonly SignInEvent[];
  /** Rows in the margin before the revoke: shown apart, never counted. */
  readonly justBefore: number;
  /** The logs held more rows than were read: the counts are lower bounds. */
  readonly truncated: boolean;
}

/** The first instant whose sign-ins are read for a revoke at `revokedAt`. */
export function checkWindowStart(revokedAt: Date): Date {
  return new Date(revokedAt.getTime() - SIGN_IN_CHECK_MARGIN_IN_MS);
}

/** When access tokens issued before the revoke have all expired: the revoke plus the longest access-token lifetime. */
export function residualWindowEnd(revokedAt: Date, maxAccessTokenLifetimeInMs: number): Date {
  return new Date(revokedAt.getTime() + Math.max(0, maxAccessTokenLifetimeInMs));
}

/** Judges the rows read for one account. Rows for other users, or with an unreadable time, are ignored. */
export function judgeSignIns(input: {
  readonly userId: string;
  readonly events: readonly SignInEvent[];
  readonly revokedAt: Date;
  readonly checkedAt: Date;
  readonly maxAccessTokenLifetimeInMs: number;
  readonly truncated: boolean;
}): SignInEvidence {
  // Graph stamps sign-ins to the second: a sign-in in the revoke's own second counts as after it.
  const revoked = Math.floor(input.revokedAt.getTime() / 1000) * 1000;
  const since = checkWindowStart(input.revokedAt).getTime();
  const mine = input.events
    .filter((e) => e.userId.toLowerCase() === input.userId.toLowerCase() && Number.isFinite(Date.parse(e.at)))
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  const after = mine.filter((e) => Date.parse(e.at) >= revoked);
  const successes = after.filter((e) => e.errorCode === 0);
  const failures = after.filter((e) => e.errorCode !== 0);
  const justBefore = mine.filter((e) => Date.parse(e.at) < revoked && Date.parse(e.at) >= since).length;
  const verdict: SignInVerdict = successes.length > 0 ? 'succeeded' : failures.length > 0 ? 'failedOnly' : 'none';
  return {
    userId: input.userId,
    revokedAt: input.revokedAt.toISOString(),
    since: new Date(since).toISOString(),
    checkedAt: input.checkedAt.toISOString(),
    residualWindowEndsAt: residualWindowEnd(input.revokedAt, input.maxAccessTokenLifetimeInMs).toISOString(),
    verdict,
    successes,
    failures,
    justBefore,
    truncated: input.truncated,
  };
}
