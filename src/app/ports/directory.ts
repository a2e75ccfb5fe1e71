/**
 * What the use cases need from the directory (Microsoft Graph), always acting with one
 * person's delegated token. Failures are typed values with a closed set of codes; the
 * adapter maps Graph and Entra errors onto them at its boundary.
 */

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
export type UserKey = { readonly kind: 'objectId'; readonly id: string } | { readonly kind: 'userPrincipalName'; readonly upn: string } | { readonly kind: 'self' };

export type DirectoryFailureCode =
  | 'forbidden'
  | 'not_found'
  | 'bad_request'
  | 'throttled'
  | 'graph_unavailable'
  | 'timeout'
  | 'consent_required'
  | 'interaction_required'
  | 'sign_in_expired'
  | 'token_invalid'
  | 'bot_misconfigured'
  | 'unexpected';

export interface DirectoryFailure {
  readonly code: DirectoryFailureCode;
  readonly status?: number;
  readonly graphRequestId?: string;
  readonly retryAfterInSeconds?: number;
}

export type DirectoryResult<T> = { readonly ok: true; readonly value: T; readonly graphRequestId?: string } | { readonly ok: false; readonly error: DirectoryFailure };

export interface CallOptions {
  /** Epoch ms after which no retry is started and the call gives up as a time-out. */
  readonly deadline?: number;
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
