/**
 * The audit trail's after-the-fact records when the log fails: for now (the store is down) or for
 * good (it refuses the record). On a real SQLite log, behind a switch that makes it unavailable,
 * and a real set-aside directory.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AuditTrail, type SetAsideEvent } from '../../src/app/auditTrail';
import { StorageUnavailableError, type AuditAction, type AuditEntry, type AuditLog } from '../../src/app/ports/auditLog';
import { CLAIM_EXPIRY_IN_MS, FileAuditSetAside } from '../../src/storage/auditSetAsideFiles';
import { openSqliteStorage, type SqliteStorage } from '../../src/storage/openSqliteStorage';
import { verifyChain } from '../../src/storage/auditChain';
import { fakeJwt } from '../storage/stateStoreContract';
import { makeTempDir, removeDir } from '../storage/storageTestHelpers';
import { ManualClock } from '../helpers/clock';

const TENANT = 'c0ffee00-0000-4000-8000-000000000001';

/** The real log, made unavailable (StorageUnavailableError, as the backends throw) while `down` is set. */
class Switchable implements AuditLog {
  down = false;
  /** When set, an append waits for this promise first (a store that hangs). */
  hang: Promise<void> | undefined;

  constructor(private readonly real: AuditLog) {}

  async append(entry: AuditEntry): ReturnType<AuditLog['append']> {
    if (this.hang) await this.hang;
    if (this.down) throw new StorageUnavailableError('Injected: storage unavailable.');
    return this.real.append(entry);
  }

  list(...args: Parameters<AuditLog['list']>): ReturnType<AuditLog['list']> {
    return this.real.list(...args);
  }
}

function entry(requestId: string, action: AuditAction = 'request.created'): Omit<AuditEntry, 'at'> {
  return { tenantId: TENANT, action, outcome: 'ok', requestId };
}

