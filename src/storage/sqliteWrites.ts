/**
 * The SQL of every write, as the writer thread runs it: each inside the group's BEGIN IMMEDIATE
 * transaction (src/storage/groupCommit.ts), so a read-then-write here cannot be invalidated by
 * another connection or process, and compare-and-set (`UPDATE … WHERE etag = ?` and checking that
 * one row changed) is atomic across everything sharing the file.
 */
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { StorageUnavailableError } from '../app/ports/stateStore';
import { chainRecord, GENESIS_HASH } from './auditChain';
import type { WriteRequest, WriteResults } from './sqliteWriteProtocol';

/** How many expired items of a namespace a create removes on the way (lazy sweeping). */
const SWEEP_BATCH_SIZE = 100;

/** An item's row is live at `?` (now): no expiry, or a later one. Reads use it too. */
export const LIVE = '(expires_at IS NULL OR expires_at > ?)';
const NEXT_WRITE_SEQ = '(SELECT coalesce(max(write_seq), 0) + 1 FROM state_items WHERE ns = @ns)';

interface AuditInsert {
  seq: number;
  id: string;
  at: string;
  tenantId: string;
  action: string;
  outcome: string;
  actorId: string | null;
  targetId: string | null;
  requestId: string | null;
  entry: string;
  prevHash: string;
  hash: string;
}

/** A fresh opaque etag. Random rather than a counter, so a deleted-then-recreated item never reuses one. */
function newEtag(): string {
  return randomBytes(16).toString('base64url');
}

/** Prepares the statements on the writer's connection; the answer runs one write (inside a transaction). */
export function prepareWrites(db: Database.Database): (request: WriteRequest) => WriteResults[WriteRequest['op']] {
  const s = {
    selectAny: db.prepare<[string, string], { value: string; etag: string }>(
      'SELECT value, etag FROM state_items WHERE ns = ? AND key = ?',
    ),
    insert: db.prepare<[{ ns: string; key: string; value: string; etag: string; now: number; expiresAt: number | null }]>(
      `INSERT INTO state_items (ns, key, value, etag, write_seq, updated_at, expires_at)
       VALUES (@ns, @key, @value, @etag, ${NEXT_WRITE_SEQ}, @now, @expiresAt)
       ON CONFLICT (ns, key) DO NOTHING`,
    ),
    update: db.prepare<[{ ns: string; key: string; value: string; etag: string; newEtag: string; now: number; expiresAt: number | null }]>(
      `UPDATE state_items SET value = @value, etag = @newEtag, write_seq = ${NEXT_WRITE_SEQ}, updated_at = @now, expires_at = @expiresAt
       WHERE ns = @ns AND key = @key AND etag = @etag AND (expires_at IS NULL OR expires_at > @now)`,
    ),
    selectLiveEtag: db.prepare<[string, string, number], { etag: string }>(
      `SELECT etag FROM state_items WHERE ns = ? AND key = ? AND ${LIVE}`,
    ),
    deleteExpiredKey: db.prepare<[string, string, number]>('DELETE FROM state_items WHERE ns = ? AND key = ? AND expires_at <= ?'),
    deleteLive: db.prepare<[string, string, number]>(`DELETE FROM state_items WHERE ns = ? AND key = ? AND ${LIVE}`),
    deleteLiveIfEtag: db.prepare<[string, string, number, string]>(
      `DELETE FROM state_items WHERE ns = ? AND key = ? AND ${LIVE} AND etag = ?`,
    ),
    sweepNamespace: db.prepare<[string, number, number]>(
      'DELETE FROM state_items WHERE rowid IN (SELECT rowid FROM state_items WHERE ns = ? AND expires_at <= ? LIMIT ?)',
    ),
    sweepAll: db.prepare<[number]>('DELETE FROM state_items WHERE expires_at <= ?'),
    touchHealth: db.prepare<[number]>(
      'INSERT INTO health (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at',
    ),
    readHealth: db.prepare<[], { checked_at: number }>('SELECT checked_at FROM health WHERE id = 1'),
    lastAudit: db.prepare<[], { seq: number; hash: string | null }>('SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1'),
    insertAudit: db.prepare<[AuditInsert]>(
      `INSERT INTO audit_records (seq, id, at, tenant_id, action, outcome, actor_id, target_id, request_id, entry, prev_hash, hash)
       VALUES (@seq, @id, @at, @tenantId, @action, @outcome, @actorId, @targetId, @requestId, @entry, @prevHash, @hash)`,
    ),
  };

  return (request) => {
    switch (request.op) {
      case 'state.create': {
        const { ns, key, json, expiresAt, now } = request;
        s.deleteExpiredKey.run(ns, key, now);
        const etag = newEtag();
        if (s.insert.run({ ns, key, value: json, etag, now, expiresAt }).changes === 1) {
          s.sweepNamespace.run(ns, now, SWEEP_BATCH_SIZE);
          return { ok: true, etag };
        }
        // Expired rows were just removed, so the one in the way is live.
        const current = s.selectAny.get(ns, key);
        if (!current) throw new Error('Insert conflicted with a row that is not there.');
        return { ok: false, reason: 'exists', current: { json: current.value, etag: current.etag } };
      }
      case 'state.replace': {
        const { ns, key, json, etag, expiresAt, now } = request;
        const newTag = newEtag();
        if (s.update.run({ ns, key, value: json, etag, newEtag: newTag, now, expiresAt }).changes === 1) return { ok: true, etag: newTag };
        if (s.selectLiveEtag.get(ns, key, now)) return { ok: false, reason: 'conflict' };
        s.deleteExpiredKey.run(ns, key, now);
        return { ok: false, reason: 'missing' };
      }
      case 'state.delete': {
        const { ns, key, etag, now } = request;
        s.deleteExpiredKey.run(ns, key, now);
        const result = etag === null ? s.deleteLive.run(ns, key, now) : s.deleteLiveIfEtag.run(ns, key, now, etag);
        return result.changes === 1;
      }
      case 'state.sweep':
        return s.sweepAll.run(request.now).changes;
      case 'state.check':
        s.touchHealth.run(request.now);
        if (s.readHealth.get()?.checked_at !== request.now)
          throw new StorageUnavailableError('Storage unavailable: the readiness write did not read back.');
        return null;
      case 'audit.append': {
        // Inside the group's transaction (write lock held): appenders in other connections or
        // processes queue behind it, and the records of one group chain one after another.
        const { entry, json, id } = request;
        const last = s.lastAudit.get();
        const record = chainRecord(entry, (last?.seq ?? 0) + 1, id, last ? (last.hash ?? '') : GENESIS_HASH);
        s.insertAudit.run({
          seq: record.seq,
          id,
          at: entry.at,
          tenantId: entry.tenantId,
          action: entry.action,
          outcome: entry.outcome,
          actorId: entry.actor?.aadObjectId ?? null,
          targetId: entry.target?.id ?? null,
          requestId: entry.requestId ?? null,
          entry: json,
          prevHash: record.prevHash,
          hash: record.hash,
        });
        return record;
      }
    }
  };
}
