/**
 * What the use cases need from the directory (Microsoft Graph), always acting with one
 * person's delegated token. Failures are typed values with a closed set of codes; the
 * adapter maps Graph and Entra errors onto them at its boundary.
 */
import type { Deadline } from '../../domain/clock';
import type { RevocationFailureCode } from '../../domain/problems';

export interface UserRecord {
  readonly id: string;
  readonly displayName: string;
  readonly userPrincipalName: string;
  readonly mail?: string;
  readonly jobTitle?: string;
  readonly department?: string;
  readonly accountEnabled: boolean;
  readonly userType: 'Member' | 'Guest';
  /** ISO time; refresh tokens and sessions issued before it are invalid. */
  readonly signInSessionsValidFrom?: string;
}

export interface RoleRecord {
  readonly templateId: string;
  readonly displayName: string;
}

export interface Memberships {
  /** Active directory roles (tenant-wide), as Graph reports them. */
  readonly roles: readonly RoleRecord[];
  /** Member of a role-assignable group: Entra treats the user as privileged. */
  readonly inRoleAssignableGroup: boolean;
}

/** Who a call is about: an object id, a UPN, or the signed-in person themself (/me). */
export type UserKey =
  | { readonly kind: 'objectId'; readonly id: string }
  | { readonly kind: 'userPrincipalName'; readonly upn: string }
  | { readonly kind: 'self' };

/** Why a directory call failed: why a revocation fails, or the bot's own credentials refused (a deployment problem). */
export type DirectoryFailureCode = RevocationFailureCode | 'bot_misconfigured';

export interface DirectoryFailure {
  readonly code: DirectoryFailureCode;
  readonly status?: number;
  readonly graphRequestId?: string;
  readonly retryAfterInSeconds?: number;
}

export type DirectoryResult<T> =
  { readonly ok: true; readonly value: T; readonly graphRequestId?: string } | { readonly ok: false; readonly error: DirectoryFailure };

export interface CallOptions {
  /** When no retry is started any more and the call gives up as a time-out (monotonic: see domain/clock). */
  readonly deadline?: Deadline;
}

/** The directory as seen by one signed-in person. */
export interface DirectoryGateway {
  getUser(key: UserKey, options?: CallOptions): Promise<DirectoryResult<UserRecord>>;
  /** Users whose display name starts with the text; at most `limit` (one more tells "there are more"). */
  findByDisplayName(text: string, limit: number, options?: CallOptions): Promise<DirectoryResult<UserRecord[]>>;
  getMemberships(key: UserKey, options?: CallOptions): Promise<DirectoryResult<Memberships>>;
  revokeSessions(key: UserKey, options?: CallOptions): Promise<DirectoryResult<void>>;
  /** Whether the signed-in person is a member of the group, directly or through nested groups. */
  isMemberOfGroup(groupId: string, options?: CallOptions): Promise<DirectoryResult<boolean>>;
}

// ---------------------------------------------------------------------------------------------
// Bulk: whole groups and departments, Graph JSON batching. A separate interface so
// gateways that only serve single revokes (and their fakes) stay valid; GraphDirectory has both.

/** A group named by object id or by its exact display name. */
export type GroupRef = { readonly kind: 'objectId'; readonly id: string } | { readonly kind: 'displayName'; readonly name: string };

export interface ListCallOptions extends CallOptions {
  /** Page size asked of Graph ($top); 999 (Graph's maximum for these lists) when absent. */
  readonly pageSize?: number;
}

/** Users found for a bulk source: at most `limit`; `truncated` when there were more. */
export interface UserListing {
  readonly users: UserRecord[];
  readonly truncated: boolean;
  /** How many users the source holds in all, when known (asked for only when truncated; eventually consistent). */
  readonly totalCount?: number;
}

export interface GroupUserListing extends UserListing {
  readonly group: { readonly id: string; readonly displayName: string };
}

/** One request's answer inside a $batch: success (with its request-id if Graph gave one) or a failure. */
export type ItemOutcome =
  | { readonly ok: true; readonly status: number; readonly graphRequestId?: string }
  | { readonly ok: false; readonly error: DirectoryFailure };

/** The directory for bulk runs, as seen by one signed-in person. */
export interface BulkDirectoryGateway extends DirectoryGateway {
  /**
   * Users of a group, nested groups expanded (users only), following pages until done or until
   * `limit + 1` users were seen. A name that matches no group → not_found; several → bad_request.
   */
  listGroupUsers(group: GroupRef, limit: number, options?: ListCallOptions): Promise<DirectoryResult<GroupUserListing>>;
  /** Users whose department is exactly `department` (Graph's eq), paged like listGroupUsers. */
  listDepartmentUsers(department: string, limit: number, options?: ListCallOptions): Promise<DirectoryResult<UserListing>>;
  /** Memberships of many users (for their tiers), per user; an outer failure fails the whole call. */
  getMembershipsMany(
    ids: readonly string[],
    options?: ListCallOptions & { readonly concurrency?: number },
  ): Promise<DirectoryResult<Map<string, DirectoryResult<Memberships>>>>;
  /**
   * Revokes up to 20 users' sessions in ONE Graph request ($batch). Per user: ok, or a failure
   * (throttled with its own retryAfterInSeconds, forbidden, not_found, graph_unavailable, timeout…).
   * An outer failure (the batch itself refused or lost) fails the whole call: then whether any
   * of the revokes happened is unknown.
   */
  revokeMany(ids: readonly string[], options?: CallOptions): Promise<DirectoryResult<Map<string, ItemOutcome>>>;
}

/** Whether this gateway can serve bulk runs. */
export function supportsBulk(gateway: DirectoryGateway): gateway is BulkDirectoryGateway {
  const candidate = gateway as Partial<BulkDirectoryGateway>;
  return (
    typeof candidate.revokeMany === 'function' &&
    typeof candidate.listGroupUsers === 'function' &&
    typeof candidate.listDepartmentUsers === 'function' &&
    typeof candidate.getMembershipsMany === 'function'
  );
}
