import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseVerifyArguments } from '../../src/cli/auditVerify';
import { auditRecordName } from '../../src/storage/blob/blobAuditLog';
import { openBlobStorage } from '../../src/storage/blob/openBlobStorage';
import { openStorage } from '../../src/storage/openStorage';
import { startAzurite, uniqueContainer, type Azurite } from '../helpers/azurite';
import { runCli, type CliResult } from '../helpers/cli';
import { ManualClock } from '../helpers/clock';
import { openRaw } from '../storage/storageTestHelpers';
import { auditEntry } from '../storage/auditLogContract';

function runVerify(args: string[], env: Record<string, string>): Promise<CliResult> {
  return runCli('audit:verify', args, env);
}

const HASH = 'ab'.repeat(32);

describe('npm run audit:verify', function () {
  this.timeout(60_000);
  let dir: string;
  let azurite: Azurite;

  before(async function () {
    dir = mkdtempSync(path.join(tmpdir(), 'revoker-verify-'));
    azurite = await startAzurite();
  });

  after(async function () {
    await azurite?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads an optional anchor, refusing anything else', function () {
    assert.deepEqual(parseVerifyArguments([]), { anchor: undefined });
    assert.deepEqual(parseVerifyArguments(['--anchor', `12:${HASH}`]), { anchor: { seq: 12, hash: HASH } });
    for (const wrong of [
      ['--anchor'],
      ['--anchor', '12'],
      ['--anchor', `x:${HASH}`],
      ['--anchor', `1:${HASH.toUpperCase()}`],
      ['--verbose'],
    ]) {
      assert.equal(typeof parseVerifyArguments(wrong), 'string', wrong.join(' '));
    }
  });

  it('when run against SQLite, then it exits 0 for an intact trail, 1 at the first break, and 1 when the anchor is beyond the end', async function () {
    const dataDir = path.join(dir, 'sqlite');
    const env = { DATA_DIR: dataDir };
    const storage = await openStorage({ kind: 'sqlite', dataDir }, new ManualClock());
    try {
      for (let i = 1; i <= 3; i += 1) await storage.audit.append(auditEntry({ requestId: `req-${i}` }));
    } finally {
      await storage.close();
    }
    const intact = await runVerify([], env);
    assert.equal(intact.code, 0, intact.stderr);
    const anchor = /--anchor (3:[0-9a-f]{64})/.exec(intact.stdout)?.[1];
    assert.ok(anchor, intact.stdout);
    assert.equal((await runVerify(['--anchor', anchor], env)).code, 0);
    assert.equal((await runVerify(['--anchor', `4:${HASH}`], env)).code, 1, 'an anchor past the end means records were cut');

    const raw = openRaw(dataDir);
    try {
      raw.exec('DROP TRIGGER audit_records_no_update');
      raw.prepare(`UPDATE audit_records SET entry = json_set(entry, '$.outcome', 'failed') WHERE seq = 2`).run();
    } finally {
      raw.close();
    }
    const broken = await runVerify([], env);
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /Audit trail broken at seq 2: the content does not match its hash/);
    assert.match(broken.stdout, /Guard broken: the append-only trigger audit_records_no_update is missing/);
  });

  it('when run against Azure Blob, then it exits 0 for an intact trail and 1 once a record is deleted', async function () {
    const container = uniqueContainer('verify');
    const env = { STORAGE: 'blob', AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString, AZURE_STORAGE_CONTAINER: container };
    const storage = await openBlobStorage({ connectionString: azurite.connectionString, container, clock: new ManualClock() });
    try {
      for (let i = 1; i <= 3; i += 1) await storage.audit.append(auditEntry({ requestId: `req-${i}` }));
      const intact = await runVerify([], env);
      assert.equal(intact.code, 0, intact.stderr);
      assert.match(intact.stdout, /Audit trail intact: 3 records, seq 1–3/);
      await storage.auditContainer.getBlobClient(auditRecordName(1)).delete();
      const broken = await runVerify([], env);
      assert.equal(broken.code, 1);
      assert.match(broken.stdout, /Audit trail broken at seq 1: record 1 is missing \(the next stored record is 2\)/);
    } finally {
      await storage.close();
      await storage.container.deleteIfExists();
      await storage.auditContainer.deleteIfExists();
    }
  });

  it('when it cannot verify (bad settings, no database, the store unreachable), then it says why and exits 2', async function () {
    const wrong = await runVerify([], { STORAGE: 'blob', AZURE_STORAGE_CONNECTION_STRING: 'AccountKey=c2VjcmV0;nonsense' });
    assert.equal(wrong.code, 2);
    assert.ok(!wrong.stderr.includes('c2VjcmV0'));
    const missing = await runVerify([], { DATA_DIR: path.join(dir, 'nowhere') });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /No audit trail to verify/);
    const unreachable = await runVerify([], {
      STORAGE: 'blob',
      AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString.replace(/127\.0\.0\.1:\d+/, '127.0.0.1:9'),
    });
    assert.equal(unreachable.code, 2);
    assert.match(unreachable.stderr, /audit verify could not read the trail: Storage unavailable/);
    assert.equal((await runVerify(['--bogus'], {})).code, 2);
  });
});
