import assert from 'node:assert/strict';
import { readConfig } from '../../src/config/config';
import { readStorageSettings } from '../../src/config/storageConfig';

const BASE = {
  MicrosoftAppId: '3f1e2d4c-5b6a-4978-8a9b-000000000001',
  MicrosoftAppPassword: 'not-a-real-secret',
  MicrosoftAppTenantId: '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10',
};
const CONNECTION = 'DefaultEndpointsProtocol=https;AccountName=revoker;AccountKey=c2VjcmV0LWtleQ==;EndpointSuffix=core.windows.net';

describe('storage settings', function () {
  it('when nothing is said, then state lives in SQLite under DATA_DIR (./data by default)', function () {
    assert.deepEqual(readStorageSettings({}, []), { kind: 'sqlite', dataDir: './data' });
    assert.deepEqual(readStorageSettings({ DATA_DIR: '/var/lib/revoker' }, []), { kind: 'sqlite', dataDir: '/var/lib/revoker' });
  });

  it('when STORAGE=blob with a connection string, then the blob backend is chosen with the default containers for state and audit', function () {
    const problems: string[] = [];
    assert.deepEqual(readStorageSettings({ STORAGE: 'Blob', AZURE_STORAGE_CONNECTION_STRING: CONNECTION }, problems), {
      kind: 'blob',
      connectionString: CONNECTION,
      container: 'session-revoker',
      auditContainer: 'session-revoker-audit',
      dataDir: './data',
    });
    assert.deepEqual(problems, []);
  });

  it('when AZURE_STORAGE_CONTAINER is set, then the audit container follows it unless AZURE_STORAGE_AUDIT_CONTAINER names one', function () {
    const blob = { STORAGE: 'blob', AZURE_STORAGE_CONNECTION_STRING: CONNECTION };
    const derived = readStorageSettings({ ...blob, AZURE_STORAGE_CONTAINER: 'revoker-prod' }, []);
    assert.ok(derived.kind === 'blob' && derived.container === 'revoker-prod' && derived.auditContainer === 'revoker-prod-audit');
    const explicit = readStorageSettings(
      { ...blob, AZURE_STORAGE_CONTAINER: 'revoker-prod', AZURE_STORAGE_AUDIT_CONTAINER: 'revoker-worm' },
      [],
    );
    assert.ok(explicit.kind === 'blob' && explicit.auditContainer === 'revoker-worm');
  });

  it('when the blob settings are missing or malformed, then each problem is one line that never quotes the connection string', function () {
    const cases: [Record<string, string>, RegExp][] = [
      [{ STORAGE: 'blob' }, /AZURE_STORAGE_CONNECTION_STRING is not set/],
      [{ STORAGE: 'blob', AZURE_STORAGE_CONNECTION_STRING: 'AccountKey=c2VjcmV0LWtleQ==' }, /does not look like/],
      [
        {
          STORAGE: 'blob',
          AZURE_STORAGE_CONNECTION_STRING: CONNECTION,
          AZURE_STORAGE_CONTAINER: 'Bad_Name',
          AZURE_STORAGE_AUDIT_CONTAINER: 'fine-audit',
        },
        /AZURE_STORAGE_CONTAINER must be/,
      ],
      [
        { STORAGE: 'blob', AZURE_STORAGE_CONNECTION_STRING: CONNECTION, AZURE_STORAGE_AUDIT_CONTAINER: 'Bad_Name' },
        /AZURE_STORAGE_AUDIT_CONTAINER must be/,
      ],
      [
        { STORAGE: 'blob', AZURE_STORAGE_CONNECTION_STRING: CONNECTION, AZURE_STORAGE_AUDIT_CONTAINER: 'session-revoker' },
        /must differ from AZURE_STORAGE_CONTAINER/,
      ],
      [
        { STORAGE: 'blob', AZURE_STORAGE_CONNECTION_STRING: CONNECTION, AZURE_STORAGE_CONTAINER: 'x'.repeat(60) },
        /AZURE_STORAGE_AUDIT_CONTAINER is not set/,
      ],
      [{ STORAGE: 'cosmos' }, /STORAGE must be sqlite or blob/],
    ];
    for (const [env, says] of cases) {
      const problems: string[] = [];
      readStorageSettings(env, problems);
      assert.equal(problems.length, 1, JSON.stringify(problems));
      assert.match(problems[0]!, says);
      assert.ok(!problems[0]!.includes('c2VjcmV0'), 'the key is never echoed');
    }
  });

  it('when read as part of the whole configuration, then storage, the execution staleness and the audit admin group are there', function () {
    const result = readConfig({
      ...BASE,
      STORAGE: 'blob',
      AZURE_STORAGE_CONNECTION_STRING: CONNECTION,
      EXECUTION_STALE_AFTER_SECONDS: '90',
      AUDIT_ADMIN_GROUP_ID: 'D1E2F3A4-B5C6-4D7E-8F9A-0B1C2D3E4F03',
    });
    assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
    assert.equal(result.config.storage.kind, 'blob');
    assert.equal(result.config.executionStaleAfterInMs, 90_000);
    assert.equal(result.config.auditAdminGroupId, 'd1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f03');
    const defaults = readConfig(BASE);
    assert.ok(defaults.ok);
    assert.equal(defaults.config.executionStaleAfterInMs, 120_000);
    assert.equal(defaults.config.auditAdminGroupId, undefined);
    const wrong = readConfig({ ...BASE, AUDIT_ADMIN_GROUP_ID: 'security-team' });
    assert.ok(!wrong.ok && wrong.problems.some((p) => p.includes('AUDIT_ADMIN_GROUP_ID')));
  });
});
