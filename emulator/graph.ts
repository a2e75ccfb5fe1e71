/**
 * The emulated Microsoft Graph (v1.0) the bot and its tests talk to: users, memberships,
 * role assignments, groups, revokeSignInSessions, account/device disabling and $batch, over
 * HTTPS on loopback. It verifies bearer tokens with the emulated Entra's signing keys and
 * enforces Entra's role rules itself (graph/entraRoles.ts), so it is the oracle for "Entra
 * decides who may revoke whom". It throttles as Graph does: every request, and every step
 * inside $batch, counts against the quotas of its row in the permission table (graph/throttling.ts),
 * per app and tenant; the windows can run faster than real time. Faults (latency, 429 +
 * Retry-After, 5xx, dropped connections) can be injected per route, also inside $batch.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Directory } from './directory';
import { EmulatedServer, type EmulatedRequest, type EmulatedResponse } from './httpServer';
import { decodeQuery, splitRequestTarget } from './queryString';
import type { SigningKeySet } from './signingKeys';
import type { PemPair } from './tls';
import { authenticate, callerId, type Authentication, type GraphCaller } from './graph/auth';
import { parseBatch, runBatch, type BatchStep, type BatchStepResponse } from './graph/batch';
import { continuousAccessChallenge } from './graph/continuousAccess';
import { GraphThrottle, type ThrottlingOptions } from './graph/throttling';
import { permissionRow } from './permissions';
import { badRequest, failure, faultError, success, toWire, type GraphResult } from './graph/responses';
import {
  GRAPH_ROUTES,
  matchRoute,
  ROUTE_TABLE,
  UNKNOWN_ROUTE,
  type GraphEnvironment,
  type GraphRoute,
  type RouteContext,
} from './graph/routes';

export { GRAPH_ROUTES, type GraphRouteName } from './graph/routes';
export { GraphThrottle, type EffectiveQuota, type ThrottlingOptions } from './graph/throttling';

export interface EmulatedGraphOptions {
  readonly tls: PemPair;
  readonly directory: Directory;
  /** The emulated Entra's keys: Graph accepts tokens they signed. */
  readonly tokenKeys: SigningKeySet;
  /** '200' (what Graph really returns, with { value: true }) or '204' for revokeSignInSessions. */
  readonly revokeResponse?: '200' | '204';
  /** The clock used for signInSessionsValidFromDateTime (tests may pass a fake). */
  readonly now?: () => Date;
  /**
   * Graph's throttling quotas (graph/throttling.ts): on by default at Microsoft's limits and
   * windows; `{ timeScale: 100 }` runs the windows 100 times faster; `false` turns it off.
   */
  readonly throttling?: ThrottlingOptions | false;
}

/** A Graph-shaped fault for the next `times` calls of a route ('*' for every route). */
export interface GraphFault {
  readonly route: string;
  /** How many calls it applies to (default 1; Infinity for all). */
  readonly times?: number;
  /** Answer with this status and Graph's error body for it (429 → TooManyRequests, 503 → serviceNotAvailable, ...). */
  readonly status?: number;
  /** Sent as Retry-After (seconds, may be fractional, e.g. 0.2). */
  readonly retryAfterInSeconds?: number;
  /** Delay before answering (or before running the handler when no status is given). */
  readonly latencyInMs?: number;
  /** Drop the connection instead of answering. Applies to direct calls only: a $batch step cannot drop its batch's connection. */
  readonly resetConnection?: boolean;
  /** Hold the call until this settles, then answer (a test's gate: what the caller does meanwhile is observable, whatever the timing). */
  readonly until?: Promise<unknown>;
}

interface PendingFault {
  readonly route: string;
  remaining: number;
  readonly status?: number;
  readonly retryAfterInSeconds?: number;
  readonly latencyInMs?: number;
  readonly until?: Promise<unknown>;
}

/** A request on its way to a handler, before the caller is known to be valid. */
interface IncomingCall {
  readonly method: string;
  readonly rawPath: string;
  readonly query: URLSearchParams;
  readonly header: (name: string) => string | undefined;
  readonly body: Buffer;
  readonly params: Readonly<Record<string, string | undefined>>;
}

