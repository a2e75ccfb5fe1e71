/**
 * The Graph adapter: the DirectoryGateway over @microsoft/microsoft-graph-client, acting with
 * one person's delegated (on-behalf-of) credential. User text reaches URLs only through
 * src/domain/odata.ts. Graph and Entra errors become DirectoryFailure codes here and nowhere else.
 */
import type { TokenCredential } from '@azure/identity';
import { type Client, GraphError, ResponseType } from '@microsoft/microsoft-graph-client';
import { isRecord } from '../domain/json';
import { displayNameFilter, userPath } from '../domain/odata';
import type { CallOptions, DirectoryGateway, DirectoryResult, Memberships, RoleRecord, UserKey, UserRecord } from '../app/ports/directory';
import { failureFromResponse } from './graphErrors';
import { NOT_AN_OBJECT_ID } from './graphIds';
import { toUserRecord, toUserRecords } from './graphUsers';
import { createGraphClient, graphCall, type GraphRequestFor } from './graphCall';
import type { BulkDirectoryGateway, GroupRef, GroupUserListing, ItemOutcome, ListCallOptions, UserListing } from '../app/ports/directory';
import { GraphBulk } from './graphBulk';
import type { Telemetry } from '../observability/telemetry';

export const USER_SELECT =
  'id,displayName,userPrincipalName,mail,jobTitle,department,accountEnabled,userType,signInSessionsValidFromDateTime';

export interface GraphDirectoryOptions {
  /** Graph root without version, e.g. https://graph.microsoft.com. */
  readonly graphEndpoint: string;
  /** Fully qualified delegated scopes. */
  readonly scopes: readonly string[];
  /**
   * Extra scopes for reading group members (bulk runs by group), asked for in their own
   * on-behalf-of exchange: a tenant that has not consented to them loses only group runs.
   */
  readonly groupScopes?: readonly string[];
  /** Per-request time-out. */
  readonly requestTimeoutInMs?: number;
  /** Each Graph request as a span and a measurement (src/graph/graphTelemetry.ts); none when absent. */
  readonly telemetry?: Telemetry;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

function pathOf(key: UserKey): string {
  return key.kind === 'self' ? '/me' : userPath(key);
}

export class GraphDirectory implements DirectoryGateway, BulkDirectoryGateway {
  private readonly client: Client;
  private readonly timeoutInMs: number;

  constructor(credential: TokenCredential, options: GraphDirectoryOptions) {
    this.timeoutInMs = options.requestTimeoutInMs ?? 10_000;
    this.client = createGraphClient(credential, options.graphEndpoint, options.scopes, options.telemetry);
    const groupScopes = options.groupScopes ?? [];
    this.groupClient =
      groupScopes.length > 0
        ? createGraphClient(credential, options.graphEndpoint, [...options.scopes, ...groupScopes], options.telemetry)
        : this.client;
  }

  /** The client for group reads: its own token when group scopes are configured. */
  private readonly groupClient: Client;

  async getUser(key: UserKey, options?: CallOptions): Promise<DirectoryResult<UserRecord>> {
    return this.call(options, async (req) => {
      const raw: unknown = await req(pathOf(key)).select(USER_SELECT).get();
      const user = toUserRecord(raw);
      return user ? { ok: true, value: user } : { ok: false, error: NOT_AN_OBJECT_ID };
    });
  }

  async findByDisplayName(text: string, limit: number, options?: CallOptions): Promise<DirectoryResult<UserRecord[]>> {
    return this.call(options, async (req) => {
      const raw = (await req('/users').filter(displayNameFilter(text)).select(USER_SELECT).top(limit).get()) as { value?: unknown };
      return toUserRecords(raw.value);
    });
  }

  async getMemberships(key: UserKey, options?: CallOptions): Promise<DirectoryResult<Memberships>> {
    return this.call(options, async (req) => {
      const raw = (await req(`${pathOf(key)}/transitiveMemberOf`)
        .select('id,displayName,roleTemplateId,isAssignableToRole')
        .top(999)
        .get()) as { value?: unknown };
      const items: unknown[] = Array.isArray(raw.value) ? raw.value : [];
      const roles: RoleRecord[] = [];
      let inRoleAssignableGroup = false;
      for (const item of items) {
        if (!isRecord(item)) continue;
        const type = str(item['@odata.type']);
        if (type === '#microsoft.graph.directoryRole' && str(item.roleTemplateId)) {
          roles.push({ templateId: String(item.roleTemplateId).toLowerCase(), displayName: str(item.displayName) ?? 'Unnamed role' });
        } else if (type === '#microsoft.graph.group' && item.isAssignableToRole === true) {
          inRoleAssignableGroup = true;
        }
      }
      return { ok: true, value: { roles, inRoleAssignableGroup } };
    });
  }

