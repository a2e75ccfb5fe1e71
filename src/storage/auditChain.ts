/**
 * The audit trail's hash chain, shared by every backend and by `npm run audit:verify`.
 *
 * Every record carries `prevHash` (the previous record's `hash`; {@link GENESIS_HASH} for seq 1)
 * and `hash`, the SHA-256 of the record's canonical form:
 *
 *   hash = lowercase hex of SHA-256( UTF-8( canonical( record without its `hash` field ) ) )
 *
 * where canonical(value) is JSON with object keys sorted by UTF-16 code units, no whitespace,
 * strings escaped as JSON.stringify escapes them, integers in decimal and absent optional fields
 * left out (never null) — the JSON Canonicalization Scheme (RFC 8785,
 * https://www.rfc-editor.org/rfc/rfc8785) for the values a record holds. The hashed record
 * therefore covers seq, id, prevHash and every field of the entry: changing, removing,
 * inserting or reordering any record breaks the chain at or right after it.
 *
 * What the chain cannot show on its own is a cut at the end (the newest records removed):
 * `audit:verify` prints the last seq and hash, to be kept somewhere the bot cannot write.
 */
import { createHash } from 'node:crypto';
import type { AuditEntry, AuditRecord } from '../app/ports/auditLog';
import { normalizeAuditEntry } from './auditEntry';

/** The `prevHash` of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

const HASH = /^[0-9a-f]{64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * RFC 8785 canonical JSON for what audit records hold: strings, safe integers, booleans and
 * objects/arrays of them.
 *
 * @throws TypeError for anything else (a float, undefined inside an array, a function…).
 */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError('Only safe integers can be canonicalised.');
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map((item: unknown) => canonicalJson(item)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      // Plain < compares UTF-16 code units, as RFC 8785 §3.2.3 asks.
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  throw new TypeError(`A ${typeof value} cannot be canonicalised.`);
}

/** The hash of a record (its `hash` field, if any, is not part of it). */
export function recordHash(record: Omit<AuditRecord, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...hashed } = record;
  return createHash('sha256').update(canonicalJson(hashed), 'utf8').digest('hex');
}

/** The record for `entry` at `seq`, chained onto `prevHash`. `entry` must already be normalised. */
export function chainRecord(entry: AuditEntry, seq: number, id: string, prevHash: string): AuditRecord {
  const unhashed = { ...entry, seq, id, prevHash };
  return { ...unhashed, hash: recordHash(unhashed) };
}

/** One record as a backend holds it, in position order, for verification. */
export interface StoredAuditRecord {
  /** Where the backend keeps it (the row's seq, the number in the blob's name). */
  readonly position: number;
  /** The record as read back (parsed JSON), or undefined when it could not be read. */
  readonly record?: unknown;
  /** What the backend itself found wrong with it (unreadable, index columns or metadata disagreeing). */
  readonly problem?: string;
}

/** Read access to every stored record, for `npm run audit:verify`. */
export interface AuditChainSource {
  /** Problems with the store's own guards (e.g. a removed append-only trigger); empty when sound. */
  guardProblems(): Promise<string[]>;
  /** Every stored record, in ascending position order. */
  stored(): AsyncIterable<StoredAuditRecord>;
  /** Facts worth knowing that are not breaks (e.g. whether a WORM policy covers the records). */
  notes(): Promise<string[]>;
}

/** The first place where the chain does not hold. */
export interface ChainBreak {
  readonly seq: number;
  readonly problem: string;
}

export type ChainVerdict =
  | { readonly intact: true; readonly records: number; readonly lastSeq: number; readonly lastHash: string }
  | { readonly intact: false; readonly checked: number; readonly firstBreak: ChainBreak };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What is wrong with `stored` as record `expectedSeq` following `prevHash`, or its hash when it holds. */
function problemOf(stored: StoredAuditRecord, expectedSeq: number, prevHash: string): { problem: string } | { hash: string } {
  const record = stored.record;
  if (record === undefined) return { problem: stored.problem ?? 'the record could not be read' };
  if (!isObject(record)) return { problem: 'the record is not a JSON object' };
  if (record.seq !== expectedSeq) return { problem: `the record stored here says it is record ${String(record.seq)} (records were moved or reordered)` };
  if (typeof record.id !== 'string' || !UUID.test(record.id)) return { problem: 'the record has no valid id' };
  if (typeof record.prevHash !== 'string' || !HASH.test(record.prevHash)) return { problem: 'the record has no prevHash (it was not written by the chain)' };
  if (typeof record.hash !== 'string' || !HASH.test(record.hash)) return { problem: 'the record has no hash (it was not written by the chain)' };
  try {
    const { seq: _seq, id: _id, prevHash: _prev, hash: _hash, ...entry } = record;
    const normalized = normalizeAuditEntry(entry as unknown as AuditEntry);
    if (canonicalJson(normalized) !== canonicalJson(entry)) return { problem: 'the record holds fields an audit entry does not have' };
  } catch (error) {
    return { problem: `the record is malformed (${error instanceof Error ? error.message : 'unreadable'})` };
  }
  const recomputed = recordHash(record as unknown as AuditRecord);
  if (recomputed !== record.hash) return { problem: 'the content does not match its hash (the record was rewritten or moved)' };
  if (record.prevHash !== prevHash) {
    return {
      problem:
        expectedSeq === 1
          ? 'prevHash is not the genesis hash (records before it were removed)'
          : `prevHash does not match record ${expectedSeq - 1}'s hash (a record before it was rewritten, removed, inserted or reordered)`,
    };
  }
  // The record itself holds; what the backend found around it (index columns, metadata) comes last.
  return stored.problem ? { problem: stored.problem } : { hash: record.hash };
}

/** A record's hash noted earlier (e.g. the last line of an earlier audit:verify), to check against. */
export interface ChainAnchor {
  readonly seq: number;
  readonly hash: string;
}

/**
 * Walks the stored records in order and reports the first break, if any. With an anchor, the chain
 * must also reach record `anchor.seq` with exactly that hash: this is what shows records cut from
 * the end, which the chain alone cannot.
 */
export async function verifyChain(source: AsyncIterable<StoredAuditRecord>, anchor?: ChainAnchor): Promise<ChainVerdict> {
  let expected = 1;
  let prevHash = GENESIS_HASH;
  for await (const stored of source) {
    if (stored.position !== expected) {
      const problem =
        stored.position > expected
          ? `record ${expected} is missing (the next stored record is ${stored.position})`
          : `record ${stored.position} appears again after record ${expected - 1}`;
      return { intact: false, checked: expected - 1, firstBreak: { seq: expected, problem } };
    }
    const verdict = problemOf(stored, expected, prevHash);
    if ('problem' in verdict) return { intact: false, checked: expected - 1, firstBreak: { seq: expected, problem: verdict.problem } };
    if (anchor?.seq === expected && anchor.hash !== verdict.hash) {
      return { intact: false, checked: expected - 1, firstBreak: { seq: expected, problem: `the record's hash is not the one you noted (${anchor.hash}): the chain was rewritten from here or before` } };
    }
    prevHash = verdict.hash;
    expected += 1;
  }
  if (anchor && anchor.seq >= expected) {
    return { intact: false, checked: expected - 1, firstBreak: { seq: expected, problem: `the trail ends at record ${expected - 1}, but you noted record ${anchor.seq}: records were cut from the end` } };
  }
  return { intact: true, records: expected - 1, lastSeq: expected - 1, lastHash: prevHash };
}
