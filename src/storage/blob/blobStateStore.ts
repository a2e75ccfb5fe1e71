/**
 * StateStore on Azure Blob Storage, for several bot instances behind a load balancer. One block
 * blob per item (`state/<namespace>/<key>`, see blobNames.ts); the blob's ETag is the item's etag.
 * Every write is a conditional request, so compare-and-set holds across instances without locks:
 * - create:  Put Blob with `If-None-Match: *` (only one of two racing creates gets 201);
 * - replace: Put Blob with `If-Match: <etag>`; delete: Delete Blob with `If-Match: <etag>`.
 * Expiry is kept in the blob's metadata (`expiresat`, ms since the epoch) and honoured on every
 * read; an expired blob counts as absent and a create over it is itself a compare-and-set.
 *
 * Ambiguous retries: the SDK retries a request whose answer was lost, so our own write can come
 * back as 409/412. Each write carries a random `writeid` in metadata; on a refusal the store reads
 * the blob back and, if it is our write, reports success — a lost answer never turns a won
 * compare-and-set into a "conflict".
 *
 * Round trips: an ETag names one version of a blob (the service gives a blob a new ETag whenever
 * its content or metadata change: https://learn.microsoft.com/en-us/rest/api/storageservices/specifying-conditional-headers-for-blob-service-operations),
 * and a version's expiry never changes, so the store remembers the expiry of the versions it has read or written ({@link SeenVersions}). A
 * replace or a delete of a version it knows to be live then needs no read first: the conditional
 * request alone decides (one round trip instead of two). Only an unknown or expired version is
 * read first, because an expired item must answer `missing` even when its etag matches.
 */
import { randomUUID } from 'node:crypto';
import type { ContainerClient, Metadata } from '@azure/storage-blob';
import {
  StorageUnavailableError,
  type CreateResult,
  type ListOptions,
  type ReplaceResult,
  type StateStore,
  type StoredItem,
  type WriteOptions,
} from '../../app/ports/stateStore';
import type { Clock } from '../../domain/clock';
import { assertNoSecretLikeContent, serializeWithoutSecrets } from '../secretGuard';
import { attempt, unavailable } from './blobErrors';
import { encodeSegment, keyOfStateBlob, stateBlobName, stateFolder } from './blobNames';

/** How many times a write re-reads and retries when the blob changed under it. */
const MAX_WRITE_ROUNDS = 10;
/** Parallel downloads when listing. */
const LIST_CONCURRENCY = 16;
const HEALTH_BLOB = 'health/readiness';
/** At most this often, a create also removes expired items in the background (like SQLite's lazy sweep). */
const SWEEP_INTERVAL_IN_MS = 15 * 60_000;

export interface BlobStateStoreOptions {
  /** The clock deciding expiry: the one the use cases read, so both agree on what has expired. */
  readonly clock: Clock;
}

/** A blob as read: its JSON body (when downloaded), etag and our metadata. */
interface RawItem {
  readonly etag: string;
  readonly expiresAt?: number;
  readonly writeId?: string;
  readonly writtenAt: string;
  readonly json?: string;
}

let writeCounter = 0;

/** How many blob versions {@link SeenVersions} remembers (the oldest are forgotten first). */
const SEEN_VERSIONS = 10_000;

/**
 * The expiry of blob versions this instance has read or written, by blob name and ETag. A cache of
 * facts that cannot go stale (another write makes another ETag), so it is never invalidated, only
 * bounded.
 */
class SeenVersions {
  private readonly expiries = new Map<string, number | null>();

  remember(name: string, etag: string, expiresAt: number | undefined): void {
    const id = `${etag} ${name}`;
    this.expiries.delete(id);
    this.expiries.set(id, expiresAt ?? null);
    if (this.expiries.size <= SEEN_VERSIONS) return;
    const oldest = this.expiries.keys().next();
    if (oldest.done !== true) this.expiries.delete(oldest.value);
  }

  /** The version's expiry (null: none), or undefined when this instance has not seen it. */
  expiryOf(name: string, etag: string): number | null | undefined {
    return this.expiries.get(`${etag} ${name}`);
  }
}

/**
 * A sortable write stamp (ms since the epoch, then a per-process counter), so `list` can return
 * the most recently written first. Across instances it orders by each instance's clock.
 */
