/**
 * The evidence half of the Graph adapter, with one person's delegated token, each feature on its
 * own client and so its own on-behalf-of scope set (a tenant without consent to one set loses
 * only that feature):
 * - sign-in logs (AUDIT_SCOPES): GET /auditLogs/signIns?$filter=userId eq '{id}' and
 *   createdDateTime ge {time}&$top=… (https://learn.microsoft.com/graph/api/signin-list), one user
 *   at a time or in JSON batches of a few, one batch at a time: the sign-in log's quota is 5
 *   requests per 10 seconds per app and tenant (https://learn.microsoft.com/graph/throttling-limits);
 *   throttled steps are asked again after their Retry-After while the deadline allows;
 * - authentication methods (AUTH_METHOD_SCOPES): GET /users/{id}/authentication/methods
 *   (https://learn.microsoft.com/graph/api/authentication-list-methods; no query options);
 * - eligible roles (PIM_SCOPES): GET /roleManagement/directory/roleEligibilityScheduleInstances/
 *   filterByCurrentUser(on='principal')
 *   (https://learn.microsoft.com/graph/api/unifiedroleeligibilityscheduleinstance-filterbycurrentuser);
 * - users at risk (RISK_SCOPES): GET /identityProtection/riskyUsers?$filter=riskState eq 'atRisk'
 *   (https://learn.microsoft.com/graph/api/riskyuser-list; Entra ID P2), pages of 50 followed while
 *   needed: Identity Protection allows one request per second per tenant, for all apps together.
 */
import type { TokenCredential } from '@azure/identity';
import type { Client } from '@microsoft/microsoft-graph-client';
import type { AuthMethod } from '../domain/authMethods';
import { deadlineIn, fitsBefore, msUntil } from '../domain/clock';
import { isRecord } from '../domain/json';
import { atRiskFilter, signInsFilter, userPath } from '../domain/odata';
import { roleDisplayName } from '../domain/roles';
import type { SignInEvent } from '../domain/signInEvidence';
import type { CallOptions, DirectoryFailure, DirectoryResult, RoleRecord } from '../app/ports/directory';
import type { EvidenceGateway, RiskyUserListing, RiskyUserRecord, SignInListing, SignInQuery, UserRisk } from '../app/ports/evidence';
import { MAX_BATCH_REQUESTS, stepFailure, type BatchStepRequest } from './batchAnswers';
import { postBatch } from './graphBatch';
import { toAuthMethod } from './graphAuthMethods';
import { createGraphClient, graphCall } from './graphCall';
import type { Telemetry } from '../observability/telemetry';

export interface GraphEvidenceOptions {
  readonly graphEndpoint: string;
  /** Fully qualified scopes for the sign-in logs (AUDIT_SCOPES). */
  readonly auditScopes: readonly string[];
  /** For reading (and removing) authentication methods (AUTH_METHOD_SCOPES). */
  readonly authMethodScopes: readonly string[];
  /** For the person's own PIM eligibility (PIM_SCOPES). */
  readonly pimScopes: readonly string[];
  /** For Identity Protection's users at risk (RISK_SCOPES). */
  readonly riskScopes: readonly string[];
  readonly requestTimeoutInMs?: number;
  /** Each Graph request as a span and a measurement (src/graph/graphTelemetry.ts); none when absent. */
  readonly telemetry?: Telemetry;
}

/** Graph's page-size maximum for sign-ins. */
const MAX_SIGN_IN_PAGE = 1000;
const ELIGIBILITY_PATH = "/roleManagement/directory/roleEligibilityScheduleInstances/filterByCurrentUser(on='principal')";

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** One sign-in row as the cards show it; undefined for a row without an id, user or time. */
export function toSignInEvent(raw: unknown): SignInEvent | undefined {
  if (!isRecord(raw)) return undefined;
  const id = str(raw.id);
  const at = str(raw.createdDateTime);
  const userId = str(raw.userId);
  if (!id || !at || !userId || !Number.isFinite(Date.parse(at))) return undefined;
  const status = isRecord(raw.status) ? raw.status : {};
  const errorCode = typeof status.errorCode === 'number' ? status.errorCode : -1;
  const location = isRecord(raw.location) ? [str(raw.location.city), str(raw.location.countryOrRegion)].filter(Boolean).join(', ') : '';
  const failureReason = str(status.failureReason);
  return {
    id,
    at,
    userId,
    ...(str(raw.appDisplayName) ? { app: str(raw.appDisplayName) } : {}),
    ...(str(raw.clientAppUsed) ? { client: str(raw.clientAppUsed) } : {}),
    ...(str(raw.ipAddress) ? { ipAddress: str(raw.ipAddress) } : {}),
    ...(location ? { location } : {}),
    ...(typeof raw.isInteractive === 'boolean' ? { interactive: raw.isInteractive } : {}),
    errorCode,
    ...(failureReason ? { failureReason } : {}),
  };
}

