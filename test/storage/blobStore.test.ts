import assert from 'node:assert/strict';
import { BlobServiceClient } from '@azure/storage-blob';
import { StorageUnavailableError } from '../../src/app/ports/stateStore';
import { decodeSegment, encodeSegment, stateBlobName } from '../../src/storage/blob/blobNames';
import { randomUUID } from 'node:crypto';
import type { AuditRecord } from '../../src/app/ports/auditLog';
import { auditHeadName, auditMetadataOf, auditRecordName } from '../../src/storage/blob/blobAuditLog';
import { chainRecord, GENESIS_HASH, verifyChain } from '../../src/storage/auditChain';
import { normalizeAuditEntry } from '../../src/storage/auditEntry';
import { openBlobStorage, type BlobStorage } from '../../src/storage/blob/openBlobStorage';
import { ManualClock } from '../helpers/clock';
import { startAzurite, uniqueContainer, type Azurite } from '../helpers/azurite';
import { auditEntry, describeAuditLogContract } from './auditLogContract';
import { describeStateStoreContract } from './stateStoreContract';

describe('Azure Blob storage (against Azurite)', function () {
  this.timeout(60_000);
  let azurite: Azurite;
  const clock = new ManualClock();

  before(async function () {
    azurite = await startAzurite();
  });

  after(async function () {
    await azurite?.stop();
  });

  describeStateStoreContract('Blob', async () => {
    const container = uniqueContainer('contract');
    const storage = await openBlobStorage({ connectionString: azurite.connectionString, container, clock });
    return {
      store: storage.state,
      clock,
      second: async () => (await openBlobStorage({ connectionString: azurite.connectionString, container, clock })).state,
      async dispose() {
        await storage.close();
        await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(container).deleteIfExists();
        await storage.auditContainer.deleteIfExists();
      },
    };
  });

  describeAuditLogContract('Blob', async () => {
    const container = uniqueContainer('audit');
    const storage = await openBlobStorage({ connectionString: azurite.connectionString, container, clock });
    return {
      log: storage.audit,
      chain: storage.audit,
      second: async () => (await openBlobStorage({ connectionString: azurite.connectionString, container, clock })).audit,
      async dispose() {
        await storage.close();
        await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(container).deleteIfExists();
        await storage.auditContainer.deleteIfExists();
      },
    };
  });

  describe('the blob audit log', function () {
    let storage: BlobStorage;

    beforeEach(async function () {
      storage = await openBlobStorage({ connectionString: azurite.connectionString, container: uniqueContainer('audit-log'), clock });
    });

    afterEach(async function () {
      await storage.close();
      await storage.container.deleteIfExists();
      await storage.auditContainer.deleteIfExists();
    });

    async function writeHead(seq: number): Promise<void> {
      const body = JSON.stringify({ seq });
      await storage.container.getBlockBlobClient(auditHeadName(storage.auditContainer.containerName)).upload(body, body.length);
    }

    /** Records 1..count written straight to the container, correctly chained (quicker than appending one by one). */
    async function seedChain(count: number): Promise<AuditRecord[]> {
      const records: AuditRecord[] = [];
      let prevHash = GENESIS_HASH;
      for (let seq = 1; seq <= count; seq += 1) {
        const record = chainRecord(normalizeAuditEntry(auditEntry({ requestId: `seed-${seq}` })), seq, randomUUID(), prevHash);
        records.push(record);
        prevHash = record.hash;
      }
      for (let i = 0; i < records.length; i += 50) {
        await Promise.all(
          records.slice(i, i + 50).map((record) => {
            const body = JSON.stringify(record);
            return storage.auditContainer
              .getBlockBlobClient(auditRecordName(record.seq))
              .upload(body, Buffer.byteLength(body), { metadata: auditMetadataOf(record) });
          }),
        );
      }
      return records;
    }

    it('when records cross a bucket boundary, then they stay dense, ordered and chained, and paging with before crosses it too', async function () {
      await seedChain(994);
      await writeHead(990);
      const appended = [];
      for (let i = 0; i < 10; i += 1) appended.push(await storage.audit.append(auditEntry({ requestId: `req-${i}` })));
      assert.deepEqual(
        appended.map((r) => r.seq),
        [995, 996, 997, 998, 999, 1000, 1001, 1002, 1003, 1004],
      );
      assert.deepEqual(
        (await storage.audit.list({ limit: 4, before: 1002 })).map((r) => r.seq),
        [1001, 1000, 999, 998],
      );
      assert.deepEqual(
        (await storage.audit.list({ requestId: 'req-1' })).map((r) => r.seq),
        [996],
      );
      assert.deepEqual(
        (await storage.audit.list({ limit: 10 })).map((r) => r.seq),
        appended.map((r) => r.seq).reverse(),
      );
      assert.deepEqual(await verifyChain(storage.audit.stored()), {
        intact: true,
        records: 1004,
        lastSeq: 1004,
        lastHash: appended[9]?.hash,
      });
    });

    it('when the head hint points past the last record, then an append still chains onto the real last record', async function () {
      const [first] = await seedChain(1);
      await writeHead(500);
      const next = await storage.audit.append(auditEntry({ requestId: 'after-bad-hint' }));
      assert.equal(next.seq, 2);
      assert.equal(next.prevHash, first?.hash);
    });

    it('when the head hint is stale or lost, then a new instance still appends after the last record and lists from it', async function () {
      for (let i = 0; i < 20; i += 1) await storage.audit.append(auditEntry({ requestId: `req-${i}` }));
      await writeHead(3);
      const fresh = await openBlobStorage({
        connectionString: azurite.connectionString,
        container: storage.container.containerName,
        clock,
      });
      try {
        assert.equal((await fresh.audit.list({ limit: 1 }))[0]?.seq, 20);
        assert.equal((await fresh.audit.append(auditEntry({ requestId: 'after' }))).seq, 21);
        await storage.container.getBlobClient(auditHeadName(storage.auditContainer.containerName)).delete();
        const another = await openBlobStorage({
          connectionString: azurite.connectionString,
          container: storage.container.containerName,
          clock,
        });
        assert.equal((await another.audit.append(auditEntry({ requestId: 'after-lost-head' }))).seq, 22);
        await another.close();
      } finally {
        await fresh.close();
      }
    });

    it('when a record blob exists, then appending never overwrites it: the record keeps its content and the next append takes the next number', async function () {
      const first = await storage.audit.append(auditEntry({ requestId: 'original' }));
      await writeHead(0);
      const other = await openBlobStorage({
        connectionString: azurite.connectionString,
        container: storage.container.containerName,
        clock,
      });
      try {
        const second = await other.audit.append(auditEntry({ requestId: 'second' }));
        assert.equal(second.seq, first.seq + 1);
        const body = (await storage.auditContainer.getBlobClient(auditRecordName(first.seq)).downloadToBuffer()).toString('utf8');
        assert.deepEqual(JSON.parse(body), first);
      } finally {
        await other.close();
      }
    });
  });

  describe('the audit trail’s own container', function () {
    it('when opened with the default settings, then audit records go to <state container>-audit and the state container holds none', async function () {
      const container = uniqueContainer('split');
      const storage = await openBlobStorage({ connectionString: azurite.connectionString, container, clock });
      try {
        await storage.audit.append(auditEntry());
        assert.equal(storage.auditContainer.containerName, `${container}-audit`);
        assert.ok(await storage.auditContainer.getBlobClient(auditRecordName(1)).exists());
        assert.equal(await storage.container.getBlobClient(auditRecordName(1)).exists(), false);
      } finally {
        await storage.close();
        await storage.container.deleteIfExists();
        await storage.auditContainer.deleteIfExists();
      }
    });

    it('when the state container still holds audit records from before the split, then they are copied once into the audit container, chained, and new records follow them', async function () {
      const container = uniqueContainer('legacy');
      const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
      const state = service.getContainerClient(container);
      await state.create();
      // Records as the earlier version wrote them: no hashes, in the state container.
      const legacy = Array.from({ length: 20 }, (_, i) => ({ ...auditEntry({ requestId: `old-${i + 1}` }), seq: i + 1, id: randomUUID() }));
      for (const record of legacy) {
        const body = JSON.stringify(record);
        await state
          .getBlockBlobClient(auditRecordName(record.seq))
          .upload(body, Buffer.byteLength(body), { metadata: { recordid: record.id, seq: String(record.seq) } });
      }
      const first = await openBlobStorage({ connectionString: azurite.connectionString, container, clock });
      const second = await openBlobStorage({ connectionString: azurite.connectionString, container, clock });
      try {
        const copied = (await first.audit.list({ limit: 100 })).reverse();
        assert.deepEqual(
          copied.map((r) => [r.seq, r.id, r.requestId]),
          legacy.map((r) => [r.seq, r.id, r.requestId]),
        );
        assert.deepEqual(await second.audit.adoptLegacyRecords(state), 0, 'already done: nothing is copied again');
        const next = await second.audit.append(auditEntry({ requestId: 'new' }));
        assert.equal(next.seq, 21);
        assert.equal(next.prevHash, copied[19]?.hash);
        assert.deepEqual(await verifyChain(first.audit.stored()), { intact: true, records: 21, lastSeq: 21, lastHash: next.hash });
        assert.ok(await state.getBlobClient(auditRecordName(1)).exists(), 'the legacy records are left where they were');
      } finally {
        await first.close();
        await second.close();
        await state.deleteIfExists();
        await first.auditContainer.deleteIfExists();
      }
    });
  });

  describe('expired state blobs', function () {
    it('when items have expired, then a later create sweeps them away in the background, and live items stay', async function () {
      const container = uniqueContainer('sweep');
      const first = await openBlobStorage({ connectionString: azurite.connectionString, container, clock });
      assert.ok((await first.state.create('pending', 'old-1', { n: 1 }, { expiresAt: new Date(clock.now().getTime() + 200) })).ok);
      assert.ok((await first.state.create('pending', 'old-2', { n: 2 }, { expiresAt: new Date(clock.now().getTime() + 200) })).ok);
      assert.ok((await first.state.create('pending', 'kept', { n: 3 })).ok);
      await first.close();
      clock.advance(300);
      const second = await openBlobStorage({ connectionString: azurite.connectionString, container, clock });
      try {
        assert.ok((await second.state.create('other', 'new', { n: 4 })).ok);
        await second.close(); // waits for the sweep it started
        const names: string[] = [];
        for await (const blob of second.container.listBlobsFlat({ prefix: 'state/' })) names.push(blob.name);
        assert.deepEqual(names.sort(), ['state/other/new', 'state/pending/kept']);
      } finally {
        await second.container.deleteIfExists();
      }
    });
  });

  describe('blob names', function () {
    it('when keys hold slashes, dots, percent signs or any Unicode, then each maps to one flat name that decodes back', function () {
      for (const key of ['a/b', 'a.', '..', 'a%2Fb', 'ключ 🔑', '\ud800', 'A~b', '']) {
        const encoded = encodeSegment(key);
        assert.match(encoded, /^[A-Za-z0-9_~-]*$/);
        assert.equal(decodeSegment(encoded), key);
      }
    });

    it('when one key is a prefix of another, then so are their names (and only then)', function () {
      const pairs: [string, string, boolean][] = [
        ['target:1', 'target:10:r', true],
        ['target:1:', 'target:10:r', false],
        ['Target', 'target', false],
        ['é', 'éa', true],
      ];
      for (const [prefix, key, expected] of pairs)
        assert.equal(encodeSegment(key).startsWith(encodeSegment(prefix)), expected, `${prefix} / ${key}`);
    });

    it('when a namespace and key would make a name longer than Azure allows, then the store refuses with a TypeError', function () {
      assert.throws(() => stateBlobName('ns', 'x'.repeat(2000)), TypeError);
    });
  });

  describe('when the service cannot be used', function () {
    let storage: BlobStorage | undefined;

    afterEach(async function () {
      await storage?.close();
      storage = undefined;
    });

    it('when the account key is wrong, then opening rejects with StorageUnavailableError and never echoes the connection string', async function () {
      const wrongKey = azurite.connectionString.replace(
        /AccountKey=[^;]+/,
        `AccountKey=${Buffer.from('not the key at all, not at all!').toString('base64')}`,
      );
      await assert.rejects(
        openBlobStorage({ connectionString: wrongKey, container: uniqueContainer('denied'), retryOptions: { maxTries: 1 }, clock }),
        (error: unknown) => {
          assert.ok(error instanceof StorageUnavailableError);
          assert.ok(!error.message.includes('AccountKey'));
          return true;
        },
      );
    });

    it('when nothing listens at the endpoint, then opening rejects with StorageUnavailableError', async function () {
      const dead = azurite.connectionString.replace(/127\.0\.0\.1:\d+/, '127.0.0.1:9');
      await assert.rejects(
        openBlobStorage({ connectionString: dead, container: uniqueContainer('gone'), retryOptions: { maxTries: 1 }, clock }),
        StorageUnavailableError,
      );
    });

    it('when the service goes away under a running store, then reads, writes, appends and the readiness check reject with StorageUnavailableError', async function () {
      const doomed = await startAzurite();
      try {
        storage = await openBlobStorage({
          connectionString: doomed.connectionString,
          container: uniqueContainer('doomed'),
          retryOptions: { maxTries: 2, retryDelayInMs: 50, maxRetryDelayInMs: 100 },
          clock,
        });
        assert.ok((await storage.state.create('pending', 'r1', { step: 1 })).ok);
      } finally {
        await doomed.stop();
      }
      await assert.rejects(storage.state.get('pending', 'r1'), StorageUnavailableError);
      await assert.rejects(storage.state.create('pending', 'r2', { step: 1 }), StorageUnavailableError);
      await assert.rejects(storage.audit.append(auditEntry()), StorageUnavailableError);
      await assert.rejects(storage.audit.list(), StorageUnavailableError);
      await assert.rejects(storage.state.check(), StorageUnavailableError);
    });

    it('when the state or the audit container is deleted under a running store, then calls on it reject with StorageUnavailableError', async function () {
      storage = await openBlobStorage({
        connectionString: azurite.connectionString,
        container: uniqueContainer('deleted'),
        retryOptions: { maxTries: 1 },
        clock,
      });
      assert.ok((await storage.state.create('pending', 'r1', { step: 1 })).ok);
      await storage.audit.append(auditEntry());
      await storage.container.delete();
      await assert.rejects(storage.state.create('pending', 'r2', { step: 1 }), StorageUnavailableError);
      await storage.auditContainer.delete();
      await assert.rejects(storage.audit.append(auditEntry({ requestId: 'after-delete' })), StorageUnavailableError);
      await assert.rejects(storage.audit.list(), StorageUnavailableError);
    });

    it('when a connection string is malformed, then opening fails with a TypeError that does not quote it', async function () {
      await assert.rejects(
        openBlobStorage({ connectionString: 'AccountKey=abc;nonsense', container: 'fine-name', clock }),
        (error: unknown) => error instanceof TypeError && !error.message.includes('abc'),
      );
      await assert.rejects(openBlobStorage({ connectionString: azurite.connectionString, container: 'Bad_Name', clock }), TypeError);
    });
  });
});
