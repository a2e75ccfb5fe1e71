/**
 * The emulated tenant's security data beside its directory: licences, the sign-in log (with the
 * arrival delay Microsoft documents: rows appear minutes after the sign-in), Identity Protection's
 * risky users, each user's authentication methods, eligible roles in Privileged Identity
 * Management, and — for the demo and the tests — an attacker who still has a user's password and
 * tries it again right after every revoke. The emulated Entra writes sign-ins here when it issues
 * tokens; the emulated Graph serves and enforces the rest (graph/evidenceRoutes.ts).
 */
import { randomUUID } from 'node:crypto';

/** Licences the tenant holds: sign-in logs through Graph need P1 or P2; Identity Protection and PIM need P2. */
export interface Licences {
  p1: boolean;
  p2: boolean;
}

/** Where a sign-in came from. */
export interface SignInPlace {
  readonly ipAddress: string;
  readonly city: string;
  readonly countryOrRegion: string;
}

/** The emulated company network (TEST-NET-3). */
export const OFFICE: SignInPlace = { ipAddress: '203.0.113.10', city: 'Redmond', countryOrRegion: 'US' };

/** A sign-in log row, as Graph v1.0 returns it, plus when the log starts listing it. */
export interface EmulatedSignIn {
  readonly id: string;
  readonly createdDateTime: string;
  readonly userId: string;
  readonly userPrincipalName: string;
  readonly userDisplayName: string;
  readonly appId: string;
  readonly appDisplayName: string;
  readonly resourceDisplayName: string;
  readonly ipAddress: string;
  readonly clientAppUsed: string;
  readonly isInteractive: boolean;
  readonly correlationId: string;
  readonly conditionalAccessStatus: 'success' | 'failure' | 'notApplied';
  readonly location: { readonly city: string; readonly state: string | null; readonly countryOrRegion: string };
  readonly status: { readonly errorCode: number; readonly failureReason: string | null; readonly additionalDetails: string | null };
  /** Milliseconds since the epoch from which Graph lists it (createdDateTime + the arrival delay). */
  readonly visibleAtInMs: number;
}

/** What a test or the demo says about a sign-in; the rest is filled in. */
export interface SignInInput {
  readonly at: Date;
  readonly appDisplayName?: string;
  readonly appId?: string;
  readonly resourceDisplayName?: string;
  readonly place?: SignInPlace;
  readonly clientAppUsed?: string;
  readonly interactive?: boolean;
  /** 0 (the default) is a success. */
  readonly errorCode?: number;
  readonly failureReason?: string;
  /** Overrides the tenant's arrival delay for this row. */
  readonly arrivalDelayInMs?: number;
}

/** One authentication method of a user, as Graph lists it. */
export interface EmulatedAuthMethod {
  readonly id: string;
  /** e.g. '#microsoft.graph.phoneAuthenticationMethod'. */
  readonly odataType: string;
  /** ISO, or null where Graph leaves it unpopulated (the password). */
  readonly createdDateTime: string | null;
  /** The type's own properties (phoneNumber, phoneType, displayName…). */
  readonly properties: Readonly<Record<string, string | null>>;
}

/** Identity Protection's view of a user. */
export interface RiskyUser {
  riskLevel: 'none' | 'low' | 'medium' | 'high';
  riskState: 'none' | 'atRisk' | 'confirmedCompromised' | 'dismissed' | 'remediated';
  riskDetail: string;
  riskLastUpdatedDateTime: string;
}

/** Someone outside who knows a user's password and tries it again after every revoke. */
export interface Attacker {
  readonly place: SignInPlace;
  readonly appDisplayName: string;
  /** When they learned the password: a reset after this locks them out. */
  readonly knewPasswordAt: string;
}

/** Fixed ids Graph gives phone methods by type (https://learn.microsoft.com/graph/api/resources/phoneauthenticationmethod). */
export const PHONE_METHOD_ID = {
  mobile: '3179e48a-750b-4051-897c-87b9720928f7',
  alternateMobile: 'b6332ec1-7057-4abe-9331-3d72feddfe41',
  office: 'e37fc753-ff3b-4958-9484-eaa9425c82bc',
} as const;
/** The id Graph gives the password method. */
export const PASSWORD_METHOD_ID = '28c10230-6103-485e-b985-444c60001490';

/** The Graph type names of the methods this emulator serves, by the collection each is deleted from. */
export const METHOD_COLLECTIONS: Readonly<Record<string, string>> = {
  phoneMethods: '#microsoft.graph.phoneAuthenticationMethod',
  emailMethods: '#microsoft.graph.emailAuthenticationMethod',
  fido2Methods: '#microsoft.graph.fido2AuthenticationMethod',
  microsoftAuthenticatorMethods: '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod',
  softwareOathMethods: '#microsoft.graph.softwareOathAuthenticationMethod',
  temporaryAccessPassMethods: '#microsoft.graph.temporaryAccessPassAuthenticationMethod',
  windowsHelloForBusinessMethods: '#microsoft.graph.windowsHelloForBusinessAuthenticationMethod',
  passwordMethods: '#microsoft.graph.passwordAuthenticationMethod',
};