function eventsOf(page: unknown): SignInEvent[] {
  const items = isRecord(page) && Array.isArray(page.value) ? page.value : [];
  return items.map(toSignInEvent).filter((e): e is SignInEvent => e !== undefined);
}

function signInsUrl(query: SignInQuery, top: number): string | undefined {
  const filter = signInsFilter(query.userId, query.since);
  return filter ? `/auditLogs/signIns?$filter=${filter}&$top=${top}` : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

export class GraphEvidence implements EvidenceGateway {
  private readonly audit: Client;
  private readonly methods: Client;
  private readonly pim: Client;
  private readonly risk: Client;
  private readonly timeoutInMs: number;

  constructor(credential: TokenCredential, options: GraphEvidenceOptions) {
    this.audit = createGraphClient(credential, options.graphEndpoint, options.auditScopes, options.telemetry);
    this.methods = createGraphClient(credential, options.graphEndpoint, options.authMethodScopes, options.telemetry);
    this.pim = createGraphClient(credential, options.graphEndpoint, options.pimScopes, options.telemetry);
    this.risk = createGraphClient(credential, options.graphEndpoint, options.riskScopes, options.telemetry);
    this.timeoutInMs = options.requestTimeoutInMs ?? 10_000;
  }

  listSignIns(query: SignInQuery, options?: CallOptions & { readonly maxEvents?: number }): Promise<DirectoryResult<SignInListing>> {
    const max = Math.max(1, options?.maxEvents ?? 500);
    const url = signInsUrl(query, Math.min(max, MAX_SIGN_IN_PAGE));
    if (!url) return Promise.resolve({ ok: false, error: { code: 'bad_request' } });
    return graphCall(this.audit, this.timeoutInMs, options, async (req) => {
      const events: SignInEvent[] = [];
      let page = (await req(url).get()) as Record<string, unknown>;
      for (;;) {
        events.push(...eventsOf(page));
        const next = str(page['@odata.nextLink']);
        if (!next) return { ok: true, value: { events: events.slice(0, max), truncated: events.length > max } };
        if (events.length >= max) return { ok: true, value: { events: events.slice(0, max), truncated: true } };
        page = (await req(next).get()) as Record<string, unknown>;
      }
    });
  }

  async listSignInsMany(
    queries: readonly SignInQuery[],
    options?: CallOptions & { readonly batchSize?: number; readonly maxEvents?: number },
  ): Promise<Map<string, DirectoryResult<SignInListing>>> {
    const deadline = options?.deadline ?? deadlineIn(3 * this.timeoutInMs);
    const size = Math.max(1, Math.min(options?.batchSize ?? 5, MAX_BATCH_REQUESTS));
    const top = Math.min(Math.max(1, options?.maxEvents ?? 100), MAX_SIGN_IN_PAGE);
    const results = new Map<string, DirectoryResult<SignInListing>>();
    const todo: (SignInQuery & { readonly url: string })[] = [];
    for (const query of queries) {
      const url = signInsUrl(query, top);
      if (url !== undefined) todo.push({ ...query, url });
      else results.set(query.userId, { ok: false, error: { code: 'bad_request' } });
    }
    // One batch in flight at a time; throttled steps go to the back of the line after their Retry-After.
    while (todo.length > 0 && msUntil(deadline) > 0) {
      const part = todo.splice(0, size);
      const requests = part.map((query, i): BatchStepRequest => ({ id: String(i + 1), method: 'GET', url: query.url }));
      const answer = await postBatch(this.audit, this.timeoutInMs, requests, deadline);
      if (!answer.ok) {
        // The batch itself failed (no consent, a time-out): every user in it fails alike, and so would the rest.
        for (const query of [...part, ...todo]) results.set(query.userId, { ok: false, error: answer.error });
        return results;
      }
      let waitInSeconds = 0;
      part.forEach((query, i) => {
        const step = answer.value.get(String(i + 1));
        if (step && step.status >= 200 && step.status <= 299) {
          const events = eventsOf(step.body);
          const more = isRecord(step.body) && str(step.body['@odata.nextLink']) !== undefined;
          results.set(query.userId, { ok: true, value: { events, truncated: more } });
          return;
        }
        const error: DirectoryFailure = stepFailure(step);
        results.set(query.userId, { ok: false, error });
        if (error.code === 'throttled' || error.code === 'graph_unavailable') {
          todo.push(query);
          waitInSeconds = Math.max(waitInSeconds, error.retryAfterInSeconds ?? 2);
        }
      });
      if (waitInSeconds > 0) {
        if (!fitsBefore(deadline, waitInSeconds * 1000)) break;
        await sleep(waitInSeconds * 1000);
      }
    }
    // Users never read before the deadline are absent: the caller says they were not checked yet.
    for (const query of todo) results.delete(query.userId);
    return results;
  }

  listAuthenticationMethods(userId: string, options?: CallOptions): Promise<DirectoryResult<AuthMethod[]>> {
    return graphCall(this.methods, this.timeoutInMs, options, async (req) => {
      const page = (await req(`${userPath({ kind: 'objectId', id: userId })}/authentication/methods`).get()) as Record<string, unknown>;
      const items = Array.isArray(page.value) ? page.value : [];
      return { ok: true, value: items.map(toAuthMethod).filter((m): m is AuthMethod => m !== undefined) };
    });
  }

  myEligibleRoles(options?: CallOptions): Promise<DirectoryResult<RoleRecord[]>> {
    return graphCall(this.pim, this.timeoutInMs, options, async (req) => {
      const page = (await req(ELIGIBILITY_PATH).select('roleDefinitionId,directoryScopeId').get()) as Record<string, unknown>;
      const items = Array.isArray(page.value) ? page.value : [];
      const roles = new Map<string, RoleRecord>();
      for (const item of items) {
        if (!isRecord(item) || item.directoryScopeId !== '/') continue;
        const id = str(item.roleDefinitionId)?.toLowerCase();
        if (id) roles.set(id, { templateId: id, displayName: roleDisplayName(id) ?? 'Directory role' });
      }
      return { ok: true, value: [...roles.values()] };
    });
  }

  riskOf(userId: string, options?: CallOptions): Promise<DirectoryResult<UserRisk | undefined>> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(userId))
      return Promise.resolve({ ok: false, error: { code: 'bad_request' } });
    return graphCall(this.risk, this.timeoutInMs, options, async (req) => {
      try {
        const raw = (await req(`/identityProtection/riskyUsers/${userId.toLowerCase()}`).get()) as Record<string, unknown>;
        const updatedAt = str(raw.riskLastUpdatedDateTime);
        return {
          ok: true,
          value: { level: str(raw.riskLevel) ?? 'unknown', state: str(raw.riskState) ?? 'unknown', ...(updatedAt ? { updatedAt } : {}) },
        };
      } catch (error) {
        // No record: Identity Protection never saw a risk for this user.
        if ((error as { statusCode?: unknown }).statusCode === 404) return { ok: true, value: undefined };
        throw error;
      }
    });
  }

  listRiskyUsers(options?: CallOptions & { readonly maxUsers?: number }): Promise<DirectoryResult<RiskyUserListing>> {
    const max = Math.max(1, options?.maxUsers ?? 100);
    return graphCall(this.risk, this.timeoutInMs, options, async (req) => {
      const users: RiskyUserRecord[] = [];
      let page = (await req(`/identityProtection/riskyUsers?$filter=${atRiskFilter()}&$top=${Math.min(max, 50)}`).get()) as Record<
        string,
        unknown
      >;
      for (;;) {
        for (const item of Array.isArray(page.value) ? page.value : []) {
          const user = toRiskyUser(item);
          if (user) users.push(user);
        }
        const next = str(page['@odata.nextLink']);
        if (!next || users.length >= max)
          return { ok: true, value: { users: users.slice(0, max), truncated: next !== undefined || users.length > max } };
        page = (await req(next).get()) as Record<string, unknown>;
      }
    });
  }
}

const RISK_LEVELS: readonly RiskyUserRecord['riskLevel'][] = ['low', 'medium', 'high', 'hidden', 'none', 'unknownFutureValue'];

/** One riskyUser as the inbox shows it; undefined without an object id. */
function toRiskyUser(raw: unknown): RiskyUserRecord | undefined {
  if (!isRecord(raw)) return undefined;
  const id = str(raw.id);
  if (!id || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return undefined;
  const level = RISK_LEVELS.find((l) => l === raw.riskLevel) ?? 'unknownFutureValue';
  const updated = str(raw.riskLastUpdatedDateTime);
  return {
    id: id.toLowerCase(),
    displayName: str(raw.userDisplayName) ?? '',
    userPrincipalName: str(raw.userPrincipalName) ?? '',
    riskLevel: level,
    riskState: str(raw.riskState) ?? 'unknown',
    ...(updated ? { riskLastUpdatedDateTime: updated } : {}),
  };
}
