import assert from 'node:assert/strict';
import { mkdirSync, unlinkSync } from 'node:fs';
import Database from 'better-sqlite3';
import { SecretLikeValueError, StorageUnavailableError, type AuditEntry } from '../../src/app/ports/auditLog';
import { randomUUID } from 'node:crypto';
import { GENESIS_HASH, verifyChain } from '../../src/storage/auditChain';
import { databaseFilePath } from '../../src/storage/openDatabase';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/storage/schema';
import { openSqliteStorage, type SqliteStorage } from '../../src/storage/openSqliteStorage';
import { SqliteAuditLog } from '../../src/storage/sqliteAuditLog';
import { describeAuditLogContract } from './auditLogContract';
import { fakeJwt } from './stateStoreContract';
import { makeTempDir, openRaw, removeDir } from './storageTestHelpers';
import { ManualClock } from '../helpers/clock';

const TENANT = 'c0ffee00-0000-4000-8000-000000000001';
const ADELE = '0a1b2c3d-0000-4000-8000-00000000ade1';
const MEGAN = '0a1b2c3d-0000-4000-8000-0000000000e6';
const AGENT = '0a1b2c3d-0000-4000-8000-00000000a6e7';

function entry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    at: '2026-03-01T10:00:00.000Z',
    tenantId: TENANT,
    action: 'request.created',
    outcome: 'ok',
    actor: { aadObjectId: AGENT, userPrincipalName: 'agent@contoso.com', name: 'Help Desk Agent' },
    target: { id: ADELE, userPrincipalName: 'adele@contoso.com', displayName: 'Adele Vance' },
    requestId: 'req-1',
    ...overrides,
  };
}

describeAuditLogContract('SQLite', async () => {
  const dataDir = makeTempDir();
  const opened = [openSqliteStorage({ dataDir, clock: new ManualClock() })];
  return {
    log: opened[0]!.audit,
    chain: opened[0]!.audit,
    second: async () => {
      const other = openSqliteStorage({ dataDir, clock: new ManualClock() });
      opened.push(other);
      return other.audit;
    },
    async dispose() {
      for (const storage of opened) await storage.close();
      removeDir(dataDir);
    },
  };
});

