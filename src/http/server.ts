/**
 * The HTTP edge (the only restify importer): POST /api/messages for the Teams channel,
 * POST /api/alerts for security tools (when alerts are set up), GET /healthz (liveness) and
 * GET /readyz (storage reachable). /api/alerts authenticates its caller's bearer token and takes
 * the caller's rate limit before it reads a byte of the body, then reads it with the same bounded
 * reader as /api/messages. There is no generic body
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
  /** POST /api/alerts (src/app/alerts/alertIntake.ts); absent: the route answers 404. */
  readonly alerts?: AlertEdge;
}

/** What /api/alerts needs: an admission before the body is read, which then takes the alert itself. */
export interface AlertEdge {
  admit(
    authorization: string,
  ): Promise<
    | { readonly ok: true; readonly receive: (body: Record<string, unknown>) => Promise<EdgeAnswer> }
    | { readonly ok: false; readonly answer: EdgeAnswer }
  >;
  /** Most bytes of an alert (default 64 kB). */
  readonly maxBodyInBytes?: number;
}

/** A small JSON answer with its status and headers. */
export interface EdgeAnswer {
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface HttpServer {
  /** Listens; resolves to the base URL. */
  listen(): Promise<string>;
  /** Stops accepting requests and waits for the ones in flight. */
  close(): Promise<void>;
}

/** A refusal before the body was read: its headers, then the usual refusal (the body is read away within the linger). */
function answerRefused(req: Request, res: Response, answer: EdgeAnswer): void {
  for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
  const error = typeof answer.body.error === 'string' ? answer.body.error : 'Refused.';
  refuse(req, res, { status: answer.status, error }, LINGER);
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

  server.post('/api/alerts', async (req: Request, res: Response) => {
    const alerts = options.alerts;
    const refusal = closing
      ? { status: 503, error: 'shutting down' }
      : !alerts
        ? { status: 404, error: 'Alerts are not set up on this bot.' }
        : // Nothing of the body is read before the caller is authenticated and within its rate limit.
          !/^Bearer \S+$/i.test(req.header('authorization', ''))
          ? { status: 401, error: 'Unauthorized.' }
          : undefined;
    if (refusal || !alerts) {
      refuse(req, res, refusal ?? { status: 404, error: 'Alerts are not set up on this bot.' }, LINGER);
      return;
    }
    inFlight += 1;
    try {
      const admitted = await alerts.admit(req.header('authorization', ''));
      if (!admitted.ok) {
        answerRefused(req, res, admitted.answer);
        return;
      }
      const body = await readJsonObject(req, { maxBytes: alerts.maxBodyInBytes ?? 64 * 1024, maxDepth: limits.maxDepth });
      if (!body.ok) {
        refuse(req, res, body.refusal, LINGER);
        return;
      }
      const answer = await admitted.receive(body.value);
      for (const [name, value] of Object.entries(answer.headers ?? {})) res.header(name, value);
      res.send(answer.status, answer.body);
    } catch (error) {
      logger.error({ err: error }, 'alert failed');
      if (!res.headersSent) res.send(500, { error: 'The alert could not be processed; send it again.' });
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
