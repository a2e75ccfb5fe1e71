/**
 * Crash safety of the SQLite storage: a writer process killed without warning, and write-ahead
 * logs whose tail was torn or garbled as a power cut would leave them.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { databaseFilePath } from '../../src/storage/openDatabase';
import { openSqliteStorage, type SqliteStorage } from '../../src/storage/openSqliteStorage';
import type { AuditEntry } from '../../src/app/ports/auditLog';
import { integrityOf, makeTempDir, openRaw, removeDir, startWriter, stopWriter, waitFor, type Writer } from './storageTestHelpers';
import { ManualClock } from '../helpers/clock';

function walOf(dataDir: string): string {
  return `${databaseFilePath(dataDir)}-wal`;
}

function entry(requestId: string): AuditEntry {
  return { at: new Date().toISOString(), tenantId: 'tenant-1', action: 'request.created', outcome: 'ok', requestId };
}

/** Every audit row as seq → requestId, read through a raw connection. */
function auditRows(dataDir: string): Map<number, string | null> {
  const db = openRaw(dataDir);
  try {
    const rows = db.prepare('SELECT seq, request_id FROM audit_records ORDER BY seq').all() as { seq: number; request_id: string | null }[];
    return new Map(rows.map((row) => [row.seq, row.request_id]));
  } finally {
    db.close();
  }
}

/**
 * Copies the database and its WAL while `storage` is open and idle: exactly the files a process
 * crash at this moment would leave (every commit was fsync'd, nothing checkpointed on close).
 */
function copyCrashImage(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  copyFileSync(databaseFilePath(from), databaseFilePath(to));
  copyFileSync(walOf(from), walOf(to));
}

