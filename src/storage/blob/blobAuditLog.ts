/**
 * AuditLog on Azure Blob Storage: append-only, ordered, and shared by every instance.
 *
 * Design: one block blob per record, named by its sequence number and created with
 * `If-None-Match: *`. A record can therefore be written once and never overwritten: two instances
 * that pick the same number race on a create that only one wins; the loser moves to the next
 * number. Nothing in this module ever issues an unconditional write or a delete under `audit/`
 * (production: add a container immutability policy or version-level WORM to make that a
 * guarantee of the service, not only of this code).
 *
 * - Order: an appender only takes number n+1 after seeing n exist (a 409), so numbers are dense
 *   and follow real time: record n+1 was created after record n.
 * - Finding the end: `audit-head` holds a hint (the last number some instance appended),
 *   advanced with compare-and-set after each append and never relied on: the true end is found by
 *   probing the record blobs forward from the hint (doubling, then bisecting).
 * - Names: `audit/<12-digit inverted bucket>/<15-digit inverted seq>`, buckets of 1000. Inverting
 *   makes the service's ascending name order newest-first, and a bucket is one prefix listing, so
 *   `before` paging jumps straight to its bucket instead of scanning from the start.
 * - Filters: tenant, actor, target and request ids travel in each blob's metadata, so filtering
 *   reads listings (up to 1000 records per call) and downloads only the records it returns.
 * - Lost answers: the record id is in the metadata too; if a create comes back 409 and the blob
 *   holds our id, the SDK's retry met our own first attempt, which landed.
 * - Durability: a record is durable once the service acknowledges the Put Blob (Azure commits it
 *   to its replicas before answering), before append resolves.
 */
import { randomUUID } from 'node:crypto';
import type { ContainerClient, Metadata } from '@azure/storage-blob';
import type { AuditEntry, AuditFilter, AuditLog, AuditRecord } from '../../app/ports/auditLog';
import { StorageUnavailableError } from '../../app/ports/stateStore';
import { serializeWithoutSecrets } from '../secretGuard';
import { DEFAULT_AUDIT_PAGE_SIZE, MAX_AUDIT_PAGE_SIZE, normalizeAuditEntry } from '../sqliteAuditLog';
import { attempt, unavailable } from './blobErrors';

export const AUDIT_PREFIX = 'audit/';
export const AUDIT_HEAD = 'audit-head';
const BUCKET_SIZE = 1000;
const MAX_SEQ = 999_999_999_999_999; // 15 digits
const MAX_BUCKET = Math.floor(MAX_SEQ / BUCKET_SIZE);
const MAX_APPEND_ROUNDS = 10_000;
const DOWNLOAD_CONCURRENCY = 16;

function bucketPrefix(bucket: number): string {
  return `${AUDIT_PREFIX}${String(MAX_BUCKET - bucket).padStart(12, '0')}/`;
}

/** The blob name of record `seq`. */
export function auditRecordName(seq: number): string {
  return `${bucketPrefix(Math.floor(seq / BUCKET_SIZE))}${String(MAX_SEQ - seq).padStart(15, '0')}`;
}

function seqOfName(name: string): number {
  return MAX_SEQ - Number(name.slice(name.lastIndexOf('/') + 1));
}

function encodeMeta(value: string | undefined): string | undefined {
  return value === undefined ? undefined : encodeURIComponent(value);
}

function metadataOf(record: AuditRecord): Metadata {
  const entries: [string, string | undefined][] = [
    ['recordid', record.id],
    ['seq', String(record.seq)],
    ['tenant', encodeMeta(record.tenantId)],
    ['action', encodeMeta(record.action)],
    ['actor', encodeMeta(record.actor?.aadObjectId)],
    ['target', encodeMeta(record.target?.id)],
    ['request', encodeMeta(record.requestId)],
  ];
  return Object.fromEntries(entries.filter((entry): entry is [string, string] => entry[1] !== undefined));
}

function matches(metadata: Metadata | undefined, filter: AuditFilter): boolean {
  const is = (field: string, wanted: string | undefined): boolean => {
    if (wanted === undefined) return true;
    if (typeof wanted !== 'string') throw new TypeError(`Audit filter on ${field} must be a string.`);
    const stored = metadata?.[field];
    return stored !== undefined && decodeURIComponent(stored) === wanted;
  };
  return is('tenant', filter.tenantId) && is('actor', filter.actorId) && is('target', filter.targetId) && is('request', filter.requestId);
}

function cursor(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new TypeError(`${name} must be an integer.`);
  return value;
}

