/**
 * Someone with write access to the store (the database file, the storage account key) changes the
 * audit trail behind the bot's back: audit:verify's walk finds the first record where the chain
 * breaks, on both backends. The SQLite attacker drops the append-only triggers, tampers and puts
 * them back; the Blob attacker uploads and deletes blobs directly, keeping the metadata consistent.
 */
import assert from 'node:assert/strict';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import type Database from 'better-sqlite3';
import type { AuditRecord } from '../../src/app/ports/auditLog';
import { verifyReport } from '../../src/cli/auditVerify';
import { recordHash, verifyChain, type AuditChainSource } from '../../src/storage/auditChain';
import { auditMetadataOf, auditRecordName } from '../../src/storage/blob/blobAuditLog';
import { openBlobStorage } from '../../src/storage/blob/openBlobStorage';
import { openSqliteStorage } from '../../src/storage/openSqliteStorage';
import { startAzurite, uniqueContainer, type Azurite } from '../helpers/azurite';
import { ManualClock } from '../helpers/clock';
import { auditEntry } from './auditLogContract';
import { makeTempDir, openRaw, removeDir } from './storageTestHelpers';

type Mutable = { -readonly [K in keyof AuditRecord]: AuditRecord[K] };

/** Raw access to one backend's stored records, past every guard of the bot. */
interface Tamperer {
  /** Replaces record `seq` with `mutate(record)`, keeping its place (and, on Blob, consistent metadata). */
  rewrite(seq: number, mutate: (record: Mutable) => void): Promise<void>;
  remove(seq: number): Promise<void>;
  /** Swaps what is stored at `a` and at `b`. */
  swap(a: number, b: number): Promise<void>;
  /** Points record `seq`'s index (SQLite columns, blob metadata) at another target, leaving the record as it is. */
  misindex(seq: number): Promise<void>;
  /** Undoes one of the store's own guards (drops a trigger, drops a stray blob into the container). */
  breakGuard(): Promise<void>;
}

interface Trail {
  readonly records: AuditRecord[];
  readonly chain: AuditChainSource;
  readonly tamper: Tamperer;
}

/** The SQLite attacker: drops the append-only triggers, writes, and restores them so nothing looks off. */
function sqliteTamperer(dataDir: string): Tamperer {
  const behindTheTriggers = (change: (raw: Database.Database) => void): void => {
    const raw = openRaw(dataDir);
    try {
      const triggers = raw
        .prepare<[], { name: string; sql: string }>(
          "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_records'",
        )
        .all();
      raw.transaction(() => {
        for (const trigger of triggers) raw.exec(`DROP TRIGGER ${trigger.name}`);
        change(raw);
        for (const trigger of triggers) raw.exec(trigger.sql);
      })();
    } finally {
      raw.close();
    }
  };
  const read = (raw: Database.Database, seq: number): Mutable => {
    const row = raw
      .prepare<[number], { id: string; entry: string; prev_hash: string; hash: string }>(
        'SELECT id, entry, prev_hash, hash FROM audit_records WHERE seq = ?',
      )
      .get(seq);
    assert.ok(row);
    return { ...(JSON.parse(row.entry) as AuditRecord), seq, id: row.id, prevHash: row.prev_hash, hash: row.hash };
  };
  const write = (raw: Database.Database, seq: number, record: Mutable): void => {
    const { seq: _seq, id, prevHash, hash, ...entry } = record;
    raw
      .prepare(
        'UPDATE audit_records SET id = ?, entry = ?, prev_hash = ?, hash = ?, action = ?, outcome = ?, at = ?, tenant_id = ?, actor_id = ?, target_id = ?, request_id = ? WHERE seq = ?',
      )
      .run(
        id,
        JSON.stringify(entry),
        prevHash,
        hash,
        entry.action,
        entry.outcome,
        entry.at,
        entry.tenantId,
        entry.actor?.aadObjectId ?? null,
        entry.target?.id ?? null,
        entry.requestId ?? null,
        seq,
      );
  };
  return {
    async rewrite(seq, mutate) {
      behindTheTriggers((raw) => {
        const record = read(raw, seq);
        mutate(record);
        write(raw, seq, record);
      });
    },
    async remove(seq) {
      behindTheTriggers((raw) => raw.prepare('DELETE FROM audit_records WHERE seq = ?').run(seq));
    },
    async swap(a, b) {
      behindTheTriggers((raw) => {
        const [first, second] = [read(raw, a), read(raw, b)];
        write(raw, a, { ...second, id: `${second.id}-moving` });
        write(raw, b, first);
        write(raw, a, second);
      });
    },
    async misindex(seq) {
      behindTheTriggers((raw) => raw.prepare("UPDATE audit_records SET target_id = 'someone-else' WHERE seq = ?").run(seq));
    },
    async breakGuard() {
      const raw = openRaw(dataDir);
      try {
        raw.exec('DROP TRIGGER audit_records_chain_only');
      } finally {
        raw.close();
      }
    },
  };
}

