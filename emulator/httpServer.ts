/**
 * The small HTTP(S) server every emulated service is built on: a route table, a call log
 * (by route and caller, so tests can prove whose token made which call) and fault injection
 * (latency, errors with Retry-After, dropped connections) per route.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { decodeQuery, splitRequestTarget } from './queryString';
import type { PemPair } from './tls';

export interface EmulatedRequest {
  readonly method: string;
  /** The path exactly as sent (not percent-decoded), without the query. */
  readonly rawPath: string;
  readonly url: URL;
  /** The query options, decoded as Microsoft's services decode them (queryString.ts). */
  readonly query: URLSearchParams;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** Route parameters, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** Set by a handler to name who made the call (e.g. the token's oid) in the call log. */
  caller?: string;
  /** Set by a handler to name the token the call carried (its `uti`, never the token) in the call log. */
  tokenId?: string;
  json(): unknown;
  form(): URLSearchParams;
}

export interface EmulatedResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Serialised as JSON unless it is a string. */
  readonly body?: unknown;
}

export type Handler = (req: EmulatedRequest) => EmulatedResponse | Promise<EmulatedResponse>;

export interface RecordedCall {
  readonly route: string;
  readonly method: string;
  readonly path: string;
  /** The query string exactly as sent (not decoded, without '?'); empty when there was none. */
  readonly query?: string;
  readonly status: number;
  readonly caller?: string;
  /** Which token the call carried (its `uti` claim), when the service read one. */
  readonly tokenId?: string;
  readonly at: number;
}

/** A fault applied to the next `times` calls of a route (or of every route with route '*'). */
export interface Fault {
  readonly route: string;
  /** How many calls it applies to; Infinity for all. */
  times: number;
  /** Added delay before answering. */
  readonly latencyInMs?: number;
  /** Answer with this status instead of calling the handler. */
  readonly status?: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Destroy the socket instead of answering. */
  readonly resetConnection?: boolean;
}

interface Route {
  readonly name: string;
  readonly method: string;
  readonly pattern: RegExp;
  readonly handler: Handler;
}

