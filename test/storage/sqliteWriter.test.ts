/**
 * The SQLite writer thread: group commit (counted, never timed), a write resolving only after its
 * commit, each write of a group succeeding or failing on its own, a dying thread, closing, and the
 * clock travelling with each write.
 */
import assert from 'node:assert/strict';
import { existsSync, renameSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AuditRecordRejectedError, SecretLikeValueError, StorageUnavailableError, type AuditEntry } from '../../src/app/ports/auditLog';
import { createHttpServer, type HttpServer } from '../../src/http/server';
import { createLogger } from '../../src/observability/logger';
import { verifyChain } from '../../src/storage/auditChain';
import { databaseFilePath } from '../../src/storage/openDatabase';
import { openSqliteStorage, type SqliteStorage } from '../../src/storage/openSqliteStorage';
import { MAX_CRASHES_IN_A_ROW, type WriterCounts } from '../../src/storage/sqliteWriter';
import { ManualClock } from '../helpers/clock';
import { fakeJwt } from './stateStoreContract';
import { makeTempDir, openRaw, removeDir, waitFor } from './storageTestHelpers';

function entry(requestId: string): AuditEntry {
  return { at: '2026-03-01T10:00:00.000Z', tenantId: 'tenant-1', action: 'request.created', outcome: 'ok', requestId };
}