describe('audit trail: records written after the fact', function () {
  let dataDir: string;
  let storage: SqliteStorage;
  let log: Switchable;
  let setAsideDir: string;
  let events: SetAsideEvent[];
  const clock = new ManualClock();

  beforeEach(function () {
    dataDir = makeTempDir();
    storage = openSqliteStorage({ dataDir, clock });
    log = new Switchable(storage.audit);
    setAsideDir = path.join(dataDir, 'audit-set-aside');
    events = [];
  });

  afterEach(async function () {
    await storage.close();
    removeDir(dataDir);
  });

  function trail(options: { maxPending?: number; closeBudgetInMs?: number } = {}): AuditTrail {
    return new AuditTrail({
      log,
      clock,
      retryDelaysInMs: [],
      setAside: new FileAuditSetAside(setAsideDir, clock),
      onSetAside: (event) => events.push(event),
      ...options,
    });
  }

  async function landed(): Promise<string[]> {
    return (await storage.audit.list({ limit: 1000 })).map((record) => `${String(record.requestId)}:${record.action}`).reverse();
  }

  function filesIn(kind: 'refused' | 'unwritten'): string[] {
    try {
      return readdirSync(path.join(setAsideDir, kind)).filter((name) => !name.startsWith('.'));
    } catch {
      return [];
    }
  }

  it('a poisoned record: one record the log refuses for good does not stop a later revocation.succeeded from landing', async function () {
    const audit = trail();
    log.down = true;
    // Both wait in order while the store is down; the first is one the log will never take.
    await audit.after({ ...entry('poison'), action: 'request.deleted' as AuditAction });
    await audit.after(entry('req-1', 'revocation.succeeded'));
    assert.equal(audit.pending, 2);
    log.down = false;
    await audit.flush();
    assert.deepEqual(await landed(), ['req-1:revocation.succeeded']);
    assert.equal(audit.pending, 0);
    // The poisoned record is kept, with why, for an operator, and the trail says so.
    const [refused] = filesIn('refused');
    assert.ok(refused);
    const kept = JSON.parse(readFileSync(path.join(setAsideDir, 'refused', refused), 'utf8')) as {
      entry: AuditEntry;
      error: { name: string; message: string };
    };
    assert.equal(kept.entry.requestId, 'poison');
    assert.deepEqual([kept.error.name, kept.error.message], ['TypeError', 'Audit entry action is not a known audit action.']);
    assert.deepEqual(
      events.map((e) => [e.entry.requestId, e.reason, e.failure]),
      [['poison', 'refused', undefined]],
    );
    assert.deepEqual(audit.degradation(), ['audit: 1 record refused by the audit log, set aside for an operator']);
    await audit.close();
  });

  it('when a record is refused for good at once, then it is set aside without waiting and the next record lands', async function () {
    const audit = trail();
    await audit.after({ ...entry('poison'), outcome: 'maybe' as AuditEntry['outcome'] });
    await audit.after(entry('req-2', 'revocation.succeeded'));
    assert.equal(audit.pending, 0);
    assert.deepEqual(await landed(), ['req-2:revocation.succeeded']);
    assert.equal(filesIn('refused').length, 1);
    await audit.close();
  });

  it('the queue bound: past maxPending, records are set aside as unwritten on disk, and all of them land once the log is back', async function () {
    const audit = trail({ maxPending: 2 });
    log.down = true;
    for (let i = 1; i <= 5; i += 1) await audit.after(entry(`req-${i}`));
    assert.equal(audit.pending, 2, 'memory holds at most maxPending');
    assert.equal(filesIn('unwritten').length, 3);
    assert.deepEqual(
      events.map((e) => `${String(e.entry.requestId)}:${e.reason}`),
      ['req-3:queue_full', 'req-4:queue_full', 'req-5:queue_full'],
    );
    assert.deepEqual(audit.degradation(), ['audit: 5 records waiting to be written']);
    log.down = false;
    await audit.flush();
    assert.deepEqual(await landed(), [
      'req-1:request.created',
      'req-2:request.created',
      'req-3:request.created',
      'req-4:request.created',
      'req-5:request.created',
    ]);
    assert.deepEqual(filesIn('unwritten'), []);
    assert.deepEqual(audit.degradation(), []);
    assert.ok((await verifyChain(storage.audit.stored())).intact);
    await audit.close();
  });

  it('shutdown flush: at close, what the log takes is written, what it does not is set aside, and the next start writes it', async function () {
    const first = trail();
    log.down = true;
    await first.after(entry('req-1', 'revocation.succeeded'));
    log.down = false;
    await first.after(entry('req-2'));
    await first.close();
    assert.deepEqual(await landed(), ['req-2:request.created', 'req-1:revocation.succeeded'], 'the waiting record was flushed at close');

    const second = trail();
    log.down = true;
    await second.after(entry('req-3', 'revocation.succeeded'));
    await second.close();
    assert.equal(second.pending, 0);
    assert.equal(filesIn('unwritten').length, 1, 'kept on disk, not dropped');
    assert.deepEqual(
      events.map((e) => `${String(e.entry.requestId)}:${e.reason}`),
      ['req-3:shutdown'],
    );
    // A record that comes in after close is kept on disk too.
    await second.after(entry('req-4'));
    assert.equal(filesIn('unwritten').length, 2);

    log.down = false;
    const next = trail();
    await next.resume();
    assert.deepEqual(await landed(), [
      'req-2:request.created',
      'req-1:revocation.succeeded',
      'req-3:revocation.succeeded',
      'req-4:request.created',
    ]);
    assert.deepEqual(filesIn('unwritten'), []);
    await next.close();
  });

  it('when an append hangs past the close budget, then the record is set aside rather than lost', async function () {
    const audit = trail({ closeBudgetInMs: 20 });
    log.down = true;
    await audit.after(entry('req-1', 'revocation.succeeded'));
    log.down = false;
    let release = (): void => undefined;
    log.hang = new Promise<void>((resolve) => (release = resolve));
    await audit.close();
    assert.equal(filesIn('unwritten').length, 1);
    log.hang = undefined;
    release();
  });

  it('when no set-aside store is given and a record is refused for good, then the event carries the whole record for the process log and readiness says so', async function () {
    const audit = new AuditTrail({ log, clock, retryDelaysInMs: [], onSetAside: (event) => events.push(event) });
    await audit.after({ ...entry('poison'), action: 'request.deleted' as AuditAction });
    assert.equal(events[0]?.entry.requestId, 'poison');
    assert.ok(events[0]?.failure instanceof Error);
    assert.deepEqual(audit.degradation(), ['audit: 1 record could not be set aside and are only in the process log']);
  });
});

