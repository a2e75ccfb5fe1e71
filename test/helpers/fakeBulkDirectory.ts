/**
 * A hand-written BulkDirectoryGateway for the bulk engine's tests: FakeDirectory plus groups,
 * departments and batched revokes that really move each user's signInSessionsValidFrom (so
 * read-backs tell the truth), with scripted per-user and per-batch failures and a call log.
 */
import type {
  BulkDirectoryGateway,
  CallOptions,
  DirectoryFailure,
  DirectoryResult,
  GroupRef,
  GroupUserListing,
  ItemOutcome,
  ListCallOptions,
  Memberships,
  UserListing,
  UserRecord,
} from '../../src/app/ports/directory';
import { FakeDirectory } from './fakeDirectory';
import type { Clock } from '../../src/domain/clock';
import { describeFilter, type SelectionFilter } from '../../src/domain/selectionFilter';

export interface FakeGroup {
  readonly id: string;
  readonly displayName: string;
  readonly memberIds: string[];
}

export class FakeBulkDirectory extends FakeDirectory implements BulkDirectoryGateway {
  readonly groups: FakeGroup[] = [];
  /** Ids of every revokeMany call, in order. */
  readonly batches: string[][] = [];
  /** Every revoke that took effect, in order (a user twice here was revoked twice). */
  readonly revocations: string[] = [];
  /** Per user, failures for their next revoke attempts (one per attempt, then success). */
  readonly itemFailures = new Map<string, DirectoryFailure[]>();
  /** Users Entra refuses to let this person revoke (403 every time). */
  readonly forbidden = new Set<string>();
  /** The next revokeMany calls fail as a whole with these (once each), revoking nothing. */
  batchFailures: DirectoryFailure[] = [];
  /** The next revokeMany calls revoke everything but then lose the answer (time-out), once each. */
  lostAnswers = 0;
  /** The next getMembershipsMany call fails as a whole with this (once). */
  membershipsFailure: DirectoryFailure | undefined;
  /** Runs before each revokeMany answers (after the revokes took effect): delays, hangs, assertions. */
  beforeAnswer: ((ids: readonly string[], call: number) => Promise<void>) | undefined;
  /** Runs before each revokeMany does anything: return false to hang for ever without revoking (a "crash" before sending). */
  beforeSend: ((ids: readonly string[], call: number) => boolean) | undefined;
  inFlight = 0;
  maxInFlight = 0;

  constructor(
    selfId: string,
    private readonly clock: Clock,
  ) {
    super(selfId);
  }

  addGroup(group: FakeGroup): FakeGroup {
    this.groups.push(group);
    return group;
  }

  /** How many times a user was really revoked. */
  revokedCount(id: string): number {
    return this.revocations.filter((r) => r === id).length;
  }

  async listGroupUsers(group: GroupRef, limit: number, _options?: ListCallOptions): Promise<DirectoryResult<GroupUserListing>> {
    this.calls.push({ method: 'listGroupUsers', text: group.kind === 'objectId' ? group.id : group.name });
    const found =
      group.kind === 'objectId'
        ? this.groups.filter((g) => g.id === group.id.toLowerCase())
        : this.groups.filter((g) => g.displayName.toLowerCase() === group.name.toLowerCase());
    if (found.length === 0) return { ok: false, error: { code: 'not_found', status: 404 } };
    if (found.length > 1) return { ok: false, error: { code: 'bad_request', status: 300 } };
    const g = found[0]!;
    const users = g.memberIds.map((id) => this.users.find((u) => u.id === id)).filter((u): u is UserRecord => u !== undefined);
    return { ok: true, value: { group: { id: g.id, displayName: g.displayName }, ...this.cut(users, limit) } };
  }

  async listDepartmentUsers(department: string, limit: number): Promise<DirectoryResult<UserListing>> {
    this.calls.push({ method: 'listDepartmentUsers', text: department });
    return {
      ok: true,
      value: this.cut(
        this.users.filter((u) => u.department?.toLowerCase() === department.toLowerCase()),
        limit,
      ),
    };
  }

  /** Only department conditions (eq, ne) joined by and/or are modelled here; other conditions match nobody. */
  async listUsersWhere(filter: SelectionFilter, limit: number): Promise<DirectoryResult<UserListing>> {
    this.calls.push({ method: 'listUsersWhere', text: describeFilter(filter) });
    const matches = (node: SelectionFilter, user: UserRecord): boolean => {
      if (node.kind === 'and') return matches(node.left, user) && matches(node.right, user);
      if (node.kind === 'or') return matches(node.left, user) || matches(node.right, user);
      if (node.kind !== 'compare' || node.property !== 'department') return false;
      const same = user.department?.toLowerCase() === node.value.toLowerCase();
      return node.op === 'eq' ? same : !same;
    };
    return {
      ok: true,
      value: this.cut(
        this.users.filter((u) => matches(filter, u)),
        limit,
      ),
    };
  }

  async getMembershipsMany(ids: readonly string[]): Promise<DirectoryResult<Map<string, DirectoryResult<Memberships>>>> {
    this.calls.push({ method: 'getMembershipsMany', text: String(ids.length) });
    const failure = this.membershipsFailure;
    this.membershipsFailure = undefined;
    if (failure) return { ok: false, error: failure };
    const result = new Map<string, DirectoryResult<Memberships>>();
    for (const id of ids) {
      const m = this.memberships.get(id);
      result.set(id, m ? { ok: true, value: m } : { ok: false, error: { code: 'not_found' } });
    }
    return { ok: true, value: result };
  }

  async revokeMany(ids: readonly string[], _options?: CallOptions): Promise<DirectoryResult<Map<string, ItemOutcome>>> {
    const call = this.batches.length;
    this.batches.push([...ids]);
    if (this.beforeSend && !this.beforeSend(ids, call)) return new Promise(() => undefined);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const outer = this.batchFailures.shift();
      if (outer) return { ok: false, error: outer };
      const outcomes = new Map<string, ItemOutcome>();
      for (const id of ids) outcomes.set(id, this.revokeOne(id));
      await this.beforeAnswer?.(ids, call);
      if (this.lostAnswers > 0) {
        this.lostAnswers -= 1;
        return { ok: false, error: { code: 'timeout' } };
      }
      return { ok: true, value: outcomes, graphRequestId: `batch-${call}` };
    } finally {
      this.inFlight -= 1;
    }
  }

  private revokeOne(id: string): ItemOutcome {
    const index = this.users.findIndex((u) => u.id === id);
    if (index < 0) return { ok: false, error: { code: 'not_found', status: 404 } };
    if (this.forbidden.has(id))
      return { ok: false, error: { code: 'forbidden', status: 403, graphRequestId: `req-403-${id.slice(0, 4)}` } };
    const failure = this.itemFailures.get(id)?.shift();
    if (failure) return { ok: false, error: failure };
    this.revocations.push(id);
    // Graph stamps whole seconds.
    const stamp = `${this.clock.now().toISOString().slice(0, 19)}Z`;
    this.users[index] = { ...this.users[index]!, signInSessionsValidFrom: stamp };
    return { ok: true, status: 200, graphRequestId: `req-ok-${id.slice(0, 4)}` };
  }

  private cut(users: UserRecord[], limit: number): UserListing {
    return users.length > limit ? { users: users.slice(0, limit), truncated: true, totalCount: users.length } : { users, truncated: false };
  }
}
