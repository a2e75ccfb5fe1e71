import assert from 'node:assert/strict';
import { BlobServiceClient } from '@azure/storage-blob';
import { StorageUnavailableError } from '../../src/app/ports/stateStore';
import { decodeSegment, encodeSegment, stateBlobName } from '../../src/storage/blob/blobNames';
import { AUDIT_HEAD, auditRecordName } from '../../src/storage/blob/blobAuditLog';
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
      },
    };
  });

  describeAuditLogContract('Blob', async () => {
    const container = uniqueContainer('audit');
    const storage = await openBlobStorage({ connectionString: azurite.connectionString, container, clock });
    return {
      log: storage.audit,
      second: async () => (await openBlobStorage({ connectionString: azurite.connectionString, container, clock })).audit,
      async dispose() {
        await storage.close();
        await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(container).deleteIfExists();
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
    });

    async function writeHead(seq: number): Promise<void> {
      const body = JSON.stringify({ seq });
      await storage.container.getBlockBlobClient(AUDIT_HEAD).upload(body, body.length);
    }

    it('when records cross a bucket boundary, then they stay dense and ordered, and paging with before crosses it too', async function () {
      await writeHead(994);
      const appended = [];
      for (let i = 0; i < 10; i += 1) appended.push(await storage.audit.append(auditEntry({ requestId: `req-${i}` })));
      assert.deepEqual(appended.map((r) => r.seq), [995, 996, 997, 998, 999, 1000, 1001, 1002, 1003, 1004]);
      assert.deepEqual((await storage.audit.list({ limit: 4, before: 1002 })).map((r) => r.seq), [1001, 1000, 999, 998]);
      assert.deepEqual((await storage.audit.list({ requestId: 'req-1' })).map((r) => r.seq), [996]);
      assert.deepEqual((await storage.audit.list()).map((r) => r.seq), appended.map((r) => r.seq).reverse());
    });

    it('when the head hint is stale or lost, then a new instance still appends after the last record and lists from it', async function () {
      for (let i = 0; i < 20; i += 1) await storage.audit.append(auditEntry({ requestId: `req-${i}` }));
      await writeHead(3);
      const fresh = await openBlobStorage({ connectionString: azurite.connectionString, container: storage.container.containerName, clock });
      try {
        assert.equal((await fresh.audit.list({ limit: 1 }))[0]?.seq, 20);
        assert.equal((await fresh.audit.append(auditEntry({ requestId: 'after' }))).seq, 21);
        await storage.container.getBlobClient(AUDIT_HEAD).delete();
        const another = await openBlobStorage({ connectionString: azurite.connectionString, container: storage.container.containerName, clock });
        assert.equal((await another.audit.append(auditEntry({ requestId: 'after-lost-head' }))).seq, 22);
        await another.close();
      } finally {
        await fresh.close();
      }
    });

    it('when a record blob exists, then appending never overwrites it: the record keeps its content and the next append takes the next number', async function () {
      const first = await storage.audit.append(auditEntry({ requestId: 'original' }));
      await writeHead(0);
      const other = await openBlobStorage({ connectionString: azurite.connectionString, container: storage.container.containerName, clock });
      try {
        const second = await other.audit.append(auditEntry({ requestId: 'second' }));
        assert.equal(second.seq, first.seq + 1);
        const body = (await storage.container.getBlobClient(auditRecordName(first.seq)).downloadToBuffer()).toString('utf8');
        assert.deepEqual(JSON.parse(body), first);
      } finally {
        await other.close();
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
      for (const [prefix, key, expected] of pairs) assert.equal(encodeSegment(key).startsWith(encodeSegment(prefix)), expected, `${prefix} / ${key}`);
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
      const wrongKey = azurite.connectionString.replace(/AccountKey=[^;]+/, `AccountKey=${Buffer.from('not the key at all, not at all!').toString('base64')}`);
      await assert.rejects(openBlobStorage({ connectionString: wrongKey, container: uniqueContainer('denied'), retryOptions: { maxTries: 1 }, clock }), (error: unknown) => {
        assert.ok(error instanceof StorageUnavailableError);
        assert.ok(!error.message.includes('AccountKey'));
        return true;
      });
    });

    it('when nothing listens at the endpoint, then opening rejects with StorageUnavailableError', async function () {
      const dead = azurite.connectionString.replace(/127\.0\.0\.1:\d+/, '127.0.0.1:9');
      await assert.rejects(openBlobStorage({ connectionString: dead, container: uniqueContainer('gone'), retryOptions: { maxTries: 1 }, clock }), StorageUnavailableError);
    });

    it('when the service goes away under a running store, then reads, writes, appends and the readiness check reject with StorageUnavailableError', async function () {
      const doomed = await startAzurite();
      try {
        storage = await openBlobStorage({ connectionString: doomed.connectionString, container: uniqueContainer('doomed'), retryOptions: { maxTries: 2, retryDelayInMs: 50, maxRetryDelayInMs: 100 }, clock });
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

    it('when the container is deleted under a running store, then calls reject with StorageUnavailableError', async function () {
      storage = await openBlobStorage({ connectionString: azurite.connectionString, container: uniqueContainer('deleted'), retryOptions: { maxTries: 1 }, clock });
      assert.ok((await storage.state.create('pending', 'r1', { step: 1 })).ok);
      await storage.container.delete();
      await assert.rejects(storage.state.create('pending', 'r2', { step: 1 }), StorageUnavailableError);
      await assert.rejects(storage.audit.append({ at: new Date().toISOString(), tenantId: 't', action: 'request.created', outcome: 'info' }), StorageUnavailableError);
    });

    it('when a connection string is malformed, then opening fails with a TypeError that does not quote it', async function () {
      await assert.rejects(openBlobStorage({ connectionString: 'AccountKey=abc;nonsense', container: 'fine-name', clock }), (error: unknown) => error instanceof TypeError && !error.message.includes('abc'));
      await assert.rejects(openBlobStorage({ connectionString: azurite.connectionString, container: 'Bad_Name', clock }), TypeError);
    });
  });
});
