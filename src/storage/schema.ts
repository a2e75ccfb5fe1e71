/**
 * The SQLite schema, as ordered migrations. `PRAGMA user_version` records how many have run;
 * a migration is never edited once shipped, only followed by a new one.
 */

export const MIGRATIONS: readonly string[] = [
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
];

/** The schema version this build writes (the number of migrations). */
export const SCHEMA_VERSION = MIGRATIONS.length;
