/**
 * The SQLite schema, as ordered migrations. `PRAGMA user_version` records how many have run;
 * a migration is never edited once shipped, only followed by a new one. A migration is SQL, or
 * a function when it must compute (all run in one BEGIN IMMEDIATE transaction at open).
 */
import type Database from 'better-sqlite3';
import { GENESIS_HASH, recordHash } from './auditChain';
import type { AuditEntry } from '../app/ports/auditLog';

export type Migration = string | ((db: Database.Database) => void);

/** The append-only triggers every sound database has (`npm run audit:verify` checks them). */
export const AUDIT_GUARD_TRIGGERS = ['audit_records_no_update', 'audit_records_no_delete', 'audit_records_chain_only'] as const;

/**
 * 2: the hash chain. Adds prev_hash and hash, chains the records written before (oldest first),
 * and guards inserts: SQLite runs no delete trigger for the row an `INSERT OR REPLACE` (or
 * `REPLACE`, or an upsert) removes, so an insert is allowed only when it extends the chain — the
 * next seq, the last record's hash as prev_hash, a hash, an id not yet used. Any other insert,
 * whatever its conflict clause, is refused before it can replace anything.
 */
function chainAuditRecords(db: Database.Database): void {
  db.exec(`
    ALTER TABLE audit_records ADD COLUMN prev_hash TEXT;
    ALTER TABLE audit_records ADD COLUMN hash TEXT;
    DROP TRIGGER audit_records_no_update;
  `);
  const page = db.prepare<[number], { seq: number; id: string; entry: string }>(
    'SELECT seq, id, entry FROM audit_records WHERE seq > ? ORDER BY seq LIMIT 1000',
  );
  const update = db.prepare<[string, string, number]>('UPDATE audit_records SET prev_hash = ?, hash = ? WHERE seq = ?');
  let prevHash = GENESIS_HASH;
  let after = 0;
  for (let rows = page.all(after); rows.length > 0; rows = page.all(after)) {
    for (const row of rows) {
      const hash = recordHash({ ...(JSON.parse(row.entry) as AuditEntry), seq: row.seq, id: row.id, prevHash });
      update.run(prevHash, hash, row.seq);
      prevHash = hash;
      after = row.seq;
    }
  }
  db.exec(`
    CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records
      BEGIN SELECT RAISE(ABORT, 'audit_records is append-only'); END;
    CREATE TRIGGER audit_records_chain_only BEFORE INSERT ON audit_records
      WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_records)
        OR NEW.prev_hash IS NOT COALESCE((SELECT hash FROM audit_records ORDER BY seq DESC LIMIT 1), '${GENESIS_HASH}')
        OR NEW.hash IS NULL OR length(NEW.hash) <> 64
        OR EXISTS (SELECT 1 FROM audit_records WHERE id = NEW.id)
      BEGIN SELECT RAISE(ABORT, 'audit_records is append-only: an insert may only extend the chain'); END;
  `);
}

export const MIGRATIONS: readonly Migration[] = [
  // 1: state items, the append-only audit trail, and a row the readiness check rewrites.
  `
  CREATE TABLE state_items (
    ns         TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL CHECK (json_valid(value)),
    etag       TEXT NOT NULL,
    -- Per-namespace write order, so "newest first" never ties on a clock.
    write_seq  INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    expires_at INTEGER,
    PRIMARY KEY (ns, key)
  ) STRICT;
  CREATE INDEX state_items_by_write ON state_items (ns, write_seq);
  CREATE INDEX state_items_by_expiry ON state_items (ns, expires_at) WHERE expires_at IS NOT NULL;

  CREATE TABLE audit_records (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    at         TEXT NOT NULL,
    tenant_id  TEXT NOT NULL,
    action     TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    actor_id   TEXT,
    target_id  TEXT,
    request_id TEXT,
    entry      TEXT NOT NULL CHECK (json_valid(entry))
  ) STRICT;
  CREATE INDEX audit_records_by_tenant ON audit_records (tenant_id, seq);
  CREATE INDEX audit_records_by_action ON audit_records (action, seq);
  CREATE INDEX audit_records_by_actor ON audit_records (actor_id, seq) WHERE actor_id IS NOT NULL;
  CREATE INDEX audit_records_by_target ON audit_records (target_id, seq) WHERE target_id IS NOT NULL;
  CREATE INDEX audit_records_by_request ON audit_records (request_id, seq) WHERE request_id IS NOT NULL;
  -- Append-only, enforced by the database itself: no connection can rewrite history.
  CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records
    BEGIN SELECT RAISE(ABORT, 'audit_records is append-only'); END;
  CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records
    BEGIN SELECT RAISE(ABORT, 'audit_records is append-only'); END;

  CREATE TABLE health (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at INTEGER NOT NULL
  ) STRICT;
  `,
  chainAuditRecords,
];

/** The schema version this build writes (the number of migrations). */
export const SCHEMA_VERSION = MIGRATIONS.length;
