/**
 * AuditLog on Azure Blob Storage: append-only, hash-chained, ordered, and shared by every instance.
 *
 * Design: the audit trail has its own container (so an immutability policy can be put on it
 * without freezing state). One block blob per record, named by its sequence number and created
 * with `If-None-Match: *`. A record can therefore be written once and never overwritten: two
 * instances that pick the same number race on a create that only one wins. Nothing in this module
 * ever issues an unconditional write or a delete in the audit container; a time-based retention
 * (WORM) policy on it makes that a guarantee of the service, not only of this code
 * (docs/going-live.md says how).
 *
 * - Chain: record n carries record n-1's hash (src/storage/auditChain.ts). An appender reads record
 *   n before it creates n+1, so numbers are dense and the chain is linear: the loser of a race for
 *   n+1 reads the winner's record and chains onto it at n+2.
 * - Finding the end: a hint blob in the *state* container (it is rewritten, which a WORM policy
 *   would refuse) holds the last number some instance appended, advanced with compare-and-set
 *   after appends and never relied on: the true end is found by probing the record blobs from the
 *   hint (doubling, then bisecting). So an append does not wait for it, nor move it every time:
 *   once this instance's appends are HINT_STRIDE ahead of the hint (and when it closes), the hint
 *   moves in the background, one update at a time, as a conditional write on the ETag this
 *   instance last saw (no read first). An append is one round trip (Put Blob of its record) once
 *   the instance knows the end; a new instance probes at most a few more records to find it.
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
import { AuditRecordRejectedError, type AuditEntry, type AuditFilter, type AuditLog, type AuditRecord } from '../../app/ports/auditLog';
import { isStorageUnavailable, StorageUnavailableError } from '../../app/ports/stateStore';
import { chainRecord, GENESIS_HASH, type AuditChainSource, type StoredAuditRecord } from '../auditChain';
import { auditCursor, DEFAULT_AUDIT_PAGE_SIZE, MAX_AUDIT_PAGE_SIZE, normalizeAuditEntry } from '../auditEntry';
import { serializeWithoutSecrets } from '../secretGuard';
import { attempt, refusalOf, statusOf, unavailable } from './blobErrors';
import { readStream } from './blobStateStore';

export const AUDIT_PREFIX = 'audit/';
const BUCKET_SIZE = 1000;
const MAX_SEQ = 999_999_999_999_999; // 15 digits
const MAX_BUCKET = Math.floor(MAX_SEQ / BUCKET_SIZE);
const MAX_APPEND_ROUNDS = 10_000;
const DOWNLOAD_CONCURRENCY = 16;
const RECORD_NAME = /^audit\/(\d{12})\/(\d{15})$/;
/** How far this instance's appends may run ahead of the hint before it moves it. */
export const HINT_STRIDE = 16;

/** The hint blob's name in the state container, one per audit container. */
export function auditHeadName(auditContainer: string): string {
  return `audit-head/${auditContainer}`;
}

function bucketPrefix(bucket: number): string {
  return `${AUDIT_PREFIX}${String(MAX_BUCKET - bucket).padStart(12, '0')}/`;
}

/** The blob name of record `seq`. */
export function auditRecordName(seq: number): string {
  return `${bucketPrefix(Math.floor(seq / BUCKET_SIZE))}${String(MAX_SEQ - seq).padStart(15, '0')}`;
}

/** The record number a blob name stands for, or undefined for a name the log never writes. */
export function seqOfRecordName(name: string): number | undefined {
  const match = RECORD_NAME.exec(name);
  if (!match) return undefined;
  const seq = MAX_SEQ - Number(match[2]);
  return seq >= 1 && MAX_BUCKET - Number(match[1]) === Math.floor(seq / BUCKET_SIZE) ? seq : undefined;
}

function encodeMeta(value: string | undefined): string | undefined {
  return value === undefined ? undefined : encodeURIComponent(value);
}

