/**
 * The bulk half of the Graph adapter: members of a group or department, memberships of
 * many users, and revokes in JSON batches (https://learn.microsoft.com/graph/json-batching).
 * GraphDirectory delegates here; it shares that directory's Graph client (so the same delegated
 * token and middleware chain). Names in $filter are built by src/domain/odata.ts only.
 *
 * Graph cost, per call (identity-service resource units,
 * https://learn.microsoft.com/graph/throttling-limits#identity-and-access-service-limits):
 * - listGroupUsers: 1 GET /groups?$filter (by name) or GET /groups/{id}, then one
 *   GET /groups/{id}/transitiveMembers/microsoft.graph.user page per 999 users (5 RU each); when the
 *   group holds more than `limit` users, one more GET with $count=true (ConsistencyLevel: eventual)
 *   for the total. Needs GroupMember.Read.All (+ User.Read.All for full member profiles).
 * - listDepartmentUsers: one GET /users?$filter=department eq '…' page per 999 users (2 RU each),
 *   plus the $count request when truncated. Needs User.Read.All.
 * - getMembershipsMany: one POST /$batch per 20 users, each step a GET
 *   /users/{id}/transitiveMemberOf (2 RU each; the batch counts as its steps). 1,000 users = 50
 *   HTTP requests, at most `concurrency` (4) at a time; throttled or 5xx steps are asked again
 *   (at most 3 rounds, after the largest Retry-After). Needs User.Read.All.
 * - revokeMany: exactly one POST /$batch of ≤ 20 revokeSignInSessions (1 RU + 1 write each).
 *
 * Outer retries: the client's RetryHandler would re-send a whole $batch on 429, 503 and 504. Here
 * it may on 429 and 503 (Graph refused the batch before running any step) while the wait fits
 * the deadline, but never on 504: a gateway time-out does not say whether the steps ran, and a
 * blind re-send of revokes is exactly what the bulk engine must not do (it verifies instead).
 */
import { RetryHandlerOptions, type Client, type GraphRequest } from '@microsoft/microsoft-graph-client';
import { departmentFilter, groupNameFilter, userPath } from '../domain/odata';
import { deadlineIn, fitsBefore, msUntil, type Deadline } from '../domain/clock';
import type {
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
} from '../app/ports/directory';
import { postBatch } from './graphBatch';
import {
  MAX_BATCH_REQUESTS,
  readMemberships,
  revokeOutcome,
  stepFailure,
  type BatchStepAnswer,
  type BatchStepRequest,
} from './batchAnswers';
import { failureFromError } from './graphErrors';
import { toUserRecords } from './graphUsers';
import { hasForgedId, NOT_AN_OBJECT_ID, objectIdOf } from './graphIds';
import { isObjectId } from '../domain/targetReference';

/** What a bulk listing reads of each user (toUserRecord needs id and userPrincipalName). */
export const MEMBER_SELECT = 'id,displayName,userPrincipalName,accountEnabled,userType,department';
const MEMBERSHIP_QUERY = '$select=id,displayName,roleTemplateId,isAssignableToRole&$top=999';
const MAX_PAGE_SIZE = 999;
/** A guard against a nextLink that never ends. */
const MAX_PAGES = 1000;

/** `{ code: 'bad_request', status: 300 }`: several groups have the display name asked for (use the group id). */
export const SEVERAL_GROUPS: DirectoryFailure = Object.freeze({ code: 'bad_request', status: 300 });

interface Page {
  value?: unknown;
  '@odata.nextLink'?: unknown;
  '@odata.count'?: unknown;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

export class GraphBulk {
  constructor(
    private readonly client: Client,
    private readonly timeoutInMs: number,
  ) {}

  async listGroupUsers(group: GroupRef, limit: number, options?: ListCallOptions): Promise<DirectoryResult<GroupUserListing>> {
    return this.run(options, async (req) => {
      const found = await this.resolveGroup(req, group);
      if (!found.ok) return found;
      const path = `/groups/${found.value.id}/transitiveMembers/microsoft.graph.user`;
      const listing = await this.collect(req, req(path).select(MEMBER_SELECT).top(pageSize(options)), limit, () => req(path).select('id'));
      return listing.ok ? { ok: true, value: { group: found.value, ...listing.value } } : listing;
    });
  }