/** Lets every queued callback run (a write made in one of them joins whatever group is next). */
async function ticks(n = 5): Promise<void> {
  for (let i = 0; i < n; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Tracks whether a promise has settled yet, without letting its rejection go unhandled. */
function track<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return { promise, settled: () => settled };
}

describe('SQLite writer thread', function () {
  let root: string;
  let dataDir: string;
  const closers: (() => unknown)[] = [];

  beforeEach(function () {
    root = makeTempDir('revoker-writer-');
    dataDir = path.join(root, 'data');
  });

  afterEach(async function () {
    for (const close of closers.splice(0).reverse()) await close();
    removeDir(root);
  });

  function open(options: { busyTimeoutInMs?: number; clock?: ManualClock } = {}): SqliteStorage {
    const storage = openSqliteStorage({ dataDir, clock: new ManualClock(), ...options });
    closers.push(() => storage.close());
    return storage;
  }

  function raw(): Database.Database {
    const db = openRaw(dataDir);
    closers.push(() => db.close());
    return db;
  }

  /** Holds the write lock from another connection, as another process would; call the answer to let go. */
  function holdWriteLock(): () => void {
    const db = raw();
    db.exec('BEGIN IMMEDIATE');
    return () => {
      if (db.inTransaction) db.exec('COMMIT');
    };
  }

  /** The counts' change since `before`. */
  function since(storage: SqliteStorage, before: WriterCounts): WriterCounts {
    const now = storage.writer.counts;
    return {
      writes: now.writes - before.writes,
      groups: now.groups - before.groups,
      commits: now.commits - before.commits,
      starts: now.starts - before.starts,
      crashes: now.crashes - before.crashes,
    };
  }

  /** Starts the thread with one write, so the counts that follow are about the writes under test. */
  async function warm(storage: SqliteStorage): Promise<WriterCounts> {
    assert.ok((await storage.state.create('warm', 'up', {})).ok);
    return { ...storage.writer.counts };
  }

  describe('group commit', function () {
    it('when twenty writes are made in one tick, then they commit in one transaction: one fsync, not twenty', async function () {
      const storage = open();
      const before = await warm(storage);
      const results = await Promise.all([
        ...Array.from({ length: 10 }, (_, i) => storage.state.create('pending', `r${i}`, { i })),
        ...Array.from({ length: 10 }, (_, i) => storage.audit.append(entry(`req-${i}`))),
      ]);
      assert.deepEqual(since(storage, before), { writes: 20, groups: 1, commits: 1, starts: 0, crashes: 0 });
      assert.ok(results.slice(0, 10).every((result) => 'ok' in result && result.ok));
      assert.deepEqual(
        results.slice(10).map((record) => ('seq' in record ? record.seq : 0)),
        Array.from({ length: 10 }, (_, i) => i + 1),
        'the records of one group chain one after another',
      );
      assert.equal((await verifyChain(storage.audit.stored())).intact, true);
    });

    it('when writes arrive one by one while a commit is in flight, then the next commit takes all of them together', async function () {
      const storage = open();
      const before = await warm(storage);
      const release = holdWriteLock();
      const first = track(storage.state.create('pending', 'first', {}));
      const later: Promise<unknown>[] = [];
      for (let i = 0; i < 5; i += 1) {
        await ticks();
        later.push(i % 2 === 0 ? storage.state.create('pending', `later-${i}`, { i }) : storage.audit.append(entry(`later-${i}`)));
      }
      assert.equal(first.settled(), false, 'the first group cannot commit while the lock is held');
      release();
      await Promise.all([first.promise, ...later]);
      assert.deepEqual(since(storage, before), { writes: 6, groups: 2, commits: 2, starts: 0, crashes: 0 });
    });

    it('when a write resolves, then its group has committed: another connection already sees it, and the thread commits with synchronous=FULL (the WAL fsync’d)', async function () {
      const storage = open();
      await warm(storage);
      assert.deepEqual(storage.writer.settings, { journalMode: 'wal', synchronous: 2, busyTimeoutInMs: 5000 });
      const release = holdWriteLock();
      // Read in the very callback that sees the promise resolve, through a connection of its own.
      const visibleOnResolve = (sql: string, key: string) => () => {
        const other = openRaw(dataDir);
        try {
          return other.prepare(sql).get(key) !== undefined;
        } finally {
          other.close();
        }
      };
      const created = track(
        storage.state.create('pending', 'r1', { step: 1 }).then(visibleOnResolve('SELECT 1 FROM state_items WHERE key = ?', 'r1')),
      );
      const appended = track(
        storage.audit.append(entry('req-1')).then(visibleOnResolve('SELECT 1 FROM audit_records WHERE request_id = ?', 'req-1')),
      );
      await ticks(20);
      assert.equal(created.settled() || appended.settled(), false, 'nothing resolves before its commit');
      release();
      assert.deepEqual(await Promise.all([created.promise, appended.promise]), [true, true]);
    });
  });

  describe('each write of a group on its own', function () {
    it('when a compare-and-set loses inside a group, then only it answers conflict and the rest of the group commits', async function () {
      const storage = open();
      const created = await storage.state.create('pending', 'r1', { step: 0 });
      assert.ok(created.ok);
      const before = { ...storage.writer.counts };
      const [won, lost, exists, other, record] = await Promise.all([
        storage.state.replace('pending', 'r1', { step: 1 }, created.etag),
        storage.state.replace('pending', 'r1', { step: 2 }, created.etag),
        storage.state.create('pending', 'r1', { step: 3 }),
        storage.state.create('pending', 'r2', { step: 1 }),
        storage.audit.append(entry('req-1')),
      ]);
      assert.equal(since(storage, before).commits, 1);
      assert.ok(won.ok);
      assert.deepEqual(lost, { ok: false, reason: 'conflict' });
      assert.deepEqual(exists.ok ? undefined : exists.current, { value: { step: 1 }, etag: won.etag });
      assert.ok(other.ok);
      assert.equal(record.seq, 1);
      assert.deepEqual(await storage.state.get('pending', 'r1'), { value: { step: 1 }, etag: won.etag });
    });

    it('when the database refuses one audit record of a group, then that append alone rejects with AuditRecordRejectedError and the others chain on without a gap', async function () {
      const storage = open();
      await warm(storage);
      raw().exec(
        "CREATE TRIGGER test_refuses_poison BEFORE INSERT ON audit_records WHEN NEW.request_id = 'poison' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
      );
      const before = { ...storage.writer.counts };
      const [first, poisoned, second, state] = await Promise.allSettled([
        storage.audit.append(entry('first')),
        storage.audit.append(entry('poison')),
        storage.audit.append(entry('second')),
        storage.state.create('pending', 'r1', {}),
      ]);
      assert.equal(since(storage, before).commits, 1);
      assert.equal(poisoned.status, 'rejected');
      assert.ok(poisoned.status === 'rejected' && poisoned.reason instanceof AuditRecordRejectedError);
      assert.ok(poisoned.reason.cause instanceof Database.SqliteError && poisoned.reason.cause.code === 'SQLITE_CONSTRAINT_TRIGGER');
      assert.ok(first.status === 'fulfilled' && second.status === 'fulfilled' && state.status === 'fulfilled');
      assert.deepEqual([first.value.seq, second.value.seq, second.value.prevHash], [1, 2, first.value.hash]);
      assert.deepEqual(await verifyChain(storage.audit.stored()), { intact: true, records: 2, lastSeq: 2, lastHash: second.value.hash });
    });

    it('when the database refuses one state write of a group, then its caller gets the SqliteError as it always did and the others commit', async function () {
      const storage = open();
      await warm(storage);
      raw().exec(
        "CREATE TRIGGER test_refuses_poison BEFORE INSERT ON state_items WHEN NEW.key = 'poison' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
      );
      const [poisoned, other, record] = await Promise.allSettled([
        storage.state.create('pending', 'poison', {}),
        storage.state.create('pending', 'r1', {}),
        storage.audit.append(entry('req-1')),
      ]);
      assert.ok(
        poisoned.status === 'rejected' &&
          poisoned.reason instanceof Database.SqliteError &&
          poisoned.reason.code === 'SQLITE_CONSTRAINT_TRIGGER',
      );
      assert.ok(other.status === 'fulfilled' && other.value.ok);
      assert.ok(record.status === 'fulfilled' && record.value.seq === 1);
      assert.deepEqual(
        (await storage.state.list('pending')).map((item) => item.key),
        ['r1'],
      );
    });

    it('when a write of the tick holds a secret-looking value, then it is refused on the event loop (SecretLikeValueError) and never joins the group', async function () {
      const storage = open();
      const before = await warm(storage);
      const [leaky, fine] = await Promise.allSettled([
        storage.state.create('pending', 'leak', { code: fakeJwt() }),
        storage.state.create('pending', 'fine', {}),
      ]);
      assert.ok(leaky.status === 'rejected' && leaky.reason instanceof SecretLikeValueError);
      assert.ok(fine.status === 'fulfilled' && fine.value.ok);
      assert.deepEqual(since(storage, before), { writes: 1, groups: 1, commits: 1, starts: 0, crashes: 0 });
    });
  });

  describe('when the writer thread dies', function () {
    let server: HttpServer | undefined;

    afterEach(async function () {
      await server?.close();
      server = undefined;
    });

    async function readyz(storage: SqliteStorage): Promise<{ url: string; status: () => Promise<number> }> {
      server = createHttpServer({
        port: 0,
        host: '127.0.0.1',
        logger: createLogger({ level: 'silent' }),
        readiness: () => storage.state.check(),
        handleActivity: async () => undefined,
      });
      const url = await server.listen();
      return { url, status: async () => (await fetch(`${url}/readyz`)).status };
    }

    /**
     * Kills the running thread while its group waits for the write lock (as an uncaught error or
     * the OOM killer would), then lets go of the lock. Letting go at once matters: better-sqlite3
     * aborts the whole process if a call stopped by terminate() then fails, and the busy wait
     * would fail once the busy timeout (5 s here) ran out.
     */
    async function killWhileWaiting(storage: SqliteStorage, release: () => void): Promise<void> {
      const thread = storage.writer.thread;
      assert.ok(thread, 'a writer thread is running');
      const exited = thread.terminate();
      release();
      await exited;
    }

    it("when it dies with a group in flight, then that group's writes reject with StorageUnavailableError, the writes queued behind it commit on a new thread, and /readyz answers 503 for a check it took down, then 200", async function () {
      const storage = open();
      const before = await warm(storage);
      let release = holdWriteLock();
      const created = storage.state.create('pending', 'lost', {});
      const appended = storage.audit.append(entry('lost'));
      await ticks();
      const queued = storage.state.create('pending', 'queued', {});
      await killWhileWaiting(storage, release);
      await assert.rejects(created, StorageUnavailableError);
      await assert.rejects(appended, StorageUnavailableError);
      assert.ok((await queued).ok, 'the next thread took the queued write');
      assert.equal(await storage.state.get('pending', 'lost'), undefined, 'the killed group never committed');

      const probe = await readyz(storage);
      release = holdWriteLock();
      const notReady = probe.status();
      await waitFor(() => storage.writer.counts.writes === before.writes + 4, 10_000, 'the readiness check to reach the writer');
      await killWhileWaiting(storage, release);
      assert.equal(await notReady, 503);

      assert.equal((await storage.audit.append(entry('after'))).seq, 1);
      assert.equal(await probe.status(), 200);
      assert.deepEqual(since(storage, before), { writes: 6, groups: 5, commits: 3, starts: 2, crashes: 2 });
    });

    it(`when it dies ${MAX_CRASHES_IN_A_ROW} times in a row with no commit between, then it is not started again: writes and /readyz report storage unavailable at once, reads still answer, and close still closes`, async function () {
      const storage = open();
      const before = await warm(storage);
      for (let i = 0; i < MAX_CRASHES_IN_A_ROW; i += 1) {
        const release = holdWriteLock();
        const write = storage.state.create('pending', `doomed-${i}`, {});
        await ticks();
        await killWhileWaiting(storage, release);
        await assert.rejects(write, StorageUnavailableError);
      }
      await assert.rejects(
        storage.state.create('pending', 'late', {}),
        (error: unknown) => error instanceof StorageUnavailableError && error.message.includes('failed 3 times in a row'),
      );
      await assert.rejects(storage.audit.append(entry('late')), StorageUnavailableError);
      assert.equal(await (await readyz(storage)).status(), 503);
      assert.deepEqual((await storage.state.get('warm', 'up'))?.value, {});
      assert.deepEqual(since(storage, before), { writes: 3, groups: 3, commits: 0, starts: 2, crashes: 3 });
      assert.equal(storage.writer.thread, undefined);
      await storage.close();
    });
  });

  describe('opening', function () {
    it('when the file is replaced before the first write, then the writer thread refuses the other file: the write rejects with StorageUnavailableError, no crash is counted, and the next write tries again', async function () {
      const storage = open();
      assert.equal(await storage.state.get('pending', 'r1'), undefined);
      const other = path.join(root, 'other');
      const elsewhere = openSqliteStorage({ dataDir: other, clock: new ManualClock() });
      assert.ok((await elsewhere.state.create('pending', 'r1', { from: 'elsewhere' })).ok);
      await elsewhere.close();
      renameSync(databaseFilePath(other), databaseFilePath(dataDir));
      await assert.rejects(
        storage.state.create('pending', 'r2', {}),
        (error: unknown) => error instanceof StorageUnavailableError && error.message.includes('replaced'),
      );
      await assert.rejects(storage.audit.append(entry('req-1')), StorageUnavailableError);
      assert.deepEqual({ starts: storage.writer.counts.starts, crashes: storage.writer.counts.crashes }, { starts: 2, crashes: 0 });
    });
  });

  describe('closing', function () {
    it('when the storage closes with writes in flight, then they commit first, the thread ends, the WAL is checkpointed away and later writes reject', async function () {
      const storage = open();
      await warm(storage);
      const writes = [
        ...Array.from({ length: 10 }, (_, i) => storage.state.create('pending', `r${i}`, { i })),
        storage.audit.append(entry('last')),
      ];
      await storage.close();
      assert.equal((await Promise.allSettled(writes)).filter((result) => result.status === 'fulfilled').length, writes.length);
      assert.equal(storage.writer.thread, undefined);
      assert.equal(existsSync(`${databaseFilePath(dataDir)}-wal`), false, 'the writer closed last and checkpointed');
      await assert.rejects(storage.state.create('pending', 'late', {}), StorageUnavailableError);
      const reopened = open();
      assert.equal((await reopened.state.list('pending')).length, 10);
      assert.equal((await reopened.audit.list())[0]?.requestId, 'last');
    });

    it('when a storage that only read closes, then it never started a writer thread', async function () {
      open();
      const storage = open();
      assert.equal(await storage.state.get('pending', 'r1'), undefined);
      assert.deepEqual(await storage.audit.list(), []);
      await storage.close();
      assert.equal(storage.writer.counts.starts, 0);
    });
  });

  describe('the clock', function () {
    for (const [when, start] of [
      ['years behind', '2001-01-01T00:00:00Z'],
      ['years ahead of', '2099-01-01T00:00:00Z'],
    ] as const) {
      it(`when the store's clock is ${when} the machine's, then the writer thread decides expiry by the store's clock alone`, async function () {
        const clock = new ManualClock(start);
        const storage = open({ clock });
        const expiresAt = new Date(clock.now().getTime() + 60_000);
        const created = await storage.state.create('pending', 'r1', { step: 1 }, { expiresAt });
        assert.ok(created.ok);
        // A create sweeps expired items of its namespace: by the store's clock r1 is live.
        assert.ok((await storage.state.create('pending', 'r2', {})).ok);
        const replaced = await storage.state.replace('pending', 'r1', { step: 2 }, created.etag, { expiresAt });
        assert.ok(replaced.ok, 'live by the store’s clock');
        clock.advance(60_000);
        assert.deepEqual(await storage.state.replace('pending', 'r1', { step: 3 }, replaced.etag), { ok: false, reason: 'missing' });
        assert.ok((await storage.state.create('pending', 'r1', { step: 4 })).ok, 'expired by the store’s clock, so absent');
      });
    }
  });
});