describe('SQLite audit log', function () {
  let dataDir: string;
  let storage: SqliteStorage;

  beforeEach(function () {
    dataDir = makeTempDir();
    storage = openSqliteStorage({ dataDir, clock: new ManualClock() });
  });

  afterEach(async function () {
    await storage.close();
    removeDir(dataDir);
  });

  describe('appending', function () {
    it('when an entry is appended, then the record carries its fields, a growing seq and a UUID id', async function () {
      const first = await storage.audit.append(entry());
      const second = await storage.audit.append(
        entry({
          action: 'request.confirmed',
          code: 'confirmed_by_requester',
          graphRequestId: 'g-1',
          correlationId: 'c-1',
          detail: 'clicked confirm',
        }),
      );
      assert.equal(second.seq, first.seq + 1);
      assert.match(first.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.notEqual(first.id, second.id);
      assert.deepEqual(second, {
        ...entry({
          action: 'request.confirmed',
          code: 'confirmed_by_requester',
          graphRequestId: 'g-1',
          correlationId: 'c-1',
          detail: 'clicked confirm',
        }),
        seq: second.seq,
        id: second.id,
        prevHash: first.hash,
        hash: second.hash,
      });
      assert.deepEqual(await storage.audit.list(), [second, first]);
    });

    it('when the entry object carries properties the port does not define, then they are not stored', async function () {
      const sloppy = { ...entry(), ssoContext: { note: 'should never reach the disk' }, target: { id: ADELE, extra: 'nope' } };
      const record = await storage.audit.append(sloppy);
      const [listed] = await storage.audit.list();
      assert.deepEqual(listed, record);
      assert.equal('ssoContext' in record, false);
      assert.deepEqual(record.target, { id: ADELE });
      const raw = openRaw(dataDir);
      try {
        const row = raw.prepare('SELECT entry FROM audit_records').get() as { entry: string };
        assert.ok(!row.entry.includes('should never reach the disk'));
      } finally {
        raw.close();
      }
    });

    it('when the entry is malformed, then append throws a TypeError naming the field and appends nothing', async function () {
      const broken: [unknown, RegExp][] = [
        [{ ...entry(), action: 'request.deleted' }, /\baction\b/],
        [{ ...entry(), outcome: 'maybe' }, /\boutcome\b/],
        [{ ...entry(), at: 'yesterday' }, /\bat\b/],
        [{ ...entry(), tenantId: '' }, /\btenantId\b/],
        [{ ...entry(), actor: { userPrincipalName: 'no-id@contoso.com' } }, /actor\.aadObjectId/],
        [{ ...entry(), requestId: 42 }, /\brequestId\b/],
      ];
      for (const [candidate, field] of broken) {
        await assert.rejects(
          storage.audit.append(candidate as AuditEntry),
          (error: unknown) => error instanceof TypeError && field.test(error.message),
        );
      }
      assert.deepEqual(await storage.audit.list(), []);
    });

    it('when the log is closed and reopened, then every appended record is still there', async function () {
      const records = [
        await storage.audit.append(entry()),
        await storage.audit.append(entry({ outcome: 'failed', action: 'revocation.failed' })),
      ];
      await storage.close();
      storage = openSqliteStorage({ dataDir, clock: new ManualClock() });
      assert.deepEqual(await storage.audit.list(), records.reverse());
    });
  });

  describe('refusing secrets', function () {
    it('when a field the bot fills itself holds a JWT, a bearer credential or a private key, then append throws SecretLikeValueError and appends nothing', async function () {
      const jwt = fakeJwt();
      const leaky: AuditEntry[] = [
        entry({ code: jwt }),
        entry({ code: `Bearer ${'A'.repeat(40)}` }),
        entry({ correlationId: jwt }),
        entry({ graphRequestId: `x ${jwt} y` }),
        entry({ requestId: '-----BEGIN RSA PRIVATE KEY-----\nMIIEow...' }),
      ];
      for (const candidate of leaky) {
        await assert.rejects(storage.audit.append(candidate), (error: unknown) => {
          assert.ok(error instanceof SecretLikeValueError);
          assert.ok(!error.message.includes(jwt.slice(0, 16)));
          return true;
        });
      }
      assert.deepEqual(await storage.audit.list(), []);
    });

    it('when directory data or free text holds credential-shaped text, then it is appended as it is: whoever controls a name or a reason cannot stop the audit', async function () {
      const jwt = fakeJwt();
      const entries: AuditEntry[] = [
        entry({ detail: 'Reason: Basic auth/IMAP abuse' }),
        entry({ target: { id: ADELE, displayName: jwt } }),
        entry({ actor: { aadObjectId: AGENT, name: `x ${jwt} y` } }),
        entry({ detail: '-----BEGIN RSA PRIVATE KEY-----\nMIIEow...' }),
      ];
      for (const candidate of entries) await storage.audit.append(candidate);
      assert.equal((await storage.audit.list()).length, entries.length);
    });

    it('when the detail talks about tokens without holding one, then it is appended', async function () {
      const record = await storage.audit.append(
        entry({
          outcome: 'refused',
          action: 'signin.refused',
          code: 'token_invalid',
          detail: 'SSO token audience mismatch; token expired at 10:00',
        }),
      );
      assert.equal((await storage.audit.list())[0]?.id, record.id);
    });
  });

  describe('append-only', function () {
    it('when a raw connection tries to update or delete a record, then the database refuses and the record is unchanged', async function () {
      const record = await storage.audit.append(entry());
      const raw = openRaw(dataDir);
      try {
        assert.throws(
          () => raw.prepare("UPDATE audit_records SET outcome = 'refused' WHERE seq = ?").run(record.seq),
          (error: unknown) => {
            assert.ok(error instanceof Database.SqliteError);
            assert.equal(error.code, 'SQLITE_CONSTRAINT_TRIGGER');
            return true;
          },
        );
        assert.throws(
          () => raw.prepare("UPDATE audit_records SET entry = json_set(entry, '$.outcome', 'refused')").run(),
          Database.SqliteError,
        );
        assert.throws(() => raw.prepare('DELETE FROM audit_records WHERE seq = ?').run(record.seq), Database.SqliteError);
        assert.throws(() => raw.prepare('DELETE FROM audit_records').run(), Database.SqliteError);
      } finally {
        raw.close();
      }
      assert.deepEqual(await storage.audit.list(), [record]);
    });

    it('a record rewritten with INSERT OR REPLACE: the database refuses, whatever the conflict clause, and record 1 is unchanged', async function () {
      const first = await storage.audit.append(entry({ outcome: 'ok', action: 'revocation.succeeded' }));
      const second = await storage.audit.append(entry({ requestId: 'req-2' }));
      const raw = openRaw(dataDir);
      try {
        const forged = JSON.stringify({ ...entry({ outcome: 'failed', action: 'revocation.failed' }) });
        const columns = '(seq, id, at, tenant_id, action, outcome, entry, prev_hash, hash)';
        const refused = (sql: string, ...params: unknown[]): void =>
          assert.throws(
            () => raw.prepare(sql).run(...params),
            (error: unknown) => error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_TRIGGER',
            sql,
          );
        // The attack: REPLACE deletes the old row without running the delete trigger.
        refused(
          `INSERT OR REPLACE INTO audit_records ${columns} VALUES (1, ?, ?, ?, 'revocation.failed', 'failed', ?, ?, ?)`,
          first.id,
          first.at,
          TENANT,
          forged,
          first.prevHash,
          first.hash,
        );
        refused(
          `REPLACE INTO audit_records ${columns} VALUES (1, ?, ?, ?, 'revocation.failed', 'failed', ?, ?, ?)`,
          randomUUID(),
          first.at,
          TENANT,
          forged,
          first.prevHash,
          first.hash,
        );
        // The same id at the next seq would replace record 1 through its UNIQUE id.
        refused(
          `INSERT OR REPLACE INTO audit_records ${columns} VALUES (3, ?, ?, ?, 'revocation.failed', 'failed', ?, ?, ?)`,
          first.id,
          first.at,
          TENANT,
          forged,
          second.hash,
          'f'.repeat(64),
        );
        // An upsert, an insert that skips ahead, one that does not chain onto the last record, one without a hash.
        refused(
          `INSERT INTO audit_records ${columns} VALUES (1, ?, ?, ?, 'x', 'failed', ?, ?, ?) ON CONFLICT (seq) DO UPDATE SET outcome = 'failed'`,
          randomUUID(),
          first.at,
          TENANT,
          forged,
          first.prevHash,
          first.hash,
        );
        refused(
          `INSERT INTO audit_records ${columns} VALUES (5, ?, ?, ?, 'x', 'failed', ?, ?, ?)`,
          randomUUID(),
          first.at,
          TENANT,
          forged,
          second.hash,
          'f'.repeat(64),
        );
        refused(
          `INSERT INTO audit_records ${columns} VALUES (3, ?, ?, ?, 'x', 'failed', ?, ?, ?)`,
          randomUUID(),
          first.at,
          TENANT,
          forged,
          first.hash,
          'f'.repeat(64),
        );
        refused(
          `INSERT INTO audit_records ${columns} VALUES (3, ?, ?, ?, 'x', 'failed', ?, ?, NULL)`,
          randomUUID(),
          first.at,
          TENANT,
          forged,
          second.hash,
        );
        refused(
          `INSERT INTO audit_records (id, at, tenant_id, action, outcome, entry) VALUES (?, ?, ?, 'x', 'failed', ?)`,
          randomUUID(),
          first.at,
          TENANT,
          forged,
        );
      } finally {
        raw.close();
      }
      assert.deepEqual(await storage.audit.list(), [second, first]);
      assert.deepEqual(await verifyChain(storage.audit.stored()), { intact: true, records: 2, lastSeq: 2, lastHash: second.hash });
    });

    it('when a database from before the hash chain is opened, then its records are chained in order and guarded, and new records extend the chain', async function () {
      await storage.close();
      removeDir(dataDir);
      mkdirSync(dataDir, { recursive: true });
      // Version 1 exactly as an older build left it, with records it wrote.
      const legacy = new Database(databaseFilePath(dataDir));
      legacy.pragma('journal_mode = WAL');
      legacy.exec(MIGRATIONS[0] as string);
      legacy.pragma('user_version = 1');
      const insert = legacy.prepare(
        'INSERT INTO audit_records (id, at, tenant_id, action, outcome, actor_id, target_id, request_id, entry) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      );
      const old = [
        entry({ requestId: 'old-1' }),
        entry({ requestId: 'old-2', action: 'revocation.succeeded' }),
        entry({ requestId: 'old-3', detail: 'ünïcødé' }),
      ];
      const ids = old.map(() => randomUUID());
      old.forEach((e, i) =>
        insert.run(
          ids[i],
          e.at,
          e.tenantId,
          e.action,
          e.outcome,
          e.actor?.aadObjectId ?? null,
          e.target?.id ?? null,
          e.requestId ?? null,
          JSON.stringify(e),
        ),
      );
      legacy.close();

      storage = openSqliteStorage({ dataDir, clock: new ManualClock() });
      const migrated = (await storage.audit.list()).reverse();
      assert.deepEqual(
        migrated.map((r) => [r.seq, r.id, r.requestId]),
        [
          [1, ids[0], 'old-1'],
          [2, ids[1], 'old-2'],
          [3, ids[2], 'old-3'],
        ],
      );
      assert.equal(migrated[0]?.prevHash, GENESIS_HASH);
      assert.equal(migrated[1]?.prevHash, migrated[0]?.hash);
      const next = await storage.audit.append(entry({ requestId: 'new-1' }));
      assert.equal(next.seq, 4);
      assert.equal(next.prevHash, migrated[2]?.hash);
      assert.deepEqual(await verifyChain(storage.audit.stored()), { intact: true, records: 4, lastSeq: 4, lastHash: next.hash });
      assert.deepEqual(await storage.audit.guardProblems(), []);
      const raw = openRaw(dataDir);
      try {
        assert.equal(raw.pragma('user_version', { simple: true }), SCHEMA_VERSION);
        assert.throws(() => raw.prepare("UPDATE audit_records SET outcome = 'refused' WHERE seq = 1").run(), Database.SqliteError);
        assert.throws(
          () =>
            raw
              .prepare(
                'INSERT OR REPLACE INTO audit_records (seq, id, at, tenant_id, action, outcome, entry, prev_hash, hash) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)',
              )
              .run(ids[0], 'x', 'x', 'x', 'x', '{}', GENESIS_HASH, 'f'.repeat(64)),
          Database.SqliteError,
        );
      } finally {
        raw.close();
      }
    });
  });

  describe('listing', function () {
    async function seed(): Promise<void> {
      await storage.audit.append(entry({ requestId: 'req-1', action: 'request.created' }));
      await storage.audit.append(entry({ requestId: 'req-2', target: { id: MEGAN }, action: 'request.created' }));
      await storage.audit.append(entry({ requestId: 'req-1', action: 'revocation.succeeded' }));
      await storage.audit.append(
        entry({
          requestId: 'req-3',
          tenantId: 'other-tenant',
          actor: { aadObjectId: ADELE },
          target: { id: MEGAN },
          action: 'request.created',
        }),
      );
      await storage.audit.append(entry({ requestId: undefined, target: undefined, action: 'command.received', outcome: 'info' }));
    }

    it('when filtered by target, actor, request or tenant, then only matching records come back, newest first', async function () {
      await seed();
      const shape = (records: { requestId?: string; action: string }[]): string[] =>
        records.map((r) => `${r.requestId ?? '-'}:${r.action}`);
      assert.deepEqual(shape(await storage.audit.list({ targetId: ADELE })), ['req-1:revocation.succeeded', 'req-1:request.created']);
      assert.deepEqual(shape(await storage.audit.list({ targetId: MEGAN })), ['req-3:request.created', 'req-2:request.created']);
      assert.deepEqual(shape(await storage.audit.list({ actorId: ADELE })), ['req-3:request.created']);
      assert.deepEqual(shape(await storage.audit.list({ requestId: 'req-1' })), ['req-1:revocation.succeeded', 'req-1:request.created']);
      assert.deepEqual(shape(await storage.audit.list({ tenantId: 'other-tenant' })), ['req-3:request.created']);
      assert.deepEqual(shape(await storage.audit.list({ tenantId: TENANT, targetId: MEGAN })), ['req-2:request.created']);
      assert.deepEqual(shape(await storage.audit.list({ actorId: AGENT })), [
        '-:command.received',
        'req-1:revocation.succeeded',
        'req-2:request.created',
        'req-1:request.created',
      ]);
      assert.deepEqual(await storage.audit.list({ targetId: 'nobody' }), []);
    });

    it('when paging with limit and before, then the pages cover every record once, newest first', async function () {
      const appended = [];
      for (let i = 0; i < 23; i += 1) appended.push(await storage.audit.append(entry({ requestId: `req-${i}` })));
      const pages: number[][] = [];
      let before: number | undefined;
      for (;;) {
        const page = await storage.audit.list({ limit: 5, before });
        if (page.length === 0) break;
        assert.ok(page.length <= 5);
        pages.push(page.map((record) => record.seq));
        before = page[page.length - 1]?.seq;
      }
      assert.deepEqual(
        pages.map((page) => page.length),
        [5, 5, 5, 5, 3],
      );
      assert.deepEqual(pages.flat(), appended.map((record) => record.seq).reverse());
    });

    it('when no limit is given, then a page holds 100 records', async function () {
      for (let i = 0; i < 105; i += 1) await storage.audit.append(entry({ requestId: `req-${i}` }));
      assert.equal((await storage.audit.list()).length, 100);
      assert.equal((await storage.audit.list({ limit: 105 })).length, 105);
    });
  });

  describe('when the store cannot be used', function () {
    it('when the database file has been deleted, then append rejects with StorageUnavailableError instead of writing to the orphaned file', async function () {
      await storage.audit.append(entry());
      unlinkSync(databaseFilePath(dataDir));
      await assert.rejects(storage.audit.append(entry({ requestId: 'after-delete' })), StorageUnavailableError);
      await assert.rejects(storage.audit.list(), StorageUnavailableError);
    });

    it('when the database file has been replaced by a directory, then append rejects with StorageUnavailableError', async function () {
      unlinkSync(databaseFilePath(dataDir));
      mkdirSync(databaseFilePath(dataDir));
      await assert.rejects(storage.audit.append(entry()), StorageUnavailableError);
    });

    it('when another connection holds the write lock past the busy timeout, then append rejects with StorageUnavailableError', async function () {
      const audit = SqliteAuditLog.open({ dataDir, busyTimeoutInMs: 50 });
      const raw = openRaw(dataDir);
      try {
        raw.exec('BEGIN IMMEDIATE');
        await assert.rejects(
          audit.append(entry()),
          (error: unknown) =>
            error instanceof StorageUnavailableError && error.cause instanceof Database.SqliteError && error.cause.code === 'SQLITE_BUSY',
        );
        raw.exec('ROLLBACK');
        assert.equal((await audit.append(entry())).seq, 1, 'the refused append left no record and no gap');
      } finally {
        raw.close();
        await audit.close();
      }
    });

    it('when the audit log is closed, then append rejects with StorageUnavailableError', async function () {
      await storage.close();
      await assert.rejects(storage.audit.append(entry()), StorageUnavailableError);
    });
  });
});