/** The Blob attacker: unconditional uploads and deletes with the account key. */
function blobTamperer(container: ContainerClient): Tamperer {
  const read = async (seq: number): Promise<Mutable> =>
    JSON.parse((await container.getBlobClient(auditRecordName(seq)).downloadToBuffer()).toString('utf8')) as Mutable;
  const write = async (seq: number, record: Mutable): Promise<void> => {
    const body = JSON.stringify(record);
    await container.getBlockBlobClient(auditRecordName(seq)).upload(body, Buffer.byteLength(body), { metadata: auditMetadataOf(record) });
  };
  return {
    async rewrite(seq, mutate) {
      const record = await read(seq);
      mutate(record);
      await write(seq, record);
    },
    async remove(seq) {
      await container.getBlobClient(auditRecordName(seq)).delete();
    },
    async swap(a, b) {
      const [first, second] = [await read(a), await read(b)];
      await write(a, second);
      await write(b, first);
    },
    async misindex(seq) {
      const blob = container.getBlobClient(auditRecordName(seq));
      const { metadata } = await blob.getProperties();
      await blob.setMetadata({ ...metadata, target: 'someone-else' });
    },
    async breakGuard() {
      await container.getBlockBlobClient('audit/forged').upload('{}', 2);
    },
  };
}

/** The first break audit:verify reports, as "seq: problem". */
async function firstBreak(chain: AuditChainSource, anchor?: { seq: number; hash: string }): Promise<string> {
  const verdict = await verifyChain(chain.stored(), anchor);
  return verdict.intact ? 'intact' : `${verdict.firstBreak.seq}: ${verdict.firstBreak.problem}`;
}