async function readStream(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (!stream) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** {@link AuditLog} on one blob container. */
export class BlobAuditLog implements AuditLog {
  private closed = false;
  /** The last number this instance appended or saw: where the next append starts looking. */
  private lastSeq: number | undefined;

  constructor(private readonly container: ContainerClient) {}

  async append(entry: AuditEntry): Promise<AuditRecord> {
    this.assertOpen('audit append');
    const normalized = normalizeAuditEntry(entry);
    serializeWithoutSecrets(normalized); // refuses secrets (SecretLikeValueError) before anything is written
    const id = randomUUID();
    let seq = (this.lastSeq ?? (await this.readHead())) + 1;
    for (let round = 0; round < MAX_APPEND_ROUNDS; round += 1) {
      if (seq > MAX_SEQ) throw new StorageUnavailableError('Storage unavailable during audit append (sequence exhausted).');
      const record: AuditRecord = { ...normalized, seq, id };
      const body = JSON.stringify(record);
      const name = auditRecordName(seq);
      const created = await attempt('audit append', () =>
        this.container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body), {
          conditions: { ifNoneMatch: '*' },
          metadata: metadataOf(record),
          blobHTTPHeaders: { blobContentType: 'application/json; charset=utf-8' },
        }),
      );
      if (created.ok || (await this.recordIdAt(name)) === id) {
        this.lastSeq = Math.max(this.lastSeq ?? 0, seq);
        await this.advanceHead(seq);
        return record;
      }
      // Taken: try the next number; after a few misses, jump to what the hint says.
      seq += 1;
      if (round % 4 === 3) seq = Math.max(seq, (await this.readHead()) + 1);
    }
    throw new StorageUnavailableError('Storage unavailable during audit append (no free sequence number found).');
  }

  async list(filter: AuditFilter = {}): Promise<AuditRecord[]> {
    this.assertOpen('audit list');
    const limit = cursor('limit', filter.limit) ?? DEFAULT_AUDIT_PAGE_SIZE;
    if (limit < 0) throw new TypeError('limit must not be negative.');
    const before = cursor('before', filter.before);
    const wanted = Math.min(limit, MAX_AUDIT_PAGE_SIZE);
    matches(undefined, { ...filter }); // validates the filter's types even when nothing is stored
    if (wanted === 0) return [];
    const start = before !== undefined ? Math.min(before - 1, MAX_SEQ) : await this.top();
    const names: string[] = [];
    for (let bucket = Math.floor(Math.max(start, 0) / BUCKET_SIZE); start >= 1 && bucket >= 0 && names.length < wanted; bucket -= 1) {
      try {
        for await (const blob of this.container.listBlobsFlat({ prefix: bucketPrefix(bucket), includeMetadata: true })) {
          if (seqOfName(blob.name) > start || !matches(blob.metadata, filter)) continue;
          names.push(blob.name);
          if (names.length >= wanted) break;
        }
      } catch (error) {
        throw unavailable(error, 'audit list');
      }
    }
    const records: AuditRecord[] = [];
    for (let i = 0; i < names.length; i += DOWNLOAD_CONCURRENCY) {
      records.push(...(await Promise.all(names.slice(i, i + DOWNLOAD_CONCURRENCY).map((name) => this.readRecord(name)))));
    }
    return records;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** The highest record number that exists (0 when the log is empty). */
  async top(): Promise<number> {
    let low = Math.max(await this.readHead(), this.lastSeq ?? 0);
    if (!(await this.exists(low + 1))) return low;
    // Gallop forward from the hint, then bisect: `low` exists, `high` does not.
    low += 1;
    let step = 1;
    let high = low + step;
    while (await this.exists(high)) {
      low = high;
      step *= 2;
      high = Math.min(low + step, MAX_SEQ + 1);
    }
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (await this.exists(middle)) low = middle;
      else high = middle;
    }
    this.lastSeq = Math.max(this.lastSeq ?? 0, low);
    return low;
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new StorageUnavailableError(`Storage unavailable during ${operation} (closed).`);
  }

  private async exists(seq: number): Promise<boolean> {
    if (seq < 1 || seq > MAX_SEQ) return false;
    return (await this.recordIdAt(auditRecordName(seq))) !== undefined;
  }

  private async recordIdAt(name: string): Promise<string | undefined> {
    const result = await attempt('audit read', () => this.container.getBlobClient(name).getProperties());
    if (result.ok) return result.value.metadata?.recordid ?? '';
    if (result.refused === 'not_found') return undefined;
    throw unavailable(undefined, 'audit read');
  }

  private async readRecord(name: string): Promise<AuditRecord> {
    const result = await attempt('audit list', async () => readStream((await this.container.getBlobClient(name).download(0)).readableStreamBody));
    if (!result.ok) throw new StorageUnavailableError('Storage unavailable during audit list (a listed record could not be read).');
    try {
      return JSON.parse(result.value) as AuditRecord;
    } catch (error) {
      throw new StorageUnavailableError('Storage unavailable during audit list (a record is not valid JSON).', { cause: error });
    }
  }

  private async readHead(): Promise<number> {
    return (await this.head()).seq;
  }

  private async head(): Promise<{ seq: number; etag?: string }> {
    const result = await attempt('audit head', async () => {
      const response = await this.container.getBlobClient(AUDIT_HEAD).download(0);
      return { text: await readStream(response.readableStreamBody), etag: response.etag };
    });
    if (!result.ok) {
      if (result.refused === 'not_found') return { seq: 0 };
      throw unavailable(undefined, 'audit head');
    }
    const seq = Number((JSON.parse(result.value.text) as { seq?: unknown }).seq);
    return { seq: Number.isSafeInteger(seq) && seq >= 0 ? seq : 0, etag: result.value.etag };
  }

  /** Moves the hint forward to `seq` (compare-and-set; never backwards). Best effort: the hint is never trusted. */
  private async advanceHead(seq: number): Promise<void> {
    try {
      for (let round = 0; round < 3; round += 1) {
        const current = await this.head();
        if (current.seq >= seq) return;
        const body = JSON.stringify({ seq });
        const written = await attempt('audit head', () =>
          this.container.getBlockBlobClient(AUDIT_HEAD).upload(body, Buffer.byteLength(body), { conditions: current.etag ? { ifMatch: current.etag } : { ifNoneMatch: '*' } }),
        );
        if (written.ok) return;
      }
    } catch {
      // The record itself is durable; a stale hint only costs the next appender a few probes.
    }
  }
}