/** The metadata a record's blob carries. */
export function auditMetadataOf(record: AuditRecord): Metadata {
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

/** The metadata keys that disagree with the record (they decide what filters find). */
function disagreeingMetadata(metadata: Metadata | undefined, record: AuditRecord): string[] {
  const expected = auditMetadataOf(record);
  const keys = new Set([...Object.keys(expected), ...Object.keys(metadata ?? {})]);
  return [...keys].filter((key) => metadata?.[key] !== expected[key]).sort();
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

/** A record's place in the chain: what the next record chains onto. */
interface Link {
  readonly seq: number;
  readonly hash: string;
}

const GENESIS: Link = { seq: 0, hash: GENESIS_HASH };

/** {@link AuditLog} on its own blob container; the end-of-log hint lives in `hints` (the state container). */
export class BlobAuditLog implements AuditLog, AuditChainSource {
  private closed = false;
  /** The last record this instance appended or read: where the next append starts. */
  private lastLink: Link | undefined;
  /** The hint as this instance last wrote or read it (no etag: it did not exist); undefined: read it first. */
  private knownHead: { seq: number; etag?: string } | undefined;
  /** The highest number this instance appended, which the hint should reach. */
  private wantedHead = 0;
  /** The hint update in flight, if any. */
  private advancing: Promise<void> | undefined;

  constructor(
    readonly container: ContainerClient,
    private readonly hints: ContainerClient,
  ) {}

  async append(entry: AuditEntry): Promise<AuditRecord> {
    this.assertOpen('audit append');
    const normalized = normalizeAuditEntry(entry);
    serializeWithoutSecrets(normalized); // refuses secrets (SecretLikeValueError) before anything is written
    const id = randomUUID();
    let prev = this.lastLink ?? (await this.linkAt(await this.top()));
    for (let round = 0; round < MAX_APPEND_ROUNDS; round += 1) {
      const seq = prev.seq + 1;
      if (seq > MAX_SEQ) throw new StorageUnavailableError('Storage unavailable during audit append (sequence exhausted).');
      const record = chainRecord(normalized, seq, id, prev.hash);
      const created = await this.create(auditRecordName(seq), record);
      // A 409 on a record holding our id: the SDK's retry met our own first attempt, which landed.
      const winner = created ? record : await this.readRecord(auditRecordName(seq));
      if (winner === record || (winner as { id?: unknown }).id === id) {
        this.lastLink = { seq, hash: record.hash };
        this.advanceHeadLater(seq);
        return record;
      }
      // Taken by another instance: chain onto the record that won; after a few misses, jump to the end.
      prev = round % 4 === 3 ? await this.linkAt(await this.top()) : this.linkOf(seq, winner);
    }
    throw new StorageUnavailableError('Storage unavailable during audit append (no free sequence number found).');
  }

  async list(filter: AuditFilter = {}): Promise<AuditRecord[]> {
    this.assertOpen('audit list');
    const limit = auditCursor('limit', filter.limit) ?? DEFAULT_AUDIT_PAGE_SIZE;
    if (limit < 0) throw new TypeError('limit must not be negative.');
    const before = auditCursor('before', filter.before);
    const wanted = Math.min(limit, MAX_AUDIT_PAGE_SIZE);
    matches(undefined, { ...filter }); // validates the filter's types even when nothing is stored
    if (wanted === 0) return [];
    const start = before !== undefined ? Math.min(before - 1, MAX_SEQ) : await this.top();
    const names: string[] = [];
    for (let bucket = Math.floor(Math.max(start, 0) / BUCKET_SIZE); start >= 1 && bucket >= 0 && names.length < wanted; bucket -= 1) {
      try {
        for await (const blob of this.container.listBlobsFlat({ prefix: bucketPrefix(bucket), includeMetadata: true })) {
          const seq = seqOfRecordName(blob.name);
          if (seq === undefined || seq > start || !matches(blob.metadata, filter)) continue;
          names.push(blob.name);
          if (names.length >= wanted) break;
        }
      } catch (error) {
        throw unavailable(error, 'audit list');
      }
    }
    const records: AuditRecord[] = [];
    for (let i = 0; i < names.length; i += DOWNLOAD_CONCURRENCY) {
      records.push(
        ...(await Promise.all(names.slice(i, i + DOWNLOAD_CONCURRENCY).map(async (name) => (await this.readRecord(name)) as AuditRecord))),
      );
    }
    return records;
  }

  /** Leaves the hint at the last record this instance appended, then stops. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.wantedHead > (this.knownHead?.seq ?? 0)) this.startAdvancing();
    await this.settled();
  }

  /** Resolves once no hint update is in flight (close waits for it; tests count its requests). */
  async settled(): Promise<void> {
    while (this.advancing) await this.advancing;
  }

  /** The highest record number that exists (0 when the log is empty). */
  async top(): Promise<number> {
    let low = Math.max(await this.readHead(), this.lastLink?.seq ?? 0);
    if (low > 0 && !(await this.exists(low))) {
      // The hint is ahead of the records (it is only a hint): bisect below it.
      let high = low;
      low = 0;
      while (high - low > 1) {
        const middle = Math.floor((low + high) / 2);
        if (await this.exists(middle)) low = middle;
        else high = middle;
      }
      return low;
    }
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
    return low;
  }

  async guardProblems(): Promise<string[]> {
    this.assertOpen('audit verify');
    const strays: string[] = [];
    try {
      for await (const blob of this.container.listBlobsFlat()) {
        if (seqOfRecordName(blob.name) === undefined) strays.push(blob.name);
        if (strays.length >= 10) break;
      }
    } catch (error) {
      throw unavailable(error, 'audit verify');
    }
    return strays.map((name) => `the audit container holds a blob the bot never writes: ${JSON.stringify(name)}`);
  }

  /** Whether a time-based retention policy or a legal hold covers the audit container. */
  async notes(): Promise<string[]> {
    this.assertOpen('audit verify');
    const result = await attempt('audit verify', () => this.container.getProperties());
    if (!result.ok) throw unavailable(undefined, 'audit verify');
    const { hasImmutabilityPolicy, hasLegalHold } = result.value;
    if (hasImmutabilityPolicy || hasLegalHold) {
      return [
        `the audit container ${this.container.containerName} is under ${hasImmutabilityPolicy ? 'a time-based retention policy' : 'a legal hold'}: the service refuses to change or delete its records.`,
      ];
    }
    return [
      `the audit container ${this.container.containerName} has no immutability policy: anyone with the account key can change or delete records (the chain shows it). docs/going-live.md says how to add one.`,
    ];
  }

  async *stored(): AsyncIterable<StoredAuditRecord> {
    this.assertOpen('audit verify');
    let top = 0;
    try {
      // Inverted names list newest first: the first record name is the highest number.
      for await (const blob of this.container.listBlobsFlat({ prefix: AUDIT_PREFIX })) {
        const seq = seqOfRecordName(blob.name);
        if (seq === undefined) continue;
        top = seq;
        break;
      }
    } catch (error) {
      throw unavailable(error, 'audit verify');
    }
    let expected = 1;
    for (let bucket = 0; top > 0 && bucket <= Math.floor(top / BUCKET_SIZE); bucket += 1) {
      const listed: { seq: number; name: string; metadata?: Metadata }[] = [];
      try {
        for await (const blob of this.container.listBlobsFlat({ prefix: bucketPrefix(bucket), includeMetadata: true })) {
          const seq = seqOfRecordName(blob.name);
          if (seq !== undefined) listed.push({ seq, name: blob.name, metadata: blob.metadata });
        }
      } catch (error) {
        throw unavailable(error, 'audit verify');
      }
      listed.sort((a, b) => a.seq - b.seq);
      if (listed.length === 0) {
        // A whole bucket gone: report it here rather than walk on through empty buckets to the top
        // (a forged blob with a huge number must not make the walk endless).
        yield {
          position: expected,
          problem: `record ${expected} is missing (nothing is stored from there to ${bucket * BUCKET_SIZE + BUCKET_SIZE - 1})`,
        };
        return;
      }
      for (let i = 0; i < listed.length; i += DOWNLOAD_CONCURRENCY) {
        const batch = listed.slice(i, i + DOWNLOAD_CONCURRENCY);
        const texts = await Promise.all(batch.map((item) => this.readBody(item.name)));
        for (const [index, item] of batch.entries()) {
          let body: unknown;
          try {
            body = JSON.parse(texts[index] ?? '') as unknown;
          } catch {
            expected = item.seq + 1;
            yield { position: item.seq, problem: 'the record is not valid JSON' };
            continue;
          }
          expected = item.seq + 1;
          const wrong = typeof body === 'object' && body !== null ? disagreeingMetadata(item.metadata, body as AuditRecord) : [];
          yield wrong.length > 0
            ? {
                position: item.seq,
                record: body,
                problem: `the blob's metadata disagrees with the record (${wrong.join(', ')}): filters would be misled`,
              }
            : { position: item.seq, record: body };
        }
      }
    }
  }

  /**
   * Before the audit trail had its own container, its records lived under `audit/` in the state
   * container, without hashes. This copies them into this container as the start of the chain:
   * same numbers, ids and content, each now with prevHash and hash. The copy is deterministic, so
   * instances starting together write identical blobs, and it is done once: when record N (the
   * last legacy one) is already here with the same id, nothing is read. The legacy blobs are left
   * where they are. Returns how many records it copied.
   *
   * @throws StorageUnavailableError when a legacy record is missing or unreadable, or this
   *   container already holds a different record at one of their numbers (an old instance kept
   *   writing to the state container after an upgraded one started: stop old instances first).
   */
  async adoptLegacyRecords(state: ContainerClient): Promise<number> {
    this.assertOpen('audit adopt');
    let last: number | undefined;
    try {
      for await (const blob of state.listBlobsFlat({ prefix: AUDIT_PREFIX })) {
        last = seqOfRecordName(blob.name);
        if (last !== undefined) break;
      }
    } catch (error) {
      throw unavailable(error, 'audit adopt');
    }
    if (last === undefined) return 0;
    const legacyIdAtLast = await attempt('audit adopt', () => state.getBlobClient(auditRecordName(last)).getProperties());
    if (legacyIdAtLast.ok && (await this.recordIdAt(auditRecordName(last))) === legacyIdAtLast.value.metadata?.recordid) return 0;
    const legacy = new BlobAuditLog(state, this.hints);
    let prevHash = GENESIS_HASH;
    let copied = 0;
    for (let first = 1; first <= last; first += DOWNLOAD_CONCURRENCY) {
      const seqs = Array.from({ length: Math.min(DOWNLOAD_CONCURRENCY, last - first + 1) }, (_, i) => first + i);
      const bodies = await Promise.all(seqs.map((seq) => legacy.readRecord(auditRecordName(seq))));
      const records = seqs.map((seq, i) => {
        const { seq: _seq, id, prevHash: _prev, hash: _hash, ...entry } = (bodies[i] ?? {}) as Record<string, unknown>;
        if (typeof id !== 'string')
          throw new StorageUnavailableError(`Storage unavailable during audit adopt (legacy record ${seq} has no id).`);
        const record = chainRecord(normalizeAuditEntry(entry as unknown as AuditEntry), seq, id, prevHash);
        prevHash = record.hash;
        return record;
      });
      const created = await Promise.all(records.map((record) => this.create(auditRecordName(record.seq), record)));
      for (const [i, record] of records.entries()) {
        if (created[i]) {
          copied += 1;
          continue;
        }
        const existing = (await this.readRecord(auditRecordName(record.seq))) as Partial<AuditRecord>;
        if (existing.id !== record.id || existing.hash !== record.hash) {
          throw new StorageUnavailableError(
            `Storage unavailable during audit adopt (the audit container already holds a different record ${record.seq}; an instance of an older version kept writing audit records to the state container).`,
          );
        }
      }
    }
    return copied;
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new StorageUnavailableError(`Storage unavailable during ${operation} (closed).`);
  }

  /**
   * Creates record `name` if absent; false when it exists. A refusal of the record itself (400:
   * metadata or headers the service will not take; 413: too large) is AuditRecordRejectedError.
   */
  private async create(name: string, record: AuditRecord): Promise<boolean> {
    const body = JSON.stringify(record);
    try {
      await this.container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body), {
        conditions: { ifNoneMatch: '*' },
        metadata: auditMetadataOf(record),
        blobHTTPHeaders: { blobContentType: 'application/json; charset=utf-8' },
      });
      return true;
    } catch (error) {
      if (refusalOf(error) === 'already_exists' || refusalOf(error) === 'condition_not_met') return false;
      const status = statusOf(error);
      if (status === 400 || status === 413)
        throw new AuditRecordRejectedError(`The audit log refused the record (HTTP ${status}).`, { cause: error });
      throw unavailable(error, 'audit append');
    }
  }

  /** The link of record `seq` (read back), or the genesis link for 0. */
  private async linkAt(seq: number): Promise<Link> {
    return seq === 0 ? GENESIS : this.linkOf(seq, await this.readRecord(auditRecordName(seq)));
  }

  /** What the next record chains onto, from record `seq`'s body. */
  private linkOf(seq: number, record: unknown): Link {
    const hash = typeof record === 'object' && record !== null ? (record as { hash?: unknown }).hash : undefined;
    if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) {
      throw new StorageUnavailableError(
        `Storage unavailable during audit append (record ${seq} has no hash to chain onto; run npm run audit:verify).`,
      );
    }
    const link = { seq, hash };
    if (seq > (this.lastLink?.seq ?? 0)) this.lastLink = link;
    return link;
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

  /** A record's body, parsed (not checked: the verifier decides what is wrong with it). */
  private async readRecord(name: string): Promise<unknown> {
    try {
      return JSON.parse(await this.readBody(name)) as unknown;
    } catch (error) {
      if (isStorageUnavailable(error)) throw error;
      throw new StorageUnavailableError('Storage unavailable during audit read (a record is not valid JSON).', { cause: error });
    }
  }

  private async readBody(name: string): Promise<string> {
    const result = await attempt('audit read', async () =>
      readStream((await this.container.getBlobClient(name).download(0)).readableStreamBody),
    );
    if (!result.ok)
      throw new StorageUnavailableError(
        `Storage unavailable during audit read (${result.refused === 'not_found' ? 'a record vanished while it was read' : 'a record could not be read'}).`,
      );
    return result.value;
  }

  private async readHead(): Promise<number> {
    return (await this.head()).seq;
  }

  private async head(): Promise<{ seq: number; etag?: string }> {
    const result = await attempt('audit head', async () => {
      const response = await this.hints.getBlobClient(auditHeadName(this.container.containerName)).download(0);
      return { text: await readStream(response.readableStreamBody), etag: response.etag };
    });
    if (!result.ok) {
      if (result.refused === 'not_found') return (this.knownHead = { seq: 0 });
      throw unavailable(undefined, 'audit head');
    }
    let seq = 0;
    try {
      seq = Number((JSON.parse(result.value.text) as { seq?: unknown }).seq);
    } catch {
      // a mangled hint is no hint
    }
    return (this.knownHead = { seq: Number.isSafeInteger(seq) && seq >= 0 && seq <= MAX_SEQ ? seq : 0, etag: result.value.etag });
  }

  /** Notes that the hint should reach `seq`, and moves it (never backwards) once it lags HINT_STRIDE behind. */
  private advanceHeadLater(seq: number): void {
    this.wantedHead = Math.max(this.wantedHead, seq);
    if (this.knownHead && this.wantedHead - this.knownHead.seq < HINT_STRIDE) return;
    this.startAdvancing();
  }

  /** One hint update at a time, in the background; what is appended meanwhile goes with the next. */
  private startAdvancing(): void {
    this.advancing ??= this.advanceHead().finally(() => {
      this.advancing = undefined;
    });
  }

  /** Best effort: the record itself is durable; a stale hint only costs the next appender a few probes. */
  private async advanceHead(): Promise<void> {
    try {
      for (let refused = 0; refused < 3;) {
        const known = this.knownHead ?? (await this.head());
        const target = this.wantedHead;
        // Never backwards; forwards by at least a stride, or to the end when closing.
        if (target - known.seq < (this.closed ? 1 : HINT_STRIDE)) return;
        const body = JSON.stringify({ seq: target });
        const written = await attempt('audit head', () =>
          this.hints
            .getBlockBlobClient(auditHeadName(this.container.containerName))
            .upload(body, Buffer.byteLength(body), { conditions: known.etag ? { ifMatch: known.etag } : { ifNoneMatch: '*' } }),
        );
        if (written.ok && written.value.etag) {
          this.knownHead = { seq: target, etag: written.value.etag };
        } else {
          // Another instance moved it (or the answer had no ETag): read it again.
          this.knownHead = undefined;
          refused += 1;
        }
      }
    } catch {
      this.knownHead = undefined;
    }
  }
}
