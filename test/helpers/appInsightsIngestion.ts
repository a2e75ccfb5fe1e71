/**
 * An Application Insights ingestion endpoint on loopback, for tests of the real Azure Monitor
 * exporter: it takes what the exporter POSTs to `<IngestionEndpoint>/v2.1/track` (a JSON array of
 * envelopes, gzipped or not), keeps it, and answers as the service does when it accepts them
 * all ({itemsReceived, itemsAccepted, errors: []}). Its connection string points every endpoint
 * here, so nothing goes to Microsoft's cloud.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { PemPair } from '../../emulator/tls';
import { testTls } from './tls';

/** One telemetry item as the exporter sends it (the fields tests read). */
export interface Envelope {
  readonly name: string;
  readonly tags?: Record<string, string>;
  readonly data?: { readonly baseType?: string; readonly baseData?: Record<string, unknown> };
}

export interface Ingestion {
  /** InstrumentationKey plus ingestion and live endpoints on this server. */
  readonly connectionString: string;
  /** Every envelope received so far, in order. */
  envelopes(): Envelope[];
  /** Paths of every request, for "nothing else was asked". */
  readonly paths: string[];
  stop(): Promise<void>;
}

/** A made-up resource's key: a GUID, as the exporter insists. */
const INSTRUMENTATION_KEY = '5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';

/** Starts the endpoint with `tls` (a certificate for 127.0.0.1), the test run's own by default. */
export async function startIngestion(tls?: PemPair): Promise<Ingestion> {
  tls ??= (await testTls()).server;
  const received: Envelope[] = [];
  const paths: string[] = [];
  const server: Server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      paths.push(req.url ?? '');
      if (req.method !== 'POST' || !req.url?.endsWith('/track')) {
        res.writeHead(404).end();
        return;
      }
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      const items = JSON.parse(body.toString('utf8')) as Envelope[];
      received.push(...items);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ itemsReceived: items.length, itemsAccepted: items.length, errors: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    connectionString: `InstrumentationKey=${INSTRUMENTATION_KEY};IngestionEndpoint=${base};LiveEndpoint=${base}`,
    envelopes: () => [...received],
    paths,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