const ANY_METHOD = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'];

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Header names as Graph writes them inside $batch responses (Content-Type, Retry-After). */
function canonicalHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [
      name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase()),
      value,
    ]),
  );
}

export class EmulatedGraph {
  readonly server: EmulatedServer;
  /** Graph's throttling (undefined when turned off). */
  readonly throttle: GraphThrottle | undefined;
  private readonly faults: PendingFault[] = [];
  private readonly environment: GraphEnvironment;

  private constructor(private readonly options: EmulatedGraphOptions) {
    this.server = new EmulatedServer({ name: 'graph', tls: options.tls });
    this.throttle = options.throttling === false ? undefined : new GraphThrottle(options.throttling ?? {});
    this.environment = {
      directory: options.directory,
      revokeResponse: options.revokeResponse ?? '200',
      now: options.now ?? (() => new Date()),
      batch: (ctx) => this.batch(ctx),
    };
    for (const route of ROUTE_TABLE) {
      const onWire = new RegExp(String.raw`^/v1\.0` + route.pattern.source.slice(1), 'i');
      this.server.route(route.name, route.method, onWire, (req) => this.serveHttp(route, req));
    }
    for (const method of ANY_METHOD)
      this.server.route(UNKNOWN_ROUTE.name, method, UNKNOWN_ROUTE.pattern, (req) => this.serveHttp(UNKNOWN_ROUTE, req));
  }

  /** Starts Graph on a free loopback port. */
  static async start(options: EmulatedGraphOptions): Promise<EmulatedGraph> {
    const graph = new EmulatedGraph(options);
    await graph.server.listen();
    return graph;
  }

  /** https://127.0.0.1:<port>, without a version: the bot's GRAPH_ENDPOINT. */
  get endpoint(): string {
    return this.server.baseUrl;
  }

  get directory(): Directory {
    return this.options.directory;
  }

  /** Graph-shaped faults for the next `times` calls of a route: latency, 429 + Retry-After, 5xx, connection reset. */
  injectFault(fault: GraphFault): void {
    const times = fault.times ?? 1;
    if (fault.resetConnection) {
      this.server.injectFault({ route: fault.route, times, latencyInMs: fault.latencyInMs, resetConnection: true });
      return;
    }
    this.faults.push({
      route: fault.route,
      remaining: times,
      status: fault.status,
      retryAfterInSeconds: fault.retryAfterInSeconds,
      latencyInMs: fault.latencyInMs,
      until: fault.until,
    });
  }

  clearFaults(): void {
    this.faults.length = 0;
    this.server.clearFaults();
  }

  /**
   * Calls recorded for a route and/or caller (the token's oid for delegated tokens, its appid
   * for app tokens). Steps inside $batch count under their own route names too.
   */
  count(route?: string, callerOid?: string): number {
    return this.server.count(route, callerOid?.toLowerCase());
  }

  async stop(): Promise<void> {
    await this.server.close();
  }

  private takeFault(route: string): PendingFault | undefined {
    const index = this.faults.findIndex((f) => (f.route === route || f.route === '*') && f.remaining > 0);
    const fault = this.faults[index];
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    return fault;
  }

  /** Faults first (they model the service in front of the handler), then the token, then throttling, then the handler. */
  private async execute(route: GraphRoute, call: IncomingCall, auth: Authentication): Promise<GraphResult> {
    const fault = this.takeFault(route.name);
    if (fault?.latencyInMs) await new Promise((resolve) => setTimeout(resolve, fault.latencyInMs));
    if (fault?.until) await fault.until.catch(() => undefined);
    if (fault?.status !== undefined) {
      return faultError(
        fault.status,
        fault.retryAfterInSeconds === undefined ? undefined : { 'Retry-After': String(fault.retryAfterInSeconds) },
      );
    }
    if (!auth.ok) return failure(401, 'InvalidAuthenticationToken', auth.message);
    const challenged =
      auth.caller.kind === 'user'
        ? continuousAccessChallenge(auth.caller, this.options.directory.users.get(auth.caller.oid), this.environment.now())
        : undefined;
    if (challenged) return challenged;
    if (route.quotas && this.throttle) {
      const throttled = this.throttle.admit(permissionRow(route.quotas).quotas, call.method, auth.caller, this.options.directory.tenantId);
      if (throttled) return throttled;
    }
    const ctx: RouteContext = { ...call, caller: auth.caller, tokenId: auth.tokenId, endpoint: this.endpoint };
    return route.handle(ctx, this.environment);
  }