function describeTampering(name: string, open: () => Promise<Trail & { dispose(): Promise<void> }>): void {
  describe(`${name}: tampering is found by audit:verify`, function () {
    let trail: Trail & { dispose(): Promise<void> };

    beforeEach(async function () {
      trail = await open();
    });

    afterEach(async function () {
      await trail.dispose();
    });

    it('when nobody touched the trail, then it verifies and the report ends with the anchor to keep', async function () {
      const report = await verifyReport(trail.chain);
      assert.equal(report.code, 0, report.lines.join('\n'));
      assert.match(report.lines.join('\n'), new RegExp(`intact: 5 records[\\s\\S]*--anchor 5:${String(trail.records[4]?.hash)}`));
    });

    it('a record rewritten in place (an outcome changed): the break is that record', async function () {
      await trail.tamper.rewrite(3, (record) => {
        record.outcome = 'failed';
      });
      assert.match(await firstBreak(trail.chain), /^3: the content does not match its hash/);
      const report = await verifyReport(trail.chain);
      assert.equal(report.code, 1);
      assert.match(report.lines.join('\n'), /Audit trail broken at seq 3: .*Records 1–2 verify\./);
    });

    it('a record rewritten with its hash recomputed: the break is the next record, whose prevHash no longer matches', async function () {
      await trail.tamper.rewrite(3, (record) => {
        record.detail = 'nothing happened here';
        record.hash = recordHash(record);
      });
      assert.match(await firstBreak(trail.chain), /^4: prevHash does not match record 3's hash/);
    });

    it('a record removed: the break is the missing number', async function () {
      await trail.tamper.remove(3);
      assert.match(await firstBreak(trail.chain), /^3: record 3 is missing \(the next stored record is 4\)/);
    });

    it('two records reordered: the break is the first of them', async function () {
      await trail.tamper.swap(2, 3);
      assert.match(await firstBreak(trail.chain), /^2: .*(reordered|moved)/);
    });

    it('two records reordered with their numbers rewritten to fit: the break is still the first of them', async function () {
      await trail.tamper.swap(2, 3);
      await trail.tamper.rewrite(2, (record) => {
        record.seq = 2;
        record.hash = recordHash(record);
      });
      await trail.tamper.rewrite(3, (record) => {
        record.seq = 3;
        record.hash = recordHash(record);
      });
      assert.match(await firstBreak(trail.chain), /^2: prevHash does not match record 1's hash/);
    });

    it('the newest records cut from the end: the chain alone still verifies, the anchor from an earlier run does not', async function () {
      const anchor = { seq: 5, hash: trail.records[4]?.hash ?? '' };
      await trail.tamper.remove(5);
      assert.equal(await firstBreak(trail.chain), 'intact');
      assert.match(
        await firstBreak(trail.chain, anchor),
        /^5: the trail ends at record 4, but you noted record 5: records were cut from the end/,
      );
      assert.equal(await firstBreak(trail.chain, { seq: 4, hash: trail.records[3]?.hash ?? '' }), 'intact');
    });

    it('an index changed so a record hides from "audit for" its target: the break is that record', async function () {
      await trail.tamper.misindex(2);
      assert.match(
        await firstBreak(trail.chain),
        /^2: the (index columns disagree with the record \(target_id\)|blob's metadata disagrees with the record \(target\)): filters would be misled/,
      );
    });

    it('one of the store’s own guards undone: the report says so and exits 1 even though every record verifies', async function () {
      await trail.tamper.breakGuard();
      assert.equal(await firstBreak(trail.chain), 'intact');
      const report = await verifyReport(trail.chain);
      assert.equal(report.code, 1);
      assert.match(
        report.lines.join('\n'),
        /Guard broken: (the append-only trigger audit_records_chain_only is missing|the audit container holds a blob the bot never writes: "audit\/forged")/,
      );
    });
  });
}

describeTampering('SQLite', async () => {
  const dataDir = makeTempDir();
  const storage = openSqliteStorage({ dataDir, clock: new ManualClock() });
  const records: AuditRecord[] = [];
  for (let i = 1; i <= 5; i += 1) records.push(await storage.audit.append(auditEntry({ requestId: `req-${i}` })));
  return {
    records,
    chain: storage.audit,
    tamper: sqliteTamperer(dataDir),
    async dispose() {
      await storage.close();
      removeDir(dataDir);
    },
  };
});

describe('Azure Blob (against Azurite)', function () {
  this.timeout(60_000);
  let azurite: Azurite;

  before(async function () {
    azurite = await startAzurite();
  });

  after(async function () {
    await azurite?.stop();
  });

  describeTampering('Blob', async () => {
    const storage = await openBlobStorage({
      connectionString: azurite.connectionString,
      container: uniqueContainer('tamper'),
      clock: new ManualClock(),
    });
    const records: AuditRecord[] = [];
    for (let i = 1; i <= 5; i += 1) records.push(await storage.audit.append(auditEntry({ requestId: `req-${i}` })));
    // The attacker's own client, with the account key.
    const attacker = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
      storage.auditContainer.containerName,
    );
    return {
      records,
      chain: storage.audit,
      tamper: blobTamperer(attacker),
      async dispose() {
        await storage.close();
        await storage.container.deleteIfExists();
        await storage.auditContainer.deleteIfExists();
      },
    };
  });

  it('a forged record far beyond the end: the walk stops at the first empty stretch instead of walking to it', async function () {
    const storage = await openBlobStorage({
      connectionString: azurite.connectionString,
      container: uniqueContainer('far'),
      clock: new ManualClock(),
    });
    try {
      await storage.audit.append(auditEntry());
      await storage.auditContainer.getBlockBlobClient(auditRecordName(999_999_999_999)).upload('{}', 2);
      assert.equal(await firstBreak(storage.audit), '2: record 2 is missing (nothing is stored from there to 1999)');
    } finally {
      await storage.close();
      await storage.container.deleteIfExists();
      await storage.auditContainer.deleteIfExists();
    }
  });

  it('when the audit container has no immutability policy, then the report notes it', async function () {
    const storage = await openBlobStorage({
      connectionString: azurite.connectionString,
      container: uniqueContainer('notes'),
      clock: new ManualClock(),
    });
    try {
      const report = await verifyReport(storage.audit);
      assert.equal(report.code, 0);
      assert.match(report.lines.join('\n'), /Note: the audit container .* has no immutability policy[\s\S]*The audit trail is empty\./);
    } finally {
      await storage.close();
      await storage.container.deleteIfExists();
      await storage.auditContainer.deleteIfExists();
    }
  });
});