  async listDepartmentUsers(department: string, limit: number, options?: ListCallOptions): Promise<DirectoryResult<UserListing>> {
    const filter = departmentFilter(department);
    return this.run(options, async (req) => {
      return this.collect(req, req('/users').filter(filter).select(MEMBER_SELECT).top(pageSize(options)), limit, () =>
        req('/users').filter(filter).select('id'),
      );
    });
  }

  async getMembershipsMany(
    ids: readonly string[],
    options?: ListCallOptions & { readonly concurrency?: number },
  ): Promise<DirectoryResult<Map<string, DirectoryResult<Memberships>>>> {
    const unique = [...new Set(ids.map((id) => id.toLowerCase()))];
    const bad = unique.find((id) => !isObjectId(id));
    if (bad !== undefined) return { ok: false, error: { code: 'bad_request' } };
    const deadline = options?.deadline ?? deadlineIn(3 * this.timeoutInMs);
    const result = new Map<string, DirectoryResult<Memberships>>();
    let todo = unique;
    for (let round = 0; round < 3 && todo.length > 0; round += 1) {
      const again: string[] = [];
      let waitInSeconds = 0;
      const chunks = chunk(todo, MAX_BATCH_REQUESTS);
      let failure: DirectoryFailure | undefined;
      await eachLimited(chunks, options?.concurrency ?? 4, async (part) => {
        if (failure) return;
        const requests = part.map((id, i): BatchStepRequest => ({
          id: String(i + 1),
          method: 'GET',
          url: `${userPath({ kind: 'objectId', id })}/transitiveMemberOf?${MEMBERSHIP_QUERY}`,
        }));
        const answer = await this.postBatch(requests, deadline);
        if (!answer.ok) {
          failure = answer.error;
          return;
        }
        part.forEach((id, i) => {
          const step = answer.value.get(String(i + 1));
          if (step && step.status >= 200 && step.status <= 299) {
            result.set(id, { ok: true, value: readMemberships(step.body) });
            return;
          }
          const error = stepFailure(step);
          result.set(id, { ok: false, error });
          if (error.code === 'throttled' || error.code === 'graph_unavailable') {
            again.push(id);
            waitInSeconds = Math.max(waitInSeconds, error.retryAfterInSeconds ?? 1);
          }
        });
      });
      if (failure) return { ok: false, error: failure };
      if (again.length === 0 || !fitsBefore(deadline, waitInSeconds * 1000)) break;
      await sleep(waitInSeconds * 1000);
      todo = again;
    }
    return { ok: true, value: result };
  }

  async revokeMany(ids: readonly string[], options?: CallOptions): Promise<DirectoryResult<Map<string, ItemOutcome>>> {
    const wanted = ids.map((id) => id.toLowerCase());
    if (wanted.length === 0) return { ok: true, value: new Map() };
    // Deny by default: only object ids, never twice in one batch, never more than Graph takes.
    if (wanted.length > MAX_BATCH_REQUESTS || new Set(wanted).size !== wanted.length || wanted.some((id) => !isObjectId(id))) {
      return { ok: false, error: { code: 'bad_request' } };
    }
    const requests = wanted.map((id, i): BatchStepRequest => ({
      id: String(i + 1),
      method: 'POST',
      url: `${userPath({ kind: 'objectId', id })}/revokeSignInSessions`,
      // Graph (and the emulator) refuse a write step without a body and its Content-Type.
      headers: { 'Content-Type': 'application/json' },
      body: {},
    }));
    const answer = await this.postBatch(requests, options?.deadline ?? deadlineIn(3 * this.timeoutInMs));
    if (!answer.ok) return answer;
    const outcomes = new Map<string, ItemOutcome>();
    wanted.forEach((id, i) => outcomes.set(id, revokeOutcome(answer.value.get(String(i + 1)))));
    return { ok: true, value: outcomes, ...(answer.graphRequestId ? { graphRequestId: answer.graphRequestId } : {}) };
  }

  /** One POST /$batch (src/graph/graphBatch.ts); see the module comment for its retries. */
  private postBatch(requests: readonly BatchStepRequest[], deadline: Deadline): Promise<DirectoryResult<Map<string, BatchStepAnswer>>> {
    return postBatch(this.client, this.timeoutInMs, requests, deadline);
  }

