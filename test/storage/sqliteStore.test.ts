import assert from 'node:assert/strict';
import { mkdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import sinon from 'sinon';
import { StorageUnavailableError } from '../../src/app/ports/stateStore';
import { databaseFilePath, openDatabase } from '../../src/storage/openDatabase';
import { openSqliteStorage } from '../../src/storage/openSqliteStorage';
import { SCHEMA_VERSION } from '../../src/storage/schema';
import { SqliteStateStore } from '../../src/storage/sqliteStore';
import { SqliteAuditLog } from '../../src/storage/sqliteAuditLog';
import { verifyChain } from '../../src/storage/auditChain';
import { ManualClock } from '../helpers/clock';
import { describeStateStoreContract } from './stateStoreContract';
import { makeTempDir, openRaw, removeDir, startWriter, stopWriter, waitFor, type Writer } from './storageTestHelpers';

describeStateStoreContract('SQLite state store', async function () {
  const dataDir = makeTempDir();
  const clock = new ManualClock();
  const store = SqliteStateStore.open({ dataDir, clock });
  return {
    store,
    clock,
    second: async () => SqliteStateStore.open({ dataDir, clock }),
    async dispose() {
      await store.close();
      removeDir(dataDir);
    },
  };
});

/** Asserts a StorageUnavailableError whose cause is a SQLite error with the given code prefix. */
function unavailableWithCause(codePrefix: string): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof StorageUnavailableError, `expected StorageUnavailableError, got ${String(error)}`);
    assert.equal(error.code, 'storage_unavailable');
    assert.ok(error.cause instanceof Database.SqliteError);
    assert.ok(error.cause.code.startsWith(codePrefix), error.cause.code);
    return true;
  };
}