/** Turns '/:tenant/oauth2/v2.0/token' into a regex with named groups. */
function compile(pattern: string | RegExp): RegExp {
  if (pattern instanceof RegExp) return pattern;
  const source = pattern
    .split('/')
    .map((seg) => (seg.startsWith(':') ? `(?<${seg.slice(1)}>[^/]+)` : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`, 'i');
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export interface EmulatedServerOptions {
  readonly name: string;
  /** Serve HTTPS with this certificate; plain HTTP without. */
  readonly tls?: PemPair;
  /** Largest request body accepted. */
  readonly maxBodyInBytes?: number;
}

export class EmulatedServer {
  readonly calls: RecordedCall[] = [];
  private readonly routes: Route[] = [];
  private readonly faults: Fault[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly server: http.Server;
  private base = '';

  constructor(private readonly options: EmulatedServerOptions) {
    const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      void this.dispatch(req, res);
    };
    this.server = options.tls
      ? https.createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, listener)
      : http.createServer(listener);
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.on('secureConnection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Registers a handler. Routes match in registration order. */
  route(name: string, method: string, pattern: string | RegExp, handler: Handler): this {
    this.routes.push({ name, method: method.toUpperCase(), pattern: compile(pattern), handler });
    return this;
  }

  /** Starts listening on 127.0.0.1 on a free port (or the given one); resolves to the base URL. */
  async listen(port = 0): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    this.base = `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${address.port}`;
    return this.base;
  }

  /** The base URL, e.g. https://127.0.0.1:43123 (no trailing slash). */
  get baseUrl(): string {
    return this.base;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Applies a fault to the next calls of a route. */
  injectFault(fault: Omit<Fault, 'times'> & { times?: number }): void {
    this.faults.push({ ...fault, times: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Counts recorded calls, optionally of one route and/or one caller. */
  count(route?: string, caller?: string): number {
    return this.calls.filter((c) => (route === undefined || c.route === route) && (caller === undefined || c.caller === caller)).length;
  }

  private takeFault(route: string): Fault | undefined {
    const index = this.faults.findIndex((f) => (f.route === route || f.route === '*') && f.times > 0);
    const fault = this.faults[index];
    if (!fault) return undefined;
    fault.times -= 1;
    if (fault.times <= 0) this.faults.splice(index, 1);
    return fault;
  }

  private async readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
    const limit = this.options.maxBodyInBytes ?? 4 * 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) return undefined;
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.base || 'http://127.0.0.1');
    const { rawPath, rawQuery } = splitRequestTarget(req.url ?? '/');
    const method = (req.method ?? 'GET').toUpperCase();
    let routeName = 'unmatched';
    let request: EmulatedRequest | undefined;
    try {
      const body = await this.readBody(req);
      if (body === undefined) {
        this.send(res, { status: 413, body: { error: { code: 'RequestTooLarge', message: 'Request body too large.' } } });
        return;
      }
      const match = this.routes
        .filter((r) => r.method === method)
        .map((r) => ({ r, m: r.pattern.exec(rawPath) }))
        .find((x) => x.m !== null);
      if (!match) {
        this.record({ route: routeName, method, path: rawPath, status: 404, at: Date.now() });
        this.send(res, { status: 404, body: { error: { code: 'NotFound', message: `No route for ${method} ${rawPath}` } } });
        return;
      }
      routeName = match.r.name;
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries<string | undefined>(match.m?.groups ?? {})) if (v !== undefined) params[k] = safeDecode(v);
      request = {
        method,
        rawPath,
        url,
        query: decodeQuery(rawQuery),
        headers: req.headers,
        body,
        params,
        json(): unknown {
          return JSON.parse(body.toString('utf8'));
        },
        form(): URLSearchParams {
          return new URLSearchParams(body.toString('utf8'));
        },
      };
      const fault = this.takeFault(routeName);
      if (fault?.latencyInMs) await new Promise((r) => setTimeout(r, fault.latencyInMs));
      if (fault?.resetConnection) {
        this.record({ route: routeName, method, path: rawPath, query: rawQuery, status: 0, at: Date.now() });
        req.socket.destroy();
        return;
      }
      const response: EmulatedResponse =
        fault?.status !== undefined
          ? {
              status: fault.status,
              headers: fault.headers,
              body: fault.body ?? { error: { code: 'InjectedFault', message: `Injected ${fault.status}` } },
            }
          : await match.r.handler(request);
      this.record({
        route: routeName,
        method,
        path: rawPath,
        query: rawQuery,
        status: response.status,
        caller: request.caller,
        tokenId: request.tokenId,
        at: Date.now(),
      });
      this.send(res, response);
    } catch (error) {
      this.record({ route: routeName, method, path: rawPath, status: 500, caller: request?.caller, at: Date.now() });
      this.send(res, {
        status: 500,
        body: { error: { code: 'EmulatorError', message: error instanceof Error ? error.message : String(error) } },
      });
    }
  }

  private record(call: RecordedCall): void {
    this.calls.push(call);
  }

  private send(res: http.ServerResponse, response: EmulatedResponse): void {
    if (res.headersSent || res.destroyed) return;
    const headers: Record<string, string> = { ...response.headers };
    let payload = '';
    if (response.body !== undefined) {
      if (typeof response.body === 'string') {
        payload = response.body;
        headers['content-type'] ??= 'text/plain; charset=utf-8';
      } else {
        payload = JSON.stringify(response.body);
        headers['content-type'] ??= 'application/json; charset=utf-8';
      }
    }
    headers['content-length'] = String(Buffer.byteLength(payload));
    res.writeHead(response.status, headers);
    res.end(payload);
  }
}

/** A JSON response. */
export function json(status: number, body: unknown, headers?: Record<string, string>): EmulatedResponse {
  return { status, body, headers };
}
