import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AuditRecord } from '../../src/app/ports/auditLog';
import { parseExportArguments } from '../../src/cli/auditExport';
import { openStorage } from '../../src/storage/openStorage';
import type { StorageSettings } from '../../src/config/storageConfig';
import { startAzurite, uniqueContainer, type Azurite } from '../helpers/azurite';
import { ManualClock } from '../helpers/clock';
import { runCli, type CliResult } from '../helpers/cli';

const TENANT = '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10';

function runExport(args: string[], env: Record<string, string>): Promise<CliResult> {
  return runCli('audit:export', args, env);
}

describe('npm run audit:export', function () {
  this.timeout(60_000);
  let dir: string;
  let azurite: Azurite;

  before(async function () {
    dir = mkdtempSync(path.join(tmpdir(), 'revoker-export-'));
    azurite = await startAzurite();
  });

  after(async function () {
    await azurite?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads its options, refusing anything it does not know', function () {
    assert.deepEqual(parseExportArguments([]), { format: 'csv', since: undefined, tenantId: undefined, out: undefined });
    assert.deepEqual(parseExportArguments(['--format', 'jsonl', '--since', '2026-01-01', '--tenant', TENANT.toUpperCase()]), {
      format: 'jsonl',
      since: '2026-01-01T00:00:00.000Z',
      tenantId: TENANT,
      out: undefined,
    });
    for (const wrong of [['--format', 'pdf'], ['--since', 'yesterday'], ['--verbose', 'x'], ['--format']])
      assert.equal(typeof parseExportArguments(wrong), 'string', wrong.join(' '));
  });

  const backends: [string, () => { settings: StorageSettings; env: Record<string, string> }][] = [
    ['SQLite', () => ({ settings: { kind: 'sqlite', dataDir: path.join(dir, 'sqlite') }, env: { DATA_DIR: path.join(dir, 'sqlite') } })],
    [
      'Azure Blob',
      () => {
        const container = uniqueContainer('export');
        return {
          settings: {
            kind: 'blob',
            connectionString: azurite.connectionString,
            container,
            auditContainer: `${container}-audit`,
            dataDir: path.join(dir, 'blob'),
          },
          env: { STORAGE: 'blob', AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString, AZURE_STORAGE_CONTAINER: container },
        };
      },
    ],
  ];
  for (const [name, backend] of backends) {
    it(`when run against ${name}, then it writes every record since the given time, oldest first, and records the export`, async function () {
      const { settings, env } = backend();
      const storage = await openStorage(settings, new ManualClock());
      try {
        for (const [i, at] of ['2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z'].entries()) {
          await storage.audit.append({
            at,
            tenantId: TENANT,
            action: 'request.created',
            outcome: 'info',
            requestId: `r${i}`,
            detail: 'Name, with "quotes"',
          });
        }
        const jsonl = await runExport(['--format', 'jsonl', '--since', '2026-01-15T00:00:00Z'], env);
        assert.equal(jsonl.code, 0, jsonl.stderr);
        assert.deepEqual(
          jsonl.stdout
            .trimEnd()
            .split('\n')
            .map((line) => (JSON.parse(line) as AuditRecord).requestId),
          ['r1', 'r2'],
        );
        const out = path.join(dir, `${name}.csv`);
        const csv = await runExport(['--out', out], env);
        assert.equal(csv.code, 0, csv.stderr);
        const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
        assert.equal(lines.length, 1 + 3 + 1, 'header, three records and the first export’s own record');
        assert.match(lines[1]!, /"Name, with ""quotes"""/);
        const exports = (await storage.audit.list()).filter((r) => r.action === 'audit.exported');
        assert.equal(exports.length, 2);
        assert.match(exports[1]?.detail ?? '', /exported 2 records as JSON Lines with the command line since 2026-01-15T00:00:00.000Z/);
      } finally {
        await storage.close();
      }
    });
  }

  it('when the storage settings are wrong, then it says so and exits 2 without echoing the connection string', async function () {
    const result = await runExport([], { STORAGE: 'blob', AZURE_STORAGE_CONNECTION_STRING: 'AccountKey=c2VjcmV0;nonsense' });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /AZURE_STORAGE_CONNECTION_STRING/);
    assert.ok(!result.stderr.includes('c2VjcmV0'));
  });
});
