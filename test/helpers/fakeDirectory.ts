/** A hand-written DirectoryGateway for use-case tests: canned users and roles, a call log, scripted failures. */
import type {
  CallOptions,
  DirectoryFailure,
  DirectoryGateway,
  DirectoryResult,
  Memberships,
  UserKey,
  UserRecord,
} from '../../src/app/ports/directory';

export class FakeDirectory implements DirectoryGateway {
  readonly calls: { method: string; key?: UserKey; text?: string }[] = [];
  readonly users: UserRecord[] = [];
  readonly memberships = new Map<string, Memberships>();
  /** The next revoke answers this failure (once each). */
  revokeFailures: DirectoryFailure[] = [];
  /** Delay each revoke by this much (to let concurrent confirmations overlap). */
  revokeDelayInMs = 0;
  /** Groups the signed-in person is in (transitively), by id. */
  readonly groupIds = new Set<string>();
  /** The next group-membership check answers this failure (once). */
  memberOfFailure: DirectoryFailure | undefined;
  /** Whose /me this directory answers for. */
  constructor(readonly selfId: string) {}

  add(
    user: Partial<UserRecord> & { id: string; displayName: string; userPrincipalName: string },
    memberships: Memberships = { roles: [], inRoleAssignableGroup: false },
  ): UserRecord {
    const record: UserRecord = { accountEnabled: true, userType: 'Member', ...user };
    this.users.push(record);
    this.memberships.set(record.id, memberships);
    return record;
  }

  count(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  private find(key: UserKey): UserRecord | undefined {
    if (key.kind === 'self') return this.users.find((u) => u.id === this.selfId);
    if (key.kind === 'objectId') return this.users.find((u) => u.id === key.id);
    return this.users.find((u) => u.userPrincipalName.toLowerCase() === key.upn.toLowerCase());
  }

  async getUser(key: UserKey, _options?: CallOptions): Promise<DirectoryResult<UserRecord>> {
    this.calls.push({ method: 'getUser', key });
    const user = this.find(key);
    return user ? { ok: true, value: user } : { ok: false, error: { code: 'not_found', status: 404, graphRequestId: 'req-404' } };
  }

  async findByDisplayName(text: string, limit: number): Promise<DirectoryResult<UserRecord[]>> {
    this.calls.push({ method: 'findByDisplayName', text });
    return { ok: true, value: this.users.filter((u) => u.displayName.toLowerCase().startsWith(text.toLowerCase())).slice(0, limit) };
  }

  async getMemberships(key: UserKey): Promise<DirectoryResult<Memberships>> {
    this.calls.push({ method: 'getMemberships', key });
    const user = this.find(key);
    return user
      ? { ok: true, value: this.memberships.get(user.id) ?? { roles: [], inRoleAssignableGroup: false } }
      : { ok: false, error: { code: 'not_found' } };
  }

  async isMemberOfGroup(groupId: string): Promise<DirectoryResult<boolean>> {
    this.calls.push({ method: 'isMemberOfGroup', text: groupId });
    const failure = this.memberOfFailure;
    this.memberOfFailure = undefined;
    if (failure) return { ok: false, error: failure };
    return { ok: true, value: this.groupIds.has(groupId.toLowerCase()) };
  }

  async revokeSessions(key: UserKey): Promise<DirectoryResult<void>> {
    this.calls.push({ method: 'revokeSessions', key });
    if (this.revokeDelayInMs) await new Promise((r) => setTimeout(r, this.revokeDelayInMs));
    const failure = this.revokeFailures.shift();
    if (failure) return { ok: false, error: failure };
    return { ok: true, value: undefined, graphRequestId: 'req-ok' };
  }
}