function writeStamp(nowInMs: number): string {
  writeCounter = (writeCounter + 1) % 1_000_000;
  return `${String(nowInMs).padStart(15, '0')}${String(writeCounter).padStart(6, '0')}`;
}

function assertName(what: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(`${what} must be a non-empty string.`);
  assertNoSecretLikeContent(name);
}

function expiryOf(options: WriteOptions | undefined): number | undefined {
  const expiresAt = options?.expiresAt;
  if (expiresAt === undefined) return undefined;
  if (!(expiresAt instanceof Date) || Number.isNaN(expiresAt.getTime())) throw new TypeError('expiresAt must be a valid Date.');
  return expiresAt.getTime();
}

function metadataFor(expiresAt: number | undefined, writeId: string, nowInMs: number): Metadata {
  return { writeid: writeId, writtenat: writeStamp(nowInMs), ...(expiresAt === undefined ? {} : { expiresat: String(expiresAt) }) };
}

function rawFrom(etag: string | undefined, metadata: Metadata | undefined, json?: string): RawItem {
  if (!etag) throw new StorageUnavailableError('Storage answered without an ETag.');
  const expires = metadata?.expiresat === undefined ? undefined : Number(metadata.expiresat);
  return {
    etag,
    expiresAt: Number.isFinite(expires) ? expires : undefined,
    writeId: metadata?.writeid,
    writtenAt: metadata?.writtenat ?? '',
    json,
  };
}

