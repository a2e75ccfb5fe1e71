/**
 * The HTTP edge (the only restify importer): POST /api/messages for the Teams channel,
 * GET /healthz (liveness) and GET /readyz (storage reachable). There is no generic body
 * parser: /api/messages reads its body itself with bounded work (src/http/boundedBody.ts) —
 * type and coding checked first, at most the limit read, then parsed — before botbuilder
 * authenticates it; an activity that fails authentication is answered 401 and never processed
 * (CloudAdapter itself answers 500 for a forged signature).
 */
import restify, { type Request, type Response } from 'restify';
import type { Logger } from '../observability/logger';
import { dropRest, readJsonObject, refuse, type Linger } from './boundedBody';
import { cachedReadiness } from './readiness';

/** What a refused client may still send before its connection is closed. */
const LINGER: Linger = { maxBytes: 1024 * 1024, maxMs: 2_000 };

export interface HttpServerOptions {
  readonly port: number;
  readonly host?: string;
  /**
   * Authenticates and processes one activity. Must call `turnStarted` once the request is
   * authenticated and its turn begins, and resolve to the invoke answer, if any.
   */
  readonly handleActivity: (
    authHeader: string,
    activity: Record<string, unknown>,
    turnStarted: () => void,
  ) => Promise<{ status?: number; body?: unknown } | undefined>;
  readonly logger: Logger;
  /** Resolves when the bot can serve (storage reachable); rejects otherwise. Called at most once per few seconds while it succeeds. */
  readonly readiness: () => Promise<void>;
  /** What is not right though the bot can serve (e.g. audit records set aside): listed by /readyz, which still answers 200. */
  readonly degradation?: () => readonly string[];
  /** Most bytes of an activity (default 256 kB); no content coding is accepted, so these are decoded bytes. */
  readonly maxBodyInBytes?: number;
  /** Deepest nesting of an activity's JSON (default 32). */
  readonly maxJsonDepth?: number;
}

export interface HttpServer {
  /** Listens; resolves to the base URL. */
  listen(): Promise<string>;
  /** Stops accepting requests and waits for the ones in flight. */
  close(): Promise<void>;
}

export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { logger } = options;
  const limits = { maxBytes: options.maxBodyInBytes ?? 256 * 1024, maxDepth: options.maxJsonDepth ?? 32 };
  const readiness = cachedReadiness(options.readiness);
  const server = restify.createServer({ name: 'session-revoker', handleUncaughtExceptions: false });
  let inFlight = 0;
  let closing = false;

  server.get('/healthz', async (_req: Request, res: Response) => {
    res.send(200, { status: 'ok' });
  });

  server.get('/readyz', async (_req: Request, res: Response) => {
    if (closing) return void res.send(503, { status: 'shutting down' });
    try {
      await readiness();
      const degraded = options.degradation?.() ?? [];
      res.send(200, degraded.length > 0 ? { status: 'ready', degraded } : { status: 'ready' });
    } catch {
      res.send(503, { status: 'not ready', reason: 'storage unavailable' });
    }
  });

  server.post('/api/messages', async (req: Request, res: Response) => {
    if (closing) {
      refuse(req, res, { status: 503, error: 'shutting down' }, LINGER);
      return;
    }
    // The channel always sends a bearer token: without one nothing is read at all.
    if (!/^Bearer \S+$/i.test(req.header('authorization', ''))) {
      refuse(req, res, { status: 401, error: 'Unauthorized.' }, LINGER);
      return;
    }
    const body = await readJsonObject(req, limits);
    if (!body.ok) {
      refuse(req, res, body.refusal, LINGER);
      return;
    }
    const activity = body.value;
    if (typeof activity.type !== 'string' || activity.type.length === 0) return void res.send(400, { error: 'The activity has no type.' });
    const authHeader = req.header('authorization', '');
    let reachedTurn = false;
    inFlight += 1;
    try {
      const invoke = await options.handleActivity(authHeader, activity, () => {
        reachedTurn = true;
      });
      if (invoke?.body !== undefined) res.send(invoke.status ?? 200, invoke.body);
      else res.send(invoke?.status ?? 200);
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by the callback above, where TypeScript's narrowing does not look
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

  // restify's own errors (unknown route, wrong method): terse, and no body is read for them.
  server.on(
    'restifyError',
    (req: Request, _res: Response, error: { statusCode?: number; toJSON?: () => unknown }, callback: () => void) => {
      const body = { error: 'The request could not be served.' };
      // restify serialises its errors through toJSON (setting .body alone sends "{}").
      error.toJSON = () => body;
      dropRest(req, LINGER);
      callback();
    },
  );

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
      const closed = new Promise<void>((resolve) => {
        server.close(() => resolve());
      });
      while (inFlight > 0) await new Promise((r) => setTimeout(r, 20));
      // Keep-alive connections that served the last turns would otherwise hold the close for
      // the client's idle time-out (seconds): nothing is in flight on them any more.
      (server.server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      await closed;
    },
  };
}