  async revokeSessions(key: UserKey, options?: CallOptions): Promise<DirectoryResult<void>> {
    return this.call(options, async (req) => {
      // Any 2xx is success: Graph documents 200 {value:true} but once meant 204; never read the body.
      // The raw response carries Graph's request-id, which the result card shows for support.
      const response = (await req(`${pathOf(key)}/revokeSignInSessions`)
        .responseType(ResponseType.RAW)
        .post({})) as Response;
      const graphRequestId = response.headers.get('request-id') ?? undefined;
      if (response.ok) return { ok: true, value: undefined, graphRequestId };
      return { ok: false, error: failureFromResponse(response.status, response.headers) };
    });
  }

  /**
   * The signed-in person's transitive group memberships (GET /me/transitiveMemberOf/microsoft.graph.group,
   * ids only), paged through @odata.nextLink, searched for the group. Needs only the person's own
   * delegated token (User.Read suffices for their own memberships); a $filter on id would need
   * Graph's advanced queries (ConsistencyLevel: eventual), so the pages are read instead.
   */
  async isMemberOfGroup(groupId: string, options?: CallOptions): Promise<DirectoryResult<boolean>> {
    const wanted = groupId.toLowerCase();
    return this.call(options, async (req) => {
      let page = (await req('/me/transitiveMemberOf/microsoft.graph.group').select('id').top(999).get()) as {
        value?: unknown;
        '@odata.nextLink'?: unknown;
      };
      for (let pages = 1; ; pages += 1) {
        const items = Array.isArray(page.value) ? (page.value as unknown[]) : [];
        if (items.some((item) => typeof item === 'object' && item !== null && str((item as { id?: unknown }).id)?.toLowerCase() === wanted))
          return { ok: true, value: true };
        const next = str(page['@odata.nextLink']);
        // Deny by default: a membership list longer than 50 pages is not searched further.
        if (!next || pages >= 50) return { ok: true, value: false };
        page = (await req(next).get()) as typeof page;
      }
    });
  }

  // Bulk runs: src/graph/graphBulk.ts, on this directory's client and token.
  private bulkOperations: GraphBulk | undefined;

  private groupOperations: GraphBulk | undefined;

  private get bulk(): GraphBulk {
    this.bulkOperations ??= new GraphBulk(this.client, this.timeoutInMs);
    return this.bulkOperations;
  }

  listGroupUsers(group: GroupRef, limit: number, options?: ListCallOptions): Promise<DirectoryResult<GroupUserListing>> {
    this.groupOperations ??= this.groupClient === this.client ? this.bulk : new GraphBulk(this.groupClient, this.timeoutInMs);
    return this.groupOperations.listGroupUsers(group, limit, options);
  }

  listDepartmentUsers(department: string, limit: number, options?: ListCallOptions): Promise<DirectoryResult<UserListing>> {
    return this.bulk.listDepartmentUsers(department, limit, options);
  }

  getMembershipsMany(
    ids: readonly string[],
    options?: ListCallOptions & { readonly concurrency?: number },
  ): Promise<DirectoryResult<Map<string, DirectoryResult<Memberships>>>> {
    return this.bulk.getMembershipsMany(ids, options);
  }

  revokeMany(ids: readonly string[], options?: CallOptions): Promise<DirectoryResult<Map<string, ItemOutcome>>> {
    return this.bulk.revokeMany(ids, options);
  }

  /**
   * Runs one Graph request with a deadline: the client's RetryHandler honours Retry-After
   * for 429/503/504 but only while the wait still fits before the deadline.
   */
  /** One Graph call under a deadline (src/graph/graphCall.ts). */
  private call<T>(
    options: CallOptions | undefined,
    run: (req: GraphRequestFor) => Promise<DirectoryResult<T>>,
  ): Promise<DirectoryResult<T>> {
    return graphCall(this.client, this.timeoutInMs, options, run);
  }
}

export { GraphError };