describe('SQLite storage crash safety', function () {
  let root: string;
  let dataDir: string;
  const writers: Writer[] = [];
  const opened: SqliteStorage[] = [];

  beforeEach(function () {
    root = makeTempDir('revoker-crash-');
    dataDir = path.join(root, 'data');
  });

  afterEach(async function () {
    for (const writer of writers.splice(0)) await stopWriter(writer);
    for (const storage of opened.splice(0)) await storage.close();
    removeDir(root);
  });

  function open(dir: string): SqliteStorage {
    const storage = openSqliteStorage({ dataDir: dir, clock: new ManualClock() });
    opened.push(storage);
    return storage;
  }

  it('when a writer process is SIGKILLed mid-run, then every write it reported is there, the file is sound and the store keeps working', async function () {
    this.timeout(120_000);
    const reported = new Map<number, string>();
    let counter = 0;
    for (let round = 1; round <= 3; round += 1) {
      const writer = startWriter(['crash', dataDir]);
      writers.push(writer);
      await waitFor(
        () => writer.lines.filter((line) => line.startsWith('audit ')).length >= 40,
        60_000,
        () => `round ${round} writes (stderr: ${writer.stderr()})`,
      );
      writer.child.kill('SIGKILL');
      assert.equal((await writer.closed).signal, 'SIGKILL');
      for (const line of writer.lines) {
        const [kind, first, second] = line.split(' ');
        if (kind === 'audit' && second) reported.set(Number(first), second);
        if (kind === 'state') counter = Math.max(counter, Number(first));
      }
      assert.ok(statSync(walOf(dataDir)).size > 0, 'the killed process left its WAL for recovery');

      assert.equal(integrityOf(dataDir), 'ok');
      const rows = auditRows(dataDir);
      for (const [seq, requestId] of reported) assert.equal(rows.get(seq), requestId, `reported audit seq ${seq} survived`);
      assert.deepEqual(
        [...rows.keys()],
        Array.from({ length: rows.size }, (_, i) => i + 1),
        'the audit seq has no holes',
      );

      const storage = open(dataDir);
      const stored = await storage.state.get<{ count: number }>('counters', 'shared');
      assert.ok(stored, 'the counter survived');
      // The process may have committed one more increment than it lived to report.
      assert.ok(
        stored.value.count === counter || stored.value.count === counter + 1,
        `counter ${stored.value.count} vs reported ${counter}`,
      );
      const record = await storage.audit.append(entry(`after-round-${round}`));
      assert.equal(record.seq, rows.size + 1);
      reported.set(record.seq, `after-round-${round}`);
      const replaced = await storage.state.replace('counters', 'shared', { count: stored.value.count + 1 }, stored.etag);
      assert.ok(replaced.ok);
      counter = stored.value.count + 1;
      await storage.state.check();
      await storage.close();
    }
  });

  describe('torn writes in the WAL', function () {
    let image: string;

    beforeEach(function () {
      image = path.join(root, 'image');
    });

    it('when garbage lands at the end of the WAL of a crashed database, then reopening keeps every committed write', async function () {
      const storage = open(dataDir);
      const records = [];
      const etags = new Map<string, string>();
      for (let i = 0; i < 20; i += 1) {
        records.push(await storage.audit.append(entry(`req-${i}`)));
        const created = await storage.state.create('pending', `req-${i}`, { i });
        assert.ok(created.ok);
        etags.set(`req-${i}`, created.etag);
      }
      copyCrashImage(dataDir, image);
      appendFileSync(walOf(image), randomBytes(3 * 4096 + 123));

      assert.equal(integrityOf(image), 'ok');
      const reopened = open(image);
      assert.deepEqual(await reopened.audit.list({ limit: 1000 }), records.slice().reverse());
      for (const [key, etag] of etags) assert.equal((await reopened.state.get('pending', key))?.etag, etag);
      assert.equal((await reopened.audit.append(entry('after'))).seq, 21);
      assert.ok((await reopened.state.create('pending', 'after', {})).ok);
    });

    async function lastTransactionRange(): Promise<{ storage: SqliteStorage; before: number; after: number }> {
      const storage = open(dataDir);
      for (let i = 0; i < 10; i += 1) await storage.audit.append(entry(`req-${i}`));
      const before = statSync(walOf(dataDir)).size;
      await storage.audit.append(entry('torn'));
      const after = statSync(walOf(dataDir)).size;
      assert.ok(after > before, 'the last append added frames to the WAL');
      return { storage, before, after };
    }

    async function assertTornAppendVanished(): Promise<void> {
      assert.equal(integrityOf(image), 'ok');
      const rows = auditRows(image);
      assert.deepEqual(
        [...rows.values()],
        Array.from({ length: 10 }, (_, i) => `req-${i}`),
      );
      const reopened = open(image);
      assert.equal((await reopened.audit.append(entry('after'))).seq, 11, 'the torn append left no trace, not even its seq');
    }

    it('when the last transaction was cut short mid-frame, then it vanishes whole and everything before it stays', async function () {
      const { before, after } = await lastTransactionRange();
      copyCrashImage(dataDir, image);
      truncateSync(walOf(image), before + Math.floor((after - before) / 2));
      await assertTornAppendVanished();
    });

    it('when the bytes of the last transaction were garbled in place, then it is ignored and everything before it stays', async function () {
      const { before } = await lastTransactionRange();
      copyCrashImage(dataDir, image);
      const fd = openSync(walOf(image), 'r+');
      try {
        // Past the 24-byte frame header, inside the first page the torn transaction wrote.
        writeSync(fd, randomBytes(256), 0, 256, before + 24 + 1000);
      } finally {
        closeSync(fd);
      }
      await assertTornAppendVanished();
    });

    it('when a garbage WAL is found next to a cleanly closed database, then reopening ignores it and keeps every write', async function () {
      const storage = open(dataDir);
      const records = [];
      for (let i = 0; i < 5; i += 1) records.push(await storage.audit.append(entry(`req-${i}`)));
      await storage.close();
      assert.equal(existsSync(walOf(dataDir)), false, 'a clean close checkpoints and removes the WAL');
      writeFileSync(walOf(dataDir), randomBytes(5 * 4120));

      assert.equal(integrityOf(dataDir), 'ok');
      const reopened = open(dataDir);
      assert.deepEqual(await reopened.audit.list(), records.slice().reverse());
      assert.equal((await reopened.audit.append(entry('after'))).seq, 6);
    });
  });
});
