/**
 * A loopback HTTP proxy in front of Azurite that counts the requests reaching the service — the
 * round trips a store makes, retries included — by kind, and can hold some of them back until
 * released (to show what a caller does not wait for). The SDK signs the account-relative path,
 * not the host, so a connection string pointing at the proxy works unchanged.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Azurite } from '../helpers/azurite';

export interface BlobRequestCounter {
  /** Azurite's connection string, with the proxy as the blob endpoint. */
  readonly connectionString: string;
  /** Requests since the last reset, by kind ("PUT state", "GET audit-head", "HEAD audit"…). */
  counts(): Record<string, number>;
  reset(): void;
  /** Holds back every request of `kind` (kept in order) until the answer is called, which lets them through. */
  hold(kind: string): () => void;
  close(): Promise<void>;
}

/** "<method> <what>": what is the first segment of the blob name (state, audit, audit-head, health), or "container"/"list". */
export function requestKind(method: string, url: string): string {
  const { pathname, searchParams } = new URL(url, 'http://proxy');
  const [, , , ...blob] = pathname.split('/');
  if (searchParams.get('comp') === 'list') return `${method} list`;
  return `${method} ${blob.length === 0 ? 'container' : decodeURIComponent(blob[0] ?? '')}`;
}

export async function startBlobRequestCounter(azurite: Azurite): Promise<BlobRequestCounter> {
  const target = new URL(azurite.blobEndpoint);
  let counts: Record<string, number> = {};
  const held = new Map<string, (() => void)[] | undefined>();
  const server = http.createServer((req, res) => {
    const kind = requestKind(req.method ?? 'GET', req.url ?? '/');
    counts[kind] = (counts[kind] ?? 0) + 1;
    const forward = (): void => {
      const upstream = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    };
    const queue = held.get(kind);
    if (queue) queue.push(forward);
    else forward();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}${target.pathname}`;
  return {
    connectionString: azurite.connectionString.replace(`BlobEndpoint=${azurite.blobEndpoint}`, `BlobEndpoint=${endpoint}`),
    counts: () => ({ ...counts }),
    reset: () => {
      counts = {};
    },
    hold(kind) {
      held.set(kind, held.get(kind) ?? []);
      return () => {
        const queue = held.get(kind) ?? [];
        held.delete(kind);
        for (const forward of queue) forward();
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
