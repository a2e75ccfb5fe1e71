import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sinon from 'sinon';
import { loadBulkRun, pageKey, PagesLost, RunPages, type BulkItemPage } from '../../src/app/bulk/bulkRunPages';
import { NAMESPACE } from '../../src/app/ports/namespaces';
import { beginRun, claimExecution, createBulkRun, sendItem, settleItem, type BulkItem, type BulkRun } from '../../src/domain/bulkRun';
import type { PersonRef } from '../../src/domain/people';
import { openSqliteStorage, type SqliteStorage } from '../../src/storage';
import { ManualClock } from '../helpers/clock';

const UMA: PersonRef = {
  tenantId: '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10',
  aadObjectId: '4c5d6e7f-8091-4bac-9d2e-3f4a5b6c7d99',
  name: 'Uma Useradmin',
};

function userId(n: number): string {
  return `0b7d6c4a-91e3-4f2a-8d6e-${String(n).padStart(12, '0')}`;
}

describe('a running bulk run’s pages', function () {
  let dir: string;
  let storage: SqliteStorage;
  let clock: ManualClock;
  const sandbox = sinon.createSandbox();

  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), 'revoker-bulk-pages-'));
    clock = new ManualClock();
    storage = openSqliteStorage({ dataDir: dir, clock });
  });

  afterEach(async function () {
    sandbox.restore();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A running run of `count` users with a ledger of pages of 4, stored. */
  async function storedRun(count: number, ledgerId = 'ledger-1'): Promise<BulkRun> {
    const targets = Array.from({ length: count }, (_, i) => ({
      id: userId(i + 1),
      userPrincipalName: `u${i + 1}@contoso.com`,
      displayName: `User ${i + 1}`,
    }));
    const created = createBulkRun({
      id: 'run-1',
      requester: UMA,
      source: { kind: 'department', label: 'HP' },
      targets,
      now: clock.now(),
      ttlInMs: 60_000,
    });
    const begun = beginRun(created, UMA, clock.now());
    assert.ok(begun.ok);
    const claimed = claimExecution(begun.value, 'exec-a', clock.now(), 60_000);
    assert.ok(claimed.ok);
    const run = { ...claimed.value, ledger: { id: ledgerId, pageSize: 4 } };
    await storage.state.create(NAMESPACE.bulkRuns, run.id, run);
    return run;
  }

  const retention = (): Date => new Date(clock.now().getTime() + 3_600_000);

  /** Marks items sent (and optionally revoked) in `items` and returns their indexes. */
  function change(items: BulkItem[], indexes: number[], revoke: boolean): number[] {
    for (const i of indexes) {
      const sent = sendItem(items[i]!, clock.now());
      items[i] = revoke ? settleItem(sent, { id: sent.id, kind: 'revoked' }, clock.now(), 3) : sent;
    }
    return indexes;
  }

  it('when an execution adopts a run, then its pages are created from the run’s items, and a batch writes only the pages its users are on', async function () {
    const run = await storedRun(10);
    const pages = new RunPages(storage.state, run, 'exec-a', retention);
    const items = await pages.adopt();
    assert.equal(items.length, 10);
    const stored = await storage.state.list<BulkItemPage>(NAMESPACE.bulkRunItems, { keyPrefix: 'run-1/' });
    assert.deepEqual(stored.map((p) => [p.key, p.value.first, p.value.items.length, p.value.executionId]).sort(), [
      [pageKey('run-1', 0), 0, 4, 'exec-a'],
      [pageKey('run-1', 1), 4, 4, 'exec-a'],
      [pageKey('run-1', 2), 8, 2, 'exec-a'],
    ]);
    const before = new Map(stored.map((p) => [p.key, p.etag]));
    await pages.save(items, change(items, [5, 6], true));
    const after = await storage.state.list<BulkItemPage>(NAMESPACE.bulkRunItems, { keyPrefix: 'run-1/' });
    assert.deepEqual(
      after.filter((p) => p.etag !== before.get(p.key)).map((p) => p.key),
      [pageKey('run-1', 1)],
      'one page written',
    );
    const loaded = await loadBulkRun(storage.state, 'run-1');
    assert.deepEqual(
      loaded?.value.items.map((i) => i.status),
      ['pending', 'pending', 'pending', 'pending', 'pending', 'revoked', 'revoked', 'pending', 'pending', 'pending'],
    );
    assert.equal(loaded?.etag, (await storage.state.get(NAMESPACE.bulkRuns, 'run-1'))?.etag, 'the etag is the run document’s');
  });

  it('when another execution takes the run over, then it reads the pages’ states, and the old execution’s next page write fails (it lost the run)', async function () {
    const run = await storedRun(8);
    const a = new RunPages(storage.state, run, 'exec-a', retention);
    const itemsA = await a.adopt();
    await a.save(itemsA, change(itemsA, [0, 1], false));
    const b = new RunPages(storage.state, run, 'exec-b', retention);
    const itemsB = await b.adopt();
    assert.deepEqual(
      itemsB.map((i) => i.status),
      ['sent', 'sent', 'pending', 'pending', 'pending', 'pending', 'pending', 'pending'],
      'the pages’ states win over the document’s',
    );
    await assert.rejects(
      a.save(itemsA, change(itemsA, [0], true)),
      (error: unknown) => error instanceof PagesLost && error.reason === 'taken_over',
    );
    await assert.rejects(a.save(itemsA, [4]), PagesLost, 'once lost, always lost');
    await b.save(itemsB, change(itemsB, [2], false));
    const loaded = await loadBulkRun(storage.state, 'run-1');
    assert.deepEqual(
      loaded?.value.items.slice(0, 3).map((i) => i.status),
      ['sent', 'sent', 'sent'],
    );
  });

  it('when many changes to one page arrive while it is being written, then they go out together in its next write', async function () {
    const run = await storedRun(4);
    const pages = new RunPages(storage.state, run, 'exec-a', retention);
    const items = await pages.adopt();
    const replace = sandbox.spy(storage.state, 'replace');
    await Promise.all([0, 1, 2, 3].map((i) => pages.save(items, change(items, [i], true))));
    assert.equal(replace.callCount, 2, 'the first change, then the three that came while it was written');
    assert.deepEqual(
      (await loadBulkRun(storage.state, 'run-1'))?.value.items.map((i) => i.status),
      ['revoked', 'revoked', 'revoked', 'revoked'],
    );
  });

  it('when a page is missing or belongs to an earlier ledger, then the run document’s states stand for its users', async function () {
    const run = await storedRun(8, 'ledger-2');
    const stale: BulkItemPage = {
      runId: 'run-1',
      ledgerId: 'ledger-1',
      executionId: 'exec-old',
      first: 0,
      items: run.items.slice(0, 4).map((i) => ({ ...i, status: 'revoked' as const })),
    };
    await storage.state.create(NAMESPACE.bulkRunItems, pageKey('run-1', 0), stale);
    const loaded = await loadBulkRun(storage.state, 'run-1');
    assert.ok(loaded?.value.items.every((i) => i.status === 'pending'));
    const pages = new RunPages(storage.state, run, 'exec-a', retention);
    const items = await pages.adopt();
    assert.ok(
      items.every((i) => i.status === 'pending'),
      'the stale page was overwritten with the document’s states',
    );
    const page = await storage.state.get<BulkItemPage>(NAMESPACE.bulkRunItems, pageKey('run-1', 0));
    assert.equal(page?.value.ledgerId, 'ledger-2');
    await pages.remove();
    assert.deepEqual(await storage.state.list(NAMESPACE.bulkRunItems), []);
  });
});
