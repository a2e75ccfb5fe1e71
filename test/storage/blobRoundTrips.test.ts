/**
 * How many round trips to Azure Blob Storage the use cases make per turn, counted at a proxy in
 * front of Azurite: a lookup's writes and a confirm's, and what each store call costs.
 */
import assert from 'node:assert/strict';
import { BlobServiceClient } from '@azure/storage-blob';
import { AuditTrail } from '../../src/app/auditTrail';
import type { Acting } from '../../src/app/acting';
import { RevocationService } from '../../src/app/revocation/revocationService';
import type { PersonRef } from '../../src/domain/people';
import { auditHeadName, HINT_STRIDE } from '../../src/storage/blob/blobAuditLog';
import { openBlobStorage, type BlobStorage } from '../../src/storage/blob/openBlobStorage';
import { startAzurite, uniqueContainer, type Azurite } from '../helpers/azurite';
import { ManualClock } from '../helpers/clock';
import { FakeDirectory } from '../helpers/fakeDirectory';
import { auditEntry } from './auditLogContract';
import { startBlobRequestCounter, type BlobRequestCounter } from './blobRequestCounter';

const TENANT = '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10';
const UMA: PersonRef = {
  tenantId: TENANT,
  aadObjectId: '4c5d6e7f-8091-4bac-9d2e-3f4a5b6c7d99',
  name: 'Uma Useradmin',
  userPrincipalName: 'uma@contoso.onmicrosoft.com',
};