describe('audit records set aside as files', function () {
  let dir: string;
  const clock = new ManualClock();

  beforeEach(function () {
    dir = makeTempDir('revoker-set-aside-');
  });

  afterEach(function () {
    removeDir(dir);
  });

  const record = (requestId: string, detail?: string): AuditEntry => ({
    at: clock.now().toISOString(),
    tenantId: TENANT,
    action: 'request.created',
    outcome: 'ok',
    requestId,
    detail,
  });

  it('when a record holding a credential is set aside, then the credential is masked and the file is private', async function () {
    const store = new FileAuditSetAside(dir, clock);
    const jwt = fakeJwt();
    const refused = await store.refused(record('r1', `assertion ${jwt}`), new Error(`bad ${jwt}`));
    const unwritten = await store.unwritten(record('r2', `assertion ${jwt}`));
    for (const file of [refused, unwritten]) {
      const text = readFileSync(file, 'utf8');
      assert.ok(!text.includes(jwt.slice(0, 20)), text);
      assert.match(text, /\[redacted: looked like a jwt\]/);
      assert.equal(statSync(file).mode & 0o777, 0o600);
    }
    assert.deepEqual(await store.counts(), { refused: 1, unwritten: 1 });
  });

  it('when two processes share the directory, then each unwritten record is claimed by one of them, oldest first', async function () {
    const one = new FileAuditSetAside(dir, clock);
    const two = new FileAuditSetAside(dir, clock);
    for (let i = 0; i < 6; i += 1) {
      await one.unwritten(record(`r${i}`));
      clock.advance(1000);
    }
    const [a, b] = await Promise.all([one.claim(4), two.claim(4)]);
    assert.deepEqual([...(a ?? []), ...(b ?? [])].map((c) => c.entry.requestId).sort(), ['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
    assert.deepEqual(
      a?.map((c) => c.entry.requestId),
      ['r0', 'r1', 'r2', 'r3'],
    );
    assert.deepEqual(await two.claim(4), [], 'nothing left that is not claimed');
    await one.release(a?.[0]?.claim ?? '');
    await one.landed(a?.[1]?.claim ?? '');
    assert.deepEqual(
      (await two.claim(4)).map((c) => c.entry.requestId),
      ['r0'],
      'released back, taken by the other',
    );
  });

  it('when a process died holding a claim, then once the claim has expired the next claim takes it over; a file that is not a record goes to refused', async function () {
    const dead = new FileAuditSetAside(dir, clock);
    await dead.unwritten(record('orphan'));
    const [claimed] = await dead.claim(1);
    assert.ok(claimed);
    writeFileSync(path.join(dir, 'unwritten', '0000-garbage.json'), 'not json');
    const alive = new FileAuditSetAside(dir, clock);
    assert.deepEqual(await alive.claim(10), [], 'a fresh claim belongs to a process that may still be writing it');
    assert.deepEqual(readdirSync(path.join(dir, 'refused')), ['0000-garbage.json.unreadable']);
    clock.advance(CLAIM_EXPIRY_IN_MS + 1000);
    assert.deepEqual(
      (await alive.claim(10)).map((c) => c.entry.requestId),
      ['orphan'],
    );
  });
});