  /**
   * A group by id (GET /groups/{id}) or by exact display name (several → SEVERAL_GROUPS unless one
   * matches case-sensitively). The id Graph answers with becomes the members path: only an object id will do.
   */
  private async resolveGroup(req: Requester, group: GroupRef): Promise<DirectoryResult<{ id: string; displayName: string }>> {
    if (group.kind === 'objectId') {
      if (!isObjectId(group.id)) return { ok: false, error: { code: 'bad_request' } };
      const raw = (await req(`/groups/${group.id.toLowerCase()}`).select('id,displayName').get()) as Record<string, unknown>;
      const id = objectIdOf(raw);
      return id ? { ok: true, value: { id, displayName: str(raw.displayName) ?? id } } : { ok: false, error: NOT_AN_OBJECT_ID };
    }
    const page = (await req('/groups').filter(groupNameFilter(group.name)).select('id,displayName').top(10).get()) as Page;
    const items: unknown[] = Array.isArray(page.value) ? page.value : [];
    if (items.some(hasForgedId)) return { ok: false, error: NOT_AN_OBJECT_ID };
    const found = items
      .map((g) => ({ id: objectIdOf(g), displayName: str((g as { displayName?: unknown }).displayName) ?? '' }))
      .filter((g): g is { id: string; displayName: string } => g.id !== undefined);
    const [first] = found;
    if (first === undefined) return { ok: false, error: { code: 'not_found', status: 404 } };
    if (found.length === 1) return { ok: true, value: first };
    // Graph's eq is case-insensitive; an exact match among several still identifies one group.
    const exact = found.filter((g) => g.displayName === group.name);
    const [only] = exact;
    return exact.length === 1 && only ? { ok: true, value: only } : { ok: false, error: SEVERAL_GROUPS };
  }

  /**
   * Follows @odata.nextLink until the end or until more than `limit` users were seen; then asks for
   * the total. A page naming an id that is not an object id fails the listing (NOT_AN_OBJECT_ID).
   */
  private async collect(
    req: Requester,
    first: GraphRequest,
    limit: number,
    countQuery: () => GraphRequest,
  ): Promise<DirectoryResult<UserListing>> {
    const users = new Map<string, UserRecord>();
    let page = (await first.get()) as Page;
    for (let pages = 1; ; pages += 1) {
      const read = toUserRecords(page.value);
      if (!read.ok) return read;
      for (const user of read.value) users.set(user.id, user);
      if (users.size > limit) {
        return {
          ok: true,
          value: { users: [...users.values()].slice(0, Math.max(0, limit)), truncated: true, ...(await this.total(countQuery)) },
        };
      }
      const next = str(page['@odata.nextLink']);
      if (!next || pages >= MAX_PAGES) break;
      page = (await req(next).get()) as Page;
    }
    return { ok: true, value: { users: [...users.values()], truncated: false } };
  }

  /** The source's size, for "4,213 users; the limit is 1,000". Best effort: a failure leaves it unknown. */
  private async total(countQuery: () => GraphRequest): Promise<{ totalCount?: number }> {
    try {
      const page = (await countQuery().header('ConsistencyLevel', 'eventual').count(true).top(1).get()) as Page;
      return typeof page['@odata.count'] === 'number' ? { totalCount: page['@odata.count'] } : {};
    } catch {
      return {};
    }
  }

  /** Runs reads with a deadline, like GraphDirectory.call: retries only while the wait fits. */
  private async run<T>(
    options: CallOptions | undefined,
    body: (req: Requester) => Promise<DirectoryResult<T>>,
  ): Promise<DirectoryResult<T>> {
    const deadline = options?.deadline ?? deadlineIn(3 * this.timeoutInMs);
    const retry = new RetryHandlerOptions(1, 3, (_delay, _attempt, _request, _options, response) => {
      const after = Number(response.headers.get('retry-after') ?? '1');
      return fitsBefore(deadline, (Number.isFinite(after) ? after : 1) * 1000);
    });
    const req: Requester = (path) =>
      this.client
        .api(path)
        .middlewareOptions([retry])
        .option('signal', AbortSignal.timeout(Math.max(1, Math.min(this.timeoutInMs, msUntil(deadline)))));
    try {
      return await body(req);
    } catch (error) {
      return { ok: false, error: failureFromError(error) };
    }
  }
}

type Requester = (path: string) => GraphRequest;

function pageSize(options: ListCallOptions | undefined): number {
  const size = options?.pageSize ?? MAX_PAGE_SIZE;
  return Number.isInteger(size) && size >= 1 ? Math.min(size, MAX_PAGE_SIZE) : MAX_PAGE_SIZE;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

/** Runs `work` over `items` with at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = items.values();
  const worker = async (): Promise<void> => {
    for (const item of queue) await work(item);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