  private async serveHttp(route: GraphRoute, req: EmulatedRequest): Promise<EmulatedResponse> {
    const ids = { requestId: randomUUID(), clientRequestId: headerValue(req.headers, 'client-request-id') ?? randomUUID() };
    const auth = await authenticate(headerValue(req.headers, 'authorization'), this.options.tokenKeys, this.options.directory.tenantId);
    if (auth.ok) {
      req.caller = callerId(auth.caller);
      req.tokenId = auth.tokenId;
    }
    const call: IncomingCall = {
      method: req.method,
      rawPath: req.rawPath.replace(/^\/v1\.0(?=\/|$)/i, '') || '/',
      query: req.query,
      header: (name) => headerValue(req.headers, name),
      body: req.body,
      params: req.params,
    };
    const wire = toWire(await this.execute(route, call, auth), ids);
    return { status: wire.status, headers: wire.headers, body: wire.body };
  }

  private async batch(ctx: RouteContext): Promise<GraphResult> {
    const parsed = parseBatch(ctx.body);
    if (!parsed.ok) return parsed.error;
    const responses = await runBatch(parsed.steps, (step) => this.runStep(step, ctx.caller, ctx.tokenId));
    return success(200, { responses });
  }

  /** One $batch step: same token, same handlers and faults, logged under its own route. */
  private async runStep(step: BatchStep, caller: GraphCaller, tokenId: string | undefined): Promise<BatchStepResponse> {
    const ids = { requestId: randomUUID(), clientRequestId: step.headers['client-request-id'] ?? randomUUID() };
    const { rawQuery } = splitRequestTarget(step.url);
    const answer = (result: GraphResult, route: string, path: string): BatchStepResponse => {
      this.server.calls.push({
        route,
        method: step.method,
        path: `/v1.0${path}`,
        ...(rawQuery ? { query: rawQuery } : {}),
        status: result.status,
        caller: callerId(caller),
        tokenId,
        at: Date.now(),
      });
      const wire = toWire(result, ids, false);
      return {
        id: step.id,
        status: wire.status,
        headers: canonicalHeaders(wire.headers),
        ...(wire.body === undefined ? {} : { body: wire.body }),
      };
    };
    // Relative URLs only ("/users/..."; the version comes from the batch's own URL).
    if (/^[a-z][a-z0-9+.-]*:/i.test(step.url) || step.url.startsWith('//')) {
      return answer(badRequest('Batch request URLs must be relative, e.g. /users/{id}.', 'BadRequest'), UNKNOWN_ROUTE.name, step.url);
    }
    const url = new URL(step.url.startsWith('/') ? step.url : `/${step.url}`, 'https://graph.invalid');
    // The JS client's BatchRequestContent strips only scheme and host, so its URLs keep "/v1.0".
    url.pathname = url.pathname.replace(/^\/v1\.0(?=\/)/i, '');
    const { route, params } = matchRoute(step.method, url.pathname);
    if (route.name === GRAPH_ROUTES.batch)
      return answer(badRequest('A batch cannot contain a batch.', 'BadRequest'), route.name, url.pathname);
    const call: IncomingCall = {
      method: step.method,
      rawPath: url.pathname,
      query: decodeQuery(rawQuery),
      header: (name) => step.headers[name.toLowerCase()],
      body: step.body,
      params,
    };
    return answer(await this.execute(route, call, { ok: true, caller, tokenId }), route.name, url.pathname);
  }
}