describe('SQLite state store', function () {
  let root: string;
  let dataDir: string;
  const closers: (() => unknown)[] = [];

  beforeEach(function () {
    root = makeTempDir();
    dataDir = path.join(root, 'data');
  });

  afterEach(async function () {
    for (const close of closers.splice(0).reverse()) await close();
    removeDir(root);
  });

  function openStore(options: { busyTimeoutInMs?: number; clock?: ManualClock } = {}): SqliteStateStore {
    const store = SqliteStateStore.open({ dataDir, clock: new ManualClock(), ...options });
    closers.push(() => store.close());
    return store;
  }

  function raw(): Database.Database {
    const db = openRaw(dataDir);
    closers.push(() => db.close());
    return db;
  }

  describe('opening', function () {
    it('when the data directory does not exist, then it is created 0700 with the database and its WAL files 0600', async function () {
      dataDir = path.join(root, 'nested', 'data');
      const store = openStore();
      assert.ok((await store.create('pending', 'r1', { step: 1 })).ok);
      assert.equal(statSync(dataDir).mode & 0o777, 0o700);
      for (const suffix of ['', '-wal', '-shm'])
        assert.equal(statSync(`${databaseFilePath(dataDir)}${suffix}`).mode & 0o777, 0o600, `revoker.sqlite${suffix}`);
    });

    it('when a connection opens, then it uses WAL, synchronous=FULL, the busy timeout, foreign keys and the current schema', function () {
      const connection = openDatabase({ dataDir, busyTimeoutInMs: 1234 });
      closers.push(() => connection.close());
      const pragma = (name: string): unknown => connection.db.pragma(name, { simple: true });
      assert.equal(pragma('journal_mode'), 'wal');
      assert.equal(pragma('synchronous'), 2); // FULL
      assert.equal(pragma('busy_timeout'), 1234);
      assert.equal(pragma('foreign_keys'), 1);
      assert.equal(pragma('user_version'), SCHEMA_VERSION);
    });

    it('when the database is reopened, then earlier items are there and the schema version is unchanged', async function () {
      const first = SqliteStateStore.open({ dataDir, clock: new ManualClock() });
      const created = await first.create('pending', 'r1', { step: 1 });
      assert.ok(created.ok);
      await first.close();
      const second = openStore();
      assert.deepEqual(await second.get('pending', 'r1'), { value: { step: 1 }, etag: created.etag });
      assert.equal(raw().pragma('user_version', { simple: true }), SCHEMA_VERSION);
    });

    it('when the database was written by a newer build, then opening refuses with StorageUnavailableError', async function () {
      await openStore().close();
      const db = new Database(databaseFilePath(dataDir));
      db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
      db.close();
      assert.throws(() => SqliteStateStore.open({ dataDir, clock: new ManualClock() }), StorageUnavailableError);
    });

    it('when the data directory path is a regular file, then opening throws StorageUnavailableError', function () {
      writeFileSync(dataDir, 'not a directory');
      assert.throws(() => openSqliteStorage({ dataDir, clock: new ManualClock() }), StorageUnavailableError);
    });

    it('when the database file is not a SQLite database, then opening throws StorageUnavailableError', function () {
      mkdirSync(dataDir);
      writeFileSync(databaseFilePath(dataDir), Buffer.alloc(8192, 'garbage!'));
      assert.throws(() => SqliteStateStore.open({ dataDir, clock: new ManualClock() }), unavailableWithCause('SQLITE_NOTADB'));
    });

    it('when the database path is a directory, then opening throws StorageUnavailableError', function () {
      mkdirSync(databaseFilePath(dataDir), { recursive: true });
      assert.throws(() => SqliteStateStore.open({ dataDir, clock: new ManualClock() }), StorageUnavailableError);
    });
  });

  describe('expiry housekeeping', function () {
    function rowCount(namespace: string): number {
      const row = raw().prepare('SELECT count(*) AS n FROM state_items WHERE ns = ?').get(namespace) as { n: number };
      return row.n;
    }

    it('when an item is created, then expired items of its namespace are removed from the file', async function () {
      const clock = new ManualClock(new Date(1_000_000));
      const now = clock.now().getTime();
      const store = openStore({ clock });
      for (const key of ['a', 'b', 'c']) assert.ok((await store.create('pending', key, { key }, { expiresAt: new Date(now + 10) })).ok);
      assert.ok((await store.create('other', 'x', {}, { expiresAt: new Date(now + 10) })).ok);
      clock.advance(10);
      assert.equal(rowCount('pending'), 3, 'expired rows linger until a write comes by');
      assert.equal(await store.get('pending', 'a'), undefined);
      assert.ok((await store.create('pending', 'live', {})).ok);
      assert.equal(rowCount('pending'), 1);
      assert.equal(rowCount('other'), 1, 'other namespaces are left to their own creates');
    });

    it('when the machine’s clock says otherwise, then expiry follows the store’s clock alone', async function () {
      const clock = new ManualClock();
      const store = openStore({ clock });
      const machine = sinon.useFakeTimers({ now: Date.parse('2031-01-01T00:00:00Z'), toFake: ['Date'] });
      closers.push(() => machine.restore());
      assert.ok((await store.create('pending', 'r1', {}, { expiresAt: new Date(clock.now().getTime() + 60_000) })).ok);
      clock.advance(59_999);
      assert.notEqual(await store.get('pending', 'r1'), undefined, 'years ahead on the machine, still live by the clock');
      clock.advance(1);
      assert.equal(await store.get('pending', 'r1'), undefined);
    });

    it('when sweepExpired runs, then expired items of every namespace go and live ones stay', async function () {
      const clock = new ManualClock(new Date(1_000_000));
      const now = clock.now().getTime();
      const store = openStore({ clock });
      assert.ok((await store.create('pending', 'short', {}, { expiresAt: new Date(now + 10) })).ok);
      assert.ok((await store.create('other', 'short', {}, { expiresAt: new Date(now + 10) })).ok);
      assert.ok((await store.create('pending', 'long', {}, { expiresAt: new Date(now + 10_000) })).ok);
      clock.advance(10);
      assert.equal(await store.sweepExpired(), 2);
      assert.equal(rowCount('pending'), 1);
      assert.equal(rowCount('other'), 0);
      assert.equal((await store.get('pending', 'long')) !== undefined, true);
    });
  });

  describe('when the store cannot be used', function () {
    it('when another connection holds the write lock past the busy timeout, then writes and check reject with StorageUnavailableError, and work again once it is released', async function () {
      const store = openStore({ busyTimeoutInMs: 100 });
      assert.ok((await store.create('pending', 'r1', { step: 1 })).ok);
      const other = raw();
      other.exec('BEGIN IMMEDIATE');
      const startedAt = Date.now();
      await assert.rejects(store.create('pending', 'r2', { secretish: 'value-not-in-message' }), (error: unknown) => {
        unavailableWithCause('SQLITE_BUSY')(error);
        assert.ok(error instanceof Error && !error.message.includes('value-not-in-message'));
        return true;
      });
      assert.ok(Date.now() - startedAt >= 90, 'it waited for the busy timeout first');
      await assert.rejects(store.check(), StorageUnavailableError);
      assert.deepEqual((await store.get('pending', 'r1'))?.value, { step: 1 }, 'WAL readers are not blocked by a writer');
      other.exec('COMMIT');
      assert.ok((await store.create('pending', 'r2', { step: 1 })).ok);
      await store.check();
    });

    it('when the disk fills up under a group, then every write of a group whose commit fails rejects with StorageUnavailableError, a write that fails alone fails alone, the earlier data stays and later writes commit', async function () {
      this.timeout(60_000);
      mkdirSync(dataDir);
      // 1 MB per file: the group's eight 150 kB items cannot all reach the WAL, so its COMMIT fails.
      const groupSize = 8;
      const writer = startWriter(['diskfull', dataDir, String(groupSize)], { fileSizeLimitInKb: 1024 });
      closers.push(() => stopWriter(writer));
      assert.deepEqual(await writer.closed, { code: 0, signal: null }, writer.stderr());
      assert.deepEqual(writer.lines.filter(Boolean), [
        'before r1 ok',
        ...Array.from({ length: groupSize }, (_, i) => `group big-${i} StorageUnavailableError`),
        'spill a ok',
        'spill huge StorageUnavailableError',
        'spill audit ok',
        'spill b ok',
        'after r2 ok',
        'read r1 {"step":1}',
        'read big-0 null',
        'read a {"step":"a"}',
        'read huge null',
        'read b {"step":"b"}',
        'read r2 {"step":2}',
        // r1; the spill group's others, again in a fresh transaction once SQLite rolled back the first; r2.
        'commits 3',
      ]);
      const store = openStore();
      assert.deepEqual(
        (await store.list('pending')).map((item) => item.key),
        ['r2', 'b', 'a', 'r1'],
        'nothing of the failed writes is in the file',
      );
      const audit = SqliteAuditLog.open({ dataDir });
      closers.push(() => audit.close());
      assert.deepEqual(
        (await audit.list()).map((record) => [record.seq, record.requestId]),
        [[1, 'spill']],
      );
      assert.equal((await verifyChain(audit.stored())).intact, true);
    });

    it('when the database file is deleted while open, then every call rejects with StorageUnavailableError instead of writing to the orphaned file', async function () {
      const store = openStore();
      assert.ok((await store.create('pending', 'r1', { step: 1 })).ok);
      unlinkSync(databaseFilePath(dataDir));
      await assert.rejects(store.create('pending', 'r2', { step: 1 }), StorageUnavailableError);
      await assert.rejects(store.get('pending', 'r1'), StorageUnavailableError);
      await assert.rejects(store.list('pending'), StorageUnavailableError);
      await assert.rejects(store.check(), StorageUnavailableError);
    });

    it('when the database file is replaced by a directory, then calls reject with StorageUnavailableError', async function () {
      const store = openStore();
      assert.ok((await store.create('pending', 'r1', { step: 1 })).ok);
      unlinkSync(databaseFilePath(dataDir));
      mkdirSync(databaseFilePath(dataDir));
      await assert.rejects(store.create('pending', 'r2', { step: 1 }), StorageUnavailableError);
      await assert.rejects(store.check(), StorageUnavailableError);
    });

    it('when the data directory is moved away, then calls reject with StorageUnavailableError', async function () {
      const store = openStore();
      assert.ok((await store.create('pending', 'r1', { step: 1 })).ok);
      renameSync(dataDir, path.join(root, 'moved'));
      await assert.rejects(store.replace('pending', 'r1', { step: 2 }, 'any'), StorageUnavailableError);
    });
  });

  describe('across processes', function () {
    const writers: Writer[] = [];

    afterEach(async function () {
      for (const writer of writers.splice(0)) await stopWriter(writer);
    });

    it('when several processes open the same fresh data directory at the same moment, then every one of them opens it', async function () {
      this.timeout(60_000);
      mkdirSync(dataDir);
      for (let i = 0; i < 5; i += 1) writers.push(startWriter(['reopen', dataDir, '10']));
      await waitFor(
        () => writers.every((writer) => writer.lines.includes('ready')),
        30_000,
        () => `the writers to start (stderr: ${writers.map((writer) => writer.stderr()).join(' | ')})`,
      );
      writeFileSync(path.join(dataDir, 'go'), '');
      const results = await Promise.all(writers.map((writer) => writer.closed));
      writers.forEach((writer, i) => {
        assert.deepEqual(results[i], { code: 0, signal: null }, writer.stderr());
        assert.deepEqual(writer.lines, ['ready', 'opened']);
      });
    });

    it('when two processes increment one counter with retry-on-conflict at the same time, then no increment is lost', async function () {
      this.timeout(60_000);
      const perProcess = 200;
      mkdirSync(dataDir);
      writers.push(startWriter(['increment', dataDir, String(perProcess)]), startWriter(['increment', dataDir, String(perProcess)]));
      await waitFor(
        () => writers.every((writer) => writer.lines.includes('ready')),
        30_000,
        () => `both writers to open the database (stderr: ${writers.map((writer) => writer.stderr()).join(' | ')})`,
      );
      writeFileSync(path.join(dataDir, 'go'), '');
      const results = await Promise.all(writers.map((writer) => writer.closed));
      writers.forEach((writer, i) => assert.deepEqual(results[i], { code: 0, signal: null }, writer.stderr()));

      const store = openStore();
      assert.deepEqual((await store.get('counters', 'shared'))?.value, { count: 2 * perProcess });
      // Together the processes reported every value exactly once: no two CAS writes won from the same etag.
      const reported = writers.flatMap((writer) =>
        writer.lines.filter((line) => line.startsWith('state ')).map((line) => Number(line.split(' ')[1])),
      );
      assert.deepEqual(
        reported.sort((a, b) => a - b),
        Array.from({ length: 2 * perProcess }, (_, i) => i + 1),
      );
      const conflicts = writers.map((writer) => Number(writer.lines.find((line) => line.startsWith('done '))?.split(' ')[1]));
      assert.ok(
        conflicts.every((n) => Number.isInteger(n)),
        'both writers finished',
      );
      assert.ok(conflicts.reduce((sum, n) => sum + n, 0) > 0, 'the processes really raced (some CAS attempts lost)');
    });
  });
});