describe('Azure Blob storage: round trips per turn (counted at a proxy in front of Azurite)', function () {
  this.timeout(60_000);
  let azurite: Azurite;
  let counter: BlobRequestCounter;
  let storage: BlobStorage;
  let clock: ManualClock;

  before(async function () {
    azurite = await startAzurite();
    counter = await startBlobRequestCounter(azurite);
  });

  after(async function () {
    await counter?.close();
    await azurite?.stop();
  });

  beforeEach(async function () {
    clock = new ManualClock();
    storage = await openBlobStorage({ connectionString: counter.connectionString, container: uniqueContainer('trips'), clock });
  });

  /** Waits for the stores' background requests (the audit hint, the expiry sweep). */
  async function settled(): Promise<void> {
    await storage.audit.settled();
    await storage.state.settled();
  }

  afterEach(async function () {
    await storage.close();
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    await service.getContainerClient(storage.container.containerName).deleteIfExists();
    await service.getContainerClient(storage.auditContainer.containerName).deleteIfExists();
  });

  describe('a turn of the use cases', function () {
    let audit: AuditTrail;
    let service: RevocationService;
    const directory = new FakeDirectory(UMA.aadObjectId);
    const acting: Acting = { person: UMA, directory };
    for (let i = 0; i < 128; i += 1)
      directory.add({
        id: `6e7b768e-07e2-4810-8459-485f84f8f${i.toString(16).padStart(3, '0')}`,
        displayName: `Adele ${i}`,
        userPrincipalName: `adele${i}@contoso.onmicrosoft.com`,
      });

    beforeEach(async function () {
      audit = new AuditTrail({ log: storage.audit, retryDelaysInMs: [1], clock });
      service = new RevocationService({ store: storage.state, audit, requestTtlInMs: 15 * 60_000, clock });
      // Warm, as an instance is after its first turn: it knows where the audit trail ends.
      await lookup(0);
      await settled();
      counter.reset();
    });

    afterEach(async function () {
      await audit.close();
    });

    async function hint(): Promise<unknown> {
      return JSON.parse(
        (await storage.container.getBlobClient(auditHeadName(storage.auditContainer.containerName)).downloadToBuffer()).toString('utf8'),
      );
    }

    async function lookup(i: number): Promise<string> {
      const found = await service.lookup(acting, { kind: 'userPrincipalName', upn: `adele${i}@contoso.onmicrosoft.com` });
      assert.equal(found.kind, 'found');
      return found.kind === 'found' ? found.request.id : '';
    }

    /** Runs `turn` with the audit hint's updates held back (so they cannot be on its path), then lets them through. */
    async function count(turn: () => Promise<unknown>): Promise<{ path: Record<string, number>; background: Record<string, number> }> {
      const letThrough = counter.hold('PUT audit-head');
      let path: Record<string, number>;
      try {
        await turn();
        path = counter.counts();
      } finally {
        letThrough();
      }
      await settled();
      const all = counter.counts();
      const background: Record<string, number> = Object.fromEntries(
        Object.entries(all)
          .map(([kind, n]): [string, number] => [kind, n - (kind === 'PUT audit-head' ? 0 : (path[kind] ?? 0))])
          .filter(([, n]) => n !== 0),
      );
      delete path['PUT audit-head'];
      return { path, background };
    }

    it('when a warm instance looks someone up, then the turn takes two round trips: the request and its audit record', async function () {
      assert.deepEqual(await count(() => lookup(1)), { path: { 'PUT state': 1, 'PUT audit': 1 }, background: {} });
    });

    it('when the requester confirms, then the turn waits for five round trips: read the request, mark it executing, the record before the revoke, the outcome, the record after', async function () {
      const id = await lookup(2);
      await settled();
      counter.reset();
      const { path, background } = await count(async () => assert.equal((await service.confirm(acting, id)).kind, 'completed'));
      assert.deepEqual(path, { 'GET state': 1, 'PUT state': 2, 'PUT audit': 2 });
      assert.deepEqual(background, {});
    });

    it(`when the appends run ${HINT_STRIDE} ahead of the audit hint, then one update moves it, off the turn's path; closing moves it to the end`, async function () {
      // The warm lookup appended record 1; the hint says 0.
      const turns: Record<string, number>[] = [];
      for (let i = 0; i < HINT_STRIDE - 1; i += 1) turns.push((await count(() => lookup(10 + i))).background);
      assert.deepEqual(
        turns.slice(0, -1),
        Array.from({ length: HINT_STRIDE - 2 }, () => ({})),
      );
      assert.deepEqual(turns.at(-1), { 'PUT audit-head': 1 });
      assert.deepEqual(await hint(), { seq: HINT_STRIDE });
      await count(() => lookup(100));
      await storage.close();
      assert.deepEqual(await hint(), { seq: HINT_STRIDE + 1 });
    });
  });

  describe('each store call', function () {
    async function trips(call: () => Promise<unknown>): Promise<Record<string, number>> {
      await settled();
      counter.reset();
      await call();
      await settled();
      return counter.counts();
    }

    it('when an item is replaced or deleted with an etag this instance read or wrote, then one conditional request does it; with one it never saw, it reads first', async function () {
      const created = await storage.state.create('pending', 'r1', { step: 1 }, { expiresAt: new Date(clock.now().getTime() + 60_000) });
      assert.ok(created.ok);
      let etag = created.etag;
      assert.deepEqual(
        await trips(async () => {
          const replaced = await storage.state.replace('pending', 'r1', { step: 2 }, etag, {
            expiresAt: new Date(clock.now().getTime() + 60_000),
          });
          assert.ok(replaced.ok);
          etag = replaced.etag;
        }),
        { 'PUT state': 1 },
      );
      const other = await openBlobStorage({
        connectionString: counter.connectionString,
        container: storage.container.containerName,
        clock,
      });
      try {
        assert.deepEqual(
          await trips(async () => {
            const replaced = await other.state.replace('pending', 'r1', { step: 3 }, etag);
            assert.ok(replaced.ok);
            etag = replaced.etag;
          }),
          { 'HEAD state': 1, 'PUT state': 1 },
          'an instance that never saw the version reads it first',
        );
      } finally {
        await other.close();
      }
      assert.deepEqual(
        await trips(async () =>
          assert.deepEqual(await storage.state.replace('pending', 'r1', { step: 4 }, 'not-the-etag'), { ok: false, reason: 'conflict' }),
        ),
        { 'HEAD state': 1 },
      );
      assert.deepEqual(await trips(async () => assert.equal((await storage.state.get('pending', 'r1'))?.etag, etag)), { 'GET state': 1 });
      assert.deepEqual(await trips(async () => assert.equal(await storage.state.delete('pending', 'r1', etag), true)), {
        'DELETE state': 1,
      });
    });

    it('when the etag this instance saw has expired since, then a replace still answers missing (read first), never overwriting the expired item', async function () {
      const created = await storage.state.create('pending', 'r1', { step: 1 }, { expiresAt: new Date(clock.now().getTime() + 60_000) });
      assert.ok(created.ok);
      clock.advance(60_000);
      assert.deepEqual(
        await trips(async () =>
          assert.deepEqual(await storage.state.replace('pending', 'r1', { step: 2 }, created.etag), { ok: false, reason: 'missing' }),
        ),
        { 'HEAD state': 1 },
      );
      assert.deepEqual(await trips(async () => assert.equal(await storage.state.delete('pending', 'r1', created.etag), false)), {
        'HEAD state': 1,
        'DELETE state': 1,
      });
    });

    it('when a warm instance appends, then the record is one Put Blob', async function () {
      await storage.audit.append(auditEntry({ requestId: 'first' }));
      assert.deepEqual(await trips(() => storage.audit.append(auditEntry({ requestId: 'second' }))), { 'PUT audit': 1 });
    });

    it('when another instance moved the hint, then the next update reads it again and still only moves it forward', async function () {
      const other = await openBlobStorage({
        connectionString: counter.connectionString,
        container: storage.container.containerName,
        clock,
      });
      try {
        await storage.audit.append(auditEntry({ requestId: 'first' }));
        for (let i = 0; i < 3; i += 1) await other.audit.append(auditEntry({ requestId: `other-${i}` }));
        await other.close();
        const hint = storage.container.getBlobClient(auditHeadName(storage.auditContainer.containerName));
        assert.deepEqual(
          JSON.parse((await hint.downloadToBuffer()).toString('utf8')),
          { seq: 4 },
          'the other instance left the hint at its last record when it closed',
        );
        // This instance lost the races for 2, 3 and 4 (409), chained onto each winner and took 5.
        assert.equal((await storage.audit.append(auditEntry({ requestId: 'again' }))).seq, 5);
        const counts = await trips(() => storage.close());
        // Its update met 412 (the ETag it knew is stale), so it read the hint again and wrote it once more.
        assert.deepEqual(counts, { 'PUT audit-head': 2, 'GET audit-head': 1 });
        assert.deepEqual(JSON.parse((await hint.downloadToBuffer()).toString('utf8')), { seq: 5 });
      } finally {
        await other.close();
      }
    });
  });
});
