import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_SCOPES, readConfig } from '../../src/config/config';
import { delegatedPermission, PERMISSION_TABLE, satisfies, type PermissionRow } from '../../emulator/permissions';

const ROWS: [string, PermissionRow][] = Object.entries(PERMISSION_TABLE);

function names(row: PermissionRow, kind: 'delegated' | 'application'): string[] {
  return row[kind].flatMap((grant) => (typeof grant === 'string' ? [grant] : [...grant]));
}

describe('the permission table of the emulated Entra and Graph', function () {
  it('every scope a default scope set asks for exists as a delegated permission in the table', function () {
    for (const [set, scopes] of Object.entries(DEFAULT_SCOPES)) {
      for (const scope of scopes)
        assert.ok(delegatedPermission(scope), `${set} asks for ${scope}, which Graph has no delegated permission by`);
    }
  });

  it('every scope the configuration asks for by default, fully qualified, names a delegated permission in the table', function () {
    const read = readConfig({
      MicrosoftAppId: '3f1e2d4c-5b6a-4978-8a9b-0c1d2e3f4a5b',
      MicrosoftAppPassword: 'x',
      MicrosoftAppTenantId: '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10',
    });
    assert.ok(read.ok);
    const { graphScopes, groupScopes, containmentScopes, deviceScopes, auditScopes, riskScopes, authMethodScopes, pimScopes } = read.config;
    for (const scope of [
      ...graphScopes,
      ...groupScopes,
      ...containmentScopes,
      ...deviceScopes,
      ...auditScopes,
      ...riskScopes,
      ...authMethodScopes,
      ...pimScopes,
    ]) {
      assert.match(scope, /^https:\/\/graph\.microsoft\.com\/[^/]+$/);
      assert.ok(delegatedPermission(scope.slice('https://graph.microsoft.com/'.length)), `${scope} is not a delegated Graph permission`);
    }
  });

  it('Device.ReadWrite.All is an application permission only; devices are updated on behalf of a user with Directory.AccessAsUser.All', function () {
    assert.equal(delegatedPermission('Device.ReadWrite.All'), undefined);
    assert.ok(ROWS.some(([, row]) => names(row, 'application').includes('Device.ReadWrite.All')));
    assert.deepEqual(PERMISSION_TABLE['devices.update'].delegated, ['Directory.AccessAsUser.All']);
    assert.equal(
      delegatedPermission('directory.accessasuser.all'),
      'Directory.AccessAsUser.All',
      'looked up as Entra compares, spelt as Graph spells it',
    );
  });

  it('a combined grant is met only by holding every permission in it', function () {
    const disable = PERMISSION_TABLE['users.update.accountEnabled'].delegated;
    assert.equal(satisfies(new Set(['user.enabledisableaccount.all']), disable), false);
    assert.equal(satisfies(new Set(['user.enabledisableaccount.all', 'user.read.all']), disable), true);
    assert.equal(satisfies(new Set(['user.readwrite.all']), disable), true);
  });

  it('every row cites its Microsoft Graph documentation page in a comment', function () {
    const source = readFileSync(path.join(__dirname, '../../emulator/permissions.ts'), 'utf8');
    const table = source.slice(source.indexOf('export const PERMISSION_TABLE'));
    for (const [operation] of ROWS) {
      const key = /^[A-Za-z$]\w*$/.test(operation) ? `  ${operation}: {` : `  '${operation}': {`;
      const at = table.indexOf(key);
      assert.ok(at > 0, `row ${operation} is written as ${key}`);
      const before = table.slice(0, at).split('\n').reverse();
      const comments = before.slice(
        1,
        before.findIndex((line, i) => i > 0 && !line.trim().startsWith('//')),
      );
      assert.ok(
        comments.some((line) => /https:\/\/learn\.microsoft\.com\/graph\/(api\/[\w-]+|json-batching)/.test(line)),
        `row ${operation} has no documentation URL in the comment above it`,
      );
    }
  });

  it('holds the documented throttling quotas as data, such as device writes at 25 per 10 seconds per user', function () {
    const deviceWrites = PERMISSION_TABLE['devices.update'].quotas.find((q) => q.per === 'userAndTenant');
    assert.deepEqual(deviceWrites, {
      unit: 'requests',
      limit: 25,
      windowInSeconds: 10,
      per: 'userAndTenant',
      counts: 'writes',
      retryAfter: true,
    });
    assert.ok(
      PERMISSION_TABLE['riskyUsers.list'].quotas.some((q) => q.per === 'tenant' && q.limit === 1 && !q.retryAfter),
      'identity protection: 1 request per second per tenant, no Retry-After',
    );
    for (const [operation, row] of ROWS) assert.ok(row.quotas.length > 0, `${operation} names its quotas`);
  });

  it('names the evidence, alert and schedule operations the next features need, with their permissions and roles', function () {
    for (const operation of [
      'auditLogs.signIns.list',
      'riskyUsers.list',
      'riskyUsers.confirmCompromised',
      'riskyUsers.dismiss',
      'authenticationMethods.list',
      'authenticationMethods.delete',
      'roleEligibilityScheduleInstances.filterByCurrentUser',
    ] as const) {
      assert.ok(PERMISSION_TABLE[operation].delegated.length > 0, operation);
    }
    assert.deepEqual(PERMISSION_TABLE['riskyUsers.confirmCompromised'].roles, ['SecurityAdministrator']);
    assert.equal(PERMISSION_TABLE['auditLogs.signIns.list'].refusal.code, 'Authentication_MSGraphPermissionMissing');
  });
});