/** The user a sign-in is about (the directory's user, structurally). */
interface SignInUser {
  readonly id: string;
  readonly userPrincipalName: string;
  readonly displayName: string;
  readonly accountEnabled: boolean;
  readonly passwordProfile?: { readonly changedAt: string };
}

/** Graph writes createdDateTime to the second, with Z. */
function isoSeconds(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

export class TenantSecurity {
  /** Both on by default: the demo shows every feature. */
  readonly licences: Licences = { p1: true, p2: true };
  /** How long after a sign-in its row appears in the log (default 0: at once). */
  signInArrivalDelayInMs = 0;
  readonly signIns: EmulatedSignIn[] = [];
  /** Authentication methods by user id. */
  readonly methods = new Map<string, EmulatedAuthMethod[]>();
  /** The default multi-factor method by user id: Graph refuses to delete it. */
  readonly defaultMethod = new Map<string, string>();
  /** Eligible (not active) directory role template ids by user id. */
  readonly eligibleRoles = new Map<string, string[]>();
  readonly riskyUsers = new Map<string, RiskyUser>();
  readonly attackers = new Map<string, Attacker>();

  /** Writes a row to the sign-in log. */
  recordSignIn(user: Pick<SignInUser, 'id' | 'userPrincipalName' | 'displayName'>, input: SignInInput): EmulatedSignIn {
    const place = input.place ?? OFFICE;
    const errorCode = input.errorCode ?? 0;
    const row: EmulatedSignIn = {
      id: randomUUID(),
      createdDateTime: isoSeconds(input.at),
      userId: user.id,
      // The log keeps user principal names lower-case.
      userPrincipalName: user.userPrincipalName.toLowerCase(),
      userDisplayName: user.displayName,
      appId: input.appId ?? '00000002-0000-0ff1-ce00-000000000000',
      appDisplayName: input.appDisplayName ?? 'Office 365 Exchange Online',
      resourceDisplayName: input.resourceDisplayName ?? 'Office 365 Exchange Online',
      ipAddress: place.ipAddress,
      clientAppUsed: input.clientAppUsed ?? 'Browser',
      isInteractive: input.interactive ?? true,
      correlationId: randomUUID(),
      conditionalAccessStatus: errorCode === 53003 ? 'failure' : 'notApplied',
      location: { city: place.city, state: null, countryOrRegion: place.countryOrRegion },
      status: {
        errorCode,
        failureReason: errorCode === 0 ? null : (input.failureReason ?? 'Other.'),
        additionalDetails: null,
      },
      visibleAtInMs: input.at.getTime() + (input.arrivalDelayInMs ?? this.signInArrivalDelayInMs),
    };
    this.signIns.push(row);
    return row;
  }

  /** The rows the log lists at `now`, newest first. */
  visibleSignIns(now: Date): EmulatedSignIn[] {
    return this.signIns
      .filter((row) => row.visibleAtInMs <= now.getTime())
      .sort((a, b) => b.createdDateTime.localeCompare(a.createdDateTime));
  }

  /** Adds a method to a user's list (a phone of a type they already have replaces it, as Graph keeps one per type). */
  addMethod(userId: string, method: EmulatedAuthMethod): EmulatedAuthMethod {
    const list = this.methods.get(userId) ?? [];
    this.methods.set(userId, [...list.filter((m) => m.id !== method.id), method]);
    return method;
  }

  /** A user's methods (a copy). */
  methodsOf(userId: string): EmulatedAuthMethod[] {
    return [...(this.methods.get(userId) ?? [])];
  }

  /**
   * Right after a revoke, the attacker (if the user has one) signs in again with the password
   * they know: refused when the account is disabled (50057) or the password was reset after they
   * learned it (50126), otherwise it succeeds — a fresh session the revoke did not prevent.
   */
  attackerTries(user: SignInUser, at: Date): EmulatedSignIn | undefined {
    const attacker = this.attackers.get(user.id);
    if (!attacker) return undefined;
    const reset = user.passwordProfile && Date.parse(user.passwordProfile.changedAt) >= Date.parse(attacker.knewPasswordAt);
    const errorCode = !user.accountEnabled ? 50057 : reset ? 50126 : 0;
    return this.recordSignIn(user, {
      at,
      appDisplayName: attacker.appDisplayName,
      place: attacker.place,
      errorCode,
      failureReason:
        errorCode === 50057
          ? 'The user account is disabled.'
          : errorCode === 50126
            ? 'Error validating credentials due to invalid username or password.'
            : undefined,
    });
  }
}
