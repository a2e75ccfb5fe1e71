/**
 * A load balancer in front of several bot instances, as Azure Front Door or an App Service
 * would be: the emulated Teams posts to it, and it forwards each activity (headers and body
 * untouched) to the backend the current policy picks. It records which backend got what.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type BalancePolicy = 'round-robin' | number;

export interface BalancedHit {
  /** Index of the backend that got it. */
  readonly backend: number;
  readonly type: string;
  /** Invoke name, e.g. adaptiveCard/action. */
  readonly name?: string;
  /** Card action verb, for adaptiveCard/action. */
  readonly verb?: string;
}

export interface LoadBalancer {
  /** e.g. http://127.0.0.1:1234/api/messages — point cloud.teams.botEndpoint here. */
  readonly endpoint: string;
  /** A backend index (always that one) or round-robin. */
  policy: BalancePolicy;
  readonly hits: BalancedHit[];
  stop(): Promise<void>;
}

function describe(body: string): Omit<BalancedHit, 'backend'> {
  try {
    const activity = JSON.parse(body) as { type?: unknown; name?: unknown; value?: { action?: { verb?: unknown } } };
    return {
      type: typeof activity.type === 'string' ? activity.type : '?',
      name: typeof activity.name === 'string' ? activity.name : undefined,
      verb: typeof activity.value?.action?.verb === 'string' ? activity.value.action.verb : undefined,
    };
  } catch {
    return { type: '?' };
  }
}

/** Starts the balancer on 127.0.0.1 in front of `backends` (each a bot base URL, e.g. RunningBot.url). */
export async function startLoadBalancer(backends: readonly (() => string)[], policy: BalancePolicy = 'round-robin'): Promise<LoadBalancer> {
  let next = 0;
  const hits: BalancedHit[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const backend = balancer.policy === 'round-robin' ? next++ % backends.length : balancer.policy;
      hits.push({ backend, ...describe(body) });
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers))
        if (typeof value === 'string' && !['host', 'content-length', 'connection'].includes(name)) headers[name] = value;
      fetch(`${backends[backend]!()}${req.url ?? '/api/messages'}`, {
        method: req.method,
        headers,
        body: req.method === 'GET' ? undefined : body,
      })
        .then(async (answer) => {
          const text = await answer.text();
          res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
          res.end(text);
        })
        .catch(() => {
          res.writeHead(502);
          res.end();
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const balancer: LoadBalancer = {
    endpoint: `http://127.0.0.1:${port}/api/messages`,
    policy,
    hits,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return balancer;
}
