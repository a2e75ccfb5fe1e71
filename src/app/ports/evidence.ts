/**
 * What the evidence features need from Microsoft Graph, with one person's delegated token, each
 * on its own on-behalf-of scope set (a tenant without consent to one set loses only that
 * feature): the sign-in logs (AUDIT_SCOPES), the target's authentication methods
 * (AUTH_METHOD_SCOPES), the person's own eligible roles in Privileged Identity Management
 * (PIM_SCOPES) and the users Identity Protection has at risk (RISK_SCOPES). Failures are DirectoryFailure values, as everywhere.
 */
import type { AuthMethod } from '../../domain/authMethods';
import type { SignInEvent } from '../../domain/signInEvidence';
import type { CallOptions, DirectoryResult, RoleRecord } from './directory';

/** Sign-ins read for one user: newest first; `truncated` when the log held more than was read. */
export interface SignInListing {
  readonly events: readonly SignInEvent[];
  readonly truncated: boolean;
}

/** One user's sign-ins to read: since when. */
export interface SignInQuery {
  readonly userId: string;
  readonly since: Date;
}

/** A user Identity Protection marks at risk, as the `risky` inbox shows them. */
export interface RiskyUserRecord {
  readonly id: string;
  readonly displayName: string;
  readonly userPrincipalName: string;
  readonly riskLevel: 'low' | 'medium' | 'high' | 'hidden' | 'none' | 'unknownFutureValue';
  readonly riskState: string;
  readonly riskLastUpdatedDateTime?: string;
}

/** One user's risk in Identity Protection. */
export interface UserRisk {
  readonly level: string;
  readonly state: string;
  readonly updatedAt?: string;
}

/** Users at risk, as read: `truncated` when Identity Protection holds more than were read. */
export interface RiskyUserListing {
  readonly users: readonly RiskyUserRecord[];
  readonly truncated: boolean;
}

export interface EvidenceGateway {
  /** GET /identityProtection/riskyUsers/{id}: the user's risk, or undefined when Identity Protection has no record of them (RISK_SCOPES). */
  riskOf(userId: string, options?: CallOptions): Promise<DirectoryResult<UserRisk | undefined>>;
  /** GET /identityProtection/riskyUsers?$filter=riskState eq 'atRisk', following pages up to `maxUsers` (RISK_SCOPES). */
  listRiskyUsers(options?: CallOptions & { readonly maxUsers?: number }): Promise<DirectoryResult<RiskyUserListing>>;
  /** GET /auditLogs/signIns for one user since `since`, following pages up to `maxEvents`. */
  listSignIns(query: SignInQuery, options?: CallOptions & { readonly maxEvents?: number }): Promise<DirectoryResult<SignInListing>>;
  /**
   * The same for several users in JSON batches of at most `batchSize` requests, one batch at a
   * time (the sign-in log's quota is per app and tenant). Per user: a listing or a failure; users
   * not read before the deadline are absent from the map.
   */
  listSignInsMany(
    queries: readonly SignInQuery[],
    options?: CallOptions & { readonly batchSize?: number; readonly maxEvents?: number },
  ): Promise<Map<string, DirectoryResult<SignInListing>>>;
  /** GET /users/{id}/authentication/methods. */
  listAuthenticationMethods(userId: string, options?: CallOptions): Promise<DirectoryResult<AuthMethod[]>>;
  /** The signed-in person's eligible directory roles (tenant-wide), from Privileged Identity Management. */
  myEligibleRoles(options?: CallOptions): Promise<DirectoryResult<RoleRecord[]>>;
}