/** A download's body as UTF-8 text. */
export async function readStream(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (!stream) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** {@link StateStore} on one blob container. Create it with openBlobStorage (or directly with a ContainerClient). */
export class BlobStateStore implements StateStore {
  private closed = false;
  private readonly now: () => number;
  private lastSweepAt = 0;
  private sweeping: Promise<unknown> | undefined;
  private readonly seen = new SeenVersions();

  constructor(
    private readonly container: ContainerClient,
    options: BlobStateStoreOptions,
  ) {
    this.now = () => options.clock.now().getTime();
  }

  async get<T>(namespace: string, key: string): Promise<StoredItem<T> | undefined> {
    this.assertOpen('state get');
    assertName('namespace', namespace);
    assertName('key', key);
    const raw = await this.download(stateBlobName(namespace, key), 'state get');
    return raw && this.isLive(raw) ? toItem<T>(raw) : undefined;
  }

  async create<T>(namespace: string, key: string, value: T, options?: WriteOptions): Promise<CreateResult<T>> {
    this.assertOpen('state create');
    assertName('namespace', namespace);
    assertName('key', key);
    const json = serializeWithoutSecrets(value);
    const expiresAt = expiryOf(options);
    const name = stateBlobName(namespace, key);
    this.sweepNowAndThen();
    for (let round = 0; round < MAX_WRITE_ROUNDS; round += 1) {
      const writeId = randomUUID();
      const created = await this.upload(name, json, { ifNoneMatch: '*' }, metadataFor(expiresAt, writeId, this.now()), 'state create');
      if (created.ok) return { ok: true, etag: created.etag };
      const current = await this.download(name, 'state create');
      if (!current) continue; // deleted in between: create again
      if (current.writeId === writeId) return { ok: true, etag: current.etag };
      if (this.isLive(current)) return { ok: false, reason: 'exists', current: toItem<T>(current) };
      // An expired item is absent: take its place, unless someone else does first.
      const overWriteId = randomUUID();
      const replaced = await this.upload(
        name,
        json,
        { ifMatch: current.etag },
        metadataFor(expiresAt, overWriteId, this.now()),
        'state create',
      );
      if (replaced.ok) return { ok: true, etag: replaced.etag };
      const after = await this.properties(name, 'state create');
      if (after?.writeId === overWriteId) return { ok: true, etag: after.etag };
    }
    throw new StorageUnavailableError('Storage unavailable during state create (the item kept changing).');
  }

  async replace<T>(namespace: string, key: string, value: T, etag: string, options?: WriteOptions): Promise<ReplaceResult> {
    this.assertOpen('state replace');
    assertName('namespace', namespace);
    assertName('key', key);
    if (typeof etag !== 'string') throw new TypeError('etag must be a string.');
    const json = serializeWithoutSecrets(value);
    const expiresAt = expiryOf(options);
    const name = stateBlobName(namespace, key);
    const writeId = randomUUID();
    if (!this.knownLive(name, etag)) {
      // Read first: an expired item must answer `missing` even when its etag matches.
      const current = await this.properties(name, 'state replace');
      if (!current || !this.isLive(current)) return { ok: false, reason: 'missing' };
      if (current.etag !== etag) return { ok: false, reason: 'conflict' };
    }
    const written = await this.upload(name, json, { ifMatch: etag }, metadataFor(expiresAt, writeId, this.now()), 'state replace');
    if (written.ok) return { ok: true, etag: written.etag };
    // Refused: our own write whose answer was lost, or another version now (or none).
    const after = await this.properties(name, 'state replace');
    if (after?.writeId === writeId) return { ok: true, etag: after.etag };
    return after && this.isLive(after) ? { ok: false, reason: 'conflict' } : { ok: false, reason: 'missing' };
  }

  async delete(namespace: string, key: string, etag?: string): Promise<boolean> {
    this.assertOpen('state delete');
    assertName('namespace', namespace);
    assertName('key', key);
    if (etag !== undefined && typeof etag !== 'string') throw new TypeError('etag must be a string when given.');
    const name = stateBlobName(namespace, key);
    if (etag !== undefined && this.knownLive(name, etag)) {
      // A live version we know: the conditional delete alone decides.
      return (await this.remove(name, etag, 'state delete')) === 'deleted';
    }
    for (let round = 0; round < MAX_WRITE_ROUNDS; round += 1) {
      const current = await this.properties(name, 'state delete');
      if (!current) return false;
      if (!this.isLive(current)) {
        await this.remove(name, current.etag, 'state delete'); // tidy up; the item was already absent
        return false;
      }
      if (etag !== undefined && current.etag !== etag) return false;
      const removed = await this.remove(name, current.etag, 'state delete');
      if (removed !== 'condition_not_met') return removed === 'deleted';
      if (etag !== undefined) return false;
    }
    throw new StorageUnavailableError('Storage unavailable during state delete (the item kept changing).');
  }

  async list<T>(namespace: string, options: ListOptions = {}): Promise<(StoredItem<T> & { key: string })[]> {
    this.assertOpen('state list');
    assertName('namespace', namespace);
    const { limit, keyPrefix } = options;
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) throw new TypeError('limit must be a non-negative integer.');
    if (keyPrefix !== undefined && typeof keyPrefix !== 'string') throw new TypeError('keyPrefix must be a string.');
    if (limit === 0) return [];
    const prefix = `${stateFolder(namespace)}${encodeSegment(keyPrefix ?? '')}`;
    const listed: (RawItem & { name: string })[] = [];
    try {
      for await (const blob of this.container.listBlobsFlat({ prefix, includeMetadata: true })) {
        listed.push({ name: blob.name, ...rawFrom(blob.properties.etag, blob.metadata) });
      }
    } catch (error) {
      throw unavailable(error, 'state list');
    }
    const live = listed
      .filter((item) => this.isLive(item))
      .sort((a, b) => (a.writtenAt < b.writtenAt ? 1 : a.writtenAt > b.writtenAt ? -1 : 0));
    const chosen = limit === undefined ? live : live.slice(0, limit);
    const items: ((StoredItem<T> & { key: string }) | undefined)[] = [];
    for (let i = 0; i < chosen.length; i += LIST_CONCURRENCY) {
      const batch = await Promise.all(
        chosen.slice(i, i + LIST_CONCURRENCY).map(async (item) => {
          const raw = await this.download(item.name, 'state list');
          // Gone or expired since the listing: leave it out.
          return raw && this.isLive(raw) ? { key: keyOfStateBlob(namespace, item.name), ...toItem<T>(raw) } : undefined;
        }),
      );
      items.push(...batch);
    }
    return items.filter((item): item is StoredItem<T> & { key: string } => item !== undefined);
  }

  /** Deletes every expired item (all namespaces), each only if unchanged since listed; returns how many. */
  async sweepExpired(): Promise<number> {
    this.assertOpen('state sweep');
    let removed = 0;
    try {
      for await (const blob of this.container.listBlobsFlat({ prefix: 'state/', includeMetadata: true })) {
        const raw = rawFrom(blob.properties.etag, blob.metadata);
        if (!this.isLive(raw) && (await this.remove(blob.name, raw.etag, 'state sweep')) === 'deleted') removed += 1;
      }
    } catch (error) {
      throw unavailable(error, 'state sweep');
    }
    return removed;
  }

  /** Resolves when a write to the container lands and reads back. */
  async check(): Promise<void> {
    this.assertOpen('state check');
    const stamp = `${this.now()}-${randomUUID()}`;
    const written = await this.upload(HEALTH_BLOB, JSON.stringify({ stamp }), {}, {}, 'state check');
    if (!written.ok) throw new StorageUnavailableError('Storage unavailable: the readiness write was refused.');
    const read = await this.download(HEALTH_BLOB, 'state check');
    if (!read?.json?.includes(stamp)) throw new StorageUnavailableError('Storage unavailable: the readiness write did not read back.');
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.settled();
  }

  /** Resolves once no background sweep is in flight (close waits for it; tests count its requests). */
  async settled(): Promise<void> {
    while (this.sweeping) await this.sweeping;
  }

  /** Starts a background sweep when the last one is old enough; expired blobs would otherwise pile up. */
  private sweepNowAndThen(): void {
    const now = this.now();
    if (this.sweeping || now - this.lastSweepAt < SWEEP_INTERVAL_IN_MS) return;
    this.lastSweepAt = now;
    this.sweeping = this.sweepExpired()
      .catch(() => 0) // best effort: the next sweep tries again
      .finally(() => {
        this.sweeping = undefined;
      });
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new StorageUnavailableError(`Storage unavailable during ${operation} (closed).`);
  }

  private isLive(item: RawItem): boolean {
    return item.expiresAt === undefined || item.expiresAt > this.now();
  }

  /** Whether version `etag` of blob `name` is one this instance has seen, and live now. */
  private knownLive(name: string, etag: string): boolean {
    const expiresAt = this.seen.expiryOf(name, etag);
    return expiresAt !== undefined && (expiresAt === null || expiresAt > this.now());
  }

  private remember(name: string, item: RawItem): RawItem {
    this.seen.remember(name, item.etag, item.expiresAt);
    return item;
  }

  private async download(name: string, operation: string): Promise<RawItem | undefined> {
    const result = await attempt(operation, async () => {
      const response = await this.container.getBlobClient(name).download(0);
      return rawFrom(response.etag, response.metadata, await readStream(response.readableStreamBody));
    });
    if (result.ok) return this.remember(name, result.value);
    if (result.refused === 'not_found') return undefined;
    throw unavailable(undefined, operation);
  }

  private async properties(name: string, operation: string): Promise<RawItem | undefined> {
    const result = await attempt(operation, async () => {
      const response = await this.container.getBlobClient(name).getProperties();
      return rawFrom(response.etag, response.metadata);
    });
    if (result.ok) return this.remember(name, result.value);
    if (result.refused === 'not_found') return undefined;
    throw unavailable(undefined, operation);
  }

  private async upload(
    name: string,
    json: string,
    conditions: { ifMatch?: string; ifNoneMatch?: string },
    metadata: Metadata,
    operation: string,
  ): Promise<{ ok: true; etag: string } | { ok: false }> {
    const result = await attempt(operation, () =>
      this.container.getBlockBlobClient(name).upload(json, Buffer.byteLength(json), {
        conditions,
        metadata,
        blobHTTPHeaders: { blobContentType: 'application/json; charset=utf-8' },
      }),
    );
    // 404 here means the blob vanished under an If-Match (a missing container is not a refusal).
    if (!result.ok) return { ok: false };
    if (!result.value.etag) throw new StorageUnavailableError(`Storage unavailable during ${operation} (no ETag in the answer).`);
    this.remember(name, rawFrom(result.value.etag, metadata));
    return { ok: true, etag: result.value.etag };
  }

  private async remove(name: string, etag: string, operation: string): Promise<'deleted' | 'not_found' | 'condition_not_met'> {
    const result = await attempt(operation, () => this.container.getBlobClient(name).delete({ conditions: { ifMatch: etag } }));
    if (result.ok) return 'deleted';
    return result.refused === 'not_found' ? 'not_found' : 'condition_not_met';
  }
}

function toItem<T>(raw: RawItem): StoredItem<T> {
  if (raw.json === undefined) throw new Error('toItem needs a downloaded body.');
  let value: T;
  try {
    value = JSON.parse(raw.json) as T;
  } catch (error) {
    throw new StorageUnavailableError('Storage unavailable: a stored item is not valid JSON.', { cause: error });
  }
  return { value, etag: raw.etag };
}
