/**
 * The HTTP edge (the only restify importer): POST /api/messages for the Teams channel,
 * GET /healthz (liveness) and GET /readyz (storage reachable). Requests are held to a size
 * and shape before botbuilder sees them; an activity that fails authentication is answered
 * 401 and never processed (CloudAdapter itself answers 500 for a forged signature).
 */
import restify, { type Request, type Response } from 'restify';
import type { Logger } from '../observability/logger';

export interface HttpServerOptions {
  readonly port: number;
  readonly host?: string;
  /**
   * Authenticates and processes one activity. Must call `turnStarted` once the request is
   * authenticated and its turn begins, and resolve to the invoke answer, if any.
   */
  readonly handleActivity: (authHeader: string, activity: Record<string, unknown>, turnStarted: () => void) => Promise<{ status?: number; body?: unknown } | undefined>;
  readonly logger: Logger;
  /** Resolves when the bot can serve (storage reachable); rejects otherwise. */
  readonly readiness: () => Promise<void>;
  /** What is not right though the bot can serve (e.g. audit records set aside): listed by /readyz, which still answers 200. */
  readonly degradation?: () => readonly string[];
  readonly maxBodyInBytes?: number;
  readonly maxJsonDepth?: number;
}

export interface HttpServer {
  /** Listens; resolves to the base URL. */
  listen(): Promise<string>;
  /** Stops accepting requests and waits for the ones in flight. */
  close(): Promise<void>;
}

/** How deep a JSON value nests (arrays and objects); stops counting past the limit. */
export function jsonDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { logger } = options;
  const maxBody = options.maxBodyInBytes ?? 256 * 1024;
  const server = restify.createServer({ name: 'session-revoker', handleUncaughtExceptions: false });
  let inFlight = 0;
  let closing = false;

  server.use(restify.plugins.bodyParser({ maxBodySize: maxBody, mapParams: false, rejectUnknown: false }));

  server.get('/healthz', async (_req: Request, res: Response) => {
    res.send(200, { status: 'ok' });
  });

  server.get('/readyz', async (_req: Request, res: Response) => {
    if (closing) return void res.send(503, { status: 'shutting down' });
    try {
      await options.readiness();
      const degraded = options.degradation?.() ?? [];
      res.send(200, degraded.length > 0 ? { status: 'ready', degraded } : { status: 'ready' });
    } catch {
      res.send(503, { status: 'not ready', reason: 'storage unavailable' });
    }
  });

  server.post('/api/messages', async (req: Request, res: Response) => {
    if (closing) return void res.send(503, { error: 'shutting down' });
    if (!/^application\/json\b/i.test(req.header('content-type') ?? '')) return void res.send(415, { error: 'Content-Type must be application/json.' });
    const body: unknown = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return void res.send(400, { error: 'The body must be a JSON object.' });
    if (jsonDepth(body, 32) > 32) return void res.send(400, { error: 'The body nests too deeply.' });
    const activity = body as Record<string, unknown>;
    if (typeof activity.type !== 'string' || activity.type.length === 0) return void res.send(400, { error: 'The activity has no type.' });
    const authHeader = req.header('authorization') ?? '';
    let reachedTurn = false;
    inFlight += 1;
    try {
      const invoke = await options.handleActivity(authHeader, activity, () => {
        reachedTurn = true;
      });
      if (invoke?.body !== undefined) res.send(invoke.status ?? 200, invoke.body);
      else res.send(invoke?.status ?? 200);
    } catch (error) {
      if (!reachedTurn) {
        // Authentication (or anything before the turn) failed: nothing was processed.
        logger.warn({ reason: error instanceof Error ? error.message : 'unknown' }, 'activity refused before its turn');
        res.send(401, { error: 'Unauthorized.' });
      } else {
        logger.error({ err: error }, 'turn failed');
        res.send(500, { error: 'The bot could not process this activity.' });
      }
    } finally {
      inFlight -= 1;
    }
  });

  // restify answers malformed JSON and oversized bodies itself (400 / 413); keep its errors terse.
  server.on('restifyError', (_req: Request, _res: Response, error: { statusCode?: number; toJSON?: () => unknown }, callback: () => void) => {
    const body = { error: (error.statusCode ?? 500) === 413 ? 'The request body is too large.' : 'The request could not be read.' };
    // restify serialises its errors through toJSON (setting .body alone sends "{}").
    error.toJSON = () => body;
    callback();
  });

  return {
    listen: () =>
      new Promise<string>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port, options.host ?? '0.0.0.0', () => {
          const address = server.address();
          resolve(`http://127.0.0.1:${address.port}`);
        });
      }),
    close: async () => {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      while (inFlight > 0) await new Promise((r) => setTimeout(r, 20));
      // Keep-alive connections that served the last turns would otherwise hold the close for
      // the client's idle time-out (seconds): nothing is in flight on them any more.
      (server.server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      await closed;
    },
  };
}
