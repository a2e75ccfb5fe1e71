import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_SCOPES, readConfig } from '../../src/config/config';

const APP = '3f1e2d4c-5b6a-4978-8a9b-0c1d2e3f4a5b';
const TENANT = '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10';
const base = { MicrosoftAppId: APP, MicrosoftAppPassword: 's3cret-value', MicrosoftAppTenantId: TENANT };

describe('configuration', function () {
  it('when only the bot identity is given, then the documented defaults apply', function () {
    const result = readConfig(base);
    assert.equal(result.ok, true);
    if (!result.ok) return;
    const c = result.config;
    assert.equal(c.port, 3978);
    assert.equal(c.listenAddress, '0.0.0.0');
    assert.equal(c.appType, 'SingleTenant');
    assert.equal(c.authorityHost, 'https://login.microsoftonline.com');
    assert.equal(c.graphEndpoint, 'https://graph.microsoft.com');
    assert.deepEqual(c.graphScopes, ['https://graph.microsoft.com/User.RevokeSessions.All', 'https://graph.microsoft.com/User.Read.All']);
    assert.deepEqual(c.groupScopes, ['https://graph.microsoft.com/GroupMember.Read.All']);
    assert.deepEqual(
      c.containmentScopes,
      ['User.EnableDisableAccount.All', 'User.Read.All', 'User-PasswordProfile.ReadWrite.All'].map(
        (s) => `https://graph.microsoft.com/${s}`,
      ),
    );
    assert.deepEqual(
      c.deviceScopes,
      ['User.Read.All', 'Device.Read.All', 'Directory.AccessAsUser.All'].map((s) => `https://graph.microsoft.com/${s}`),
    );
    assert.equal(c.ssoAppIdUri, `api://botid-${APP}`);
    assert.deepEqual(c.allowedTenants, [TENANT]);
    assert.equal(c.requestTtlInMs, 15 * 60_000);
    assert.equal(c.bulkMaxTargets, 10_000);
    assert.ok(Object.isFrozen(c));
  });

  it('when BULK_MAX_TARGETS lowers the largest bulk run, then it applies; above 10,000, it is refused with the limit', function () {
    const lower = readConfig({ ...base, BULK_MAX_TARGETS: '2500' });
    assert.equal(lower.ok && lower.config.bulkMaxTargets, 2500);
    const higher = readConfig({ ...base, BULK_MAX_TARGETS: '20000' });
    assert.equal(higher.ok, false);
    assert.deepEqual(!higher.ok && higher.problems, [
      'BULK_MAX_TARGETS must be at most 10000 (got "20000"): a larger run is not supported.',
    ]);
  });

  it('when a scope set is configured, then it replaces that set only, names kept as given', function () {
    const result = readConfig({ ...base, DEVICE_SCOPES: ' Directory.AccessAsUser.All  https://graph.microsoft.com/User.Read.All ' });
    assert.equal(result.ok, true);
    if (!result.ok) return;
    assert.deepEqual(result.config.deviceScopes, [
      'https://graph.microsoft.com/Directory.AccessAsUser.All',
      'https://graph.microsoft.com/User.Read.All',
    ]);
    assert.deepEqual(
      result.config.containmentScopes,
      DEFAULT_SCOPES.CONTAINMENT_SCOPES.map((s) => `https://graph.microsoft.com/${s}`),
    );
  });

  it('when an emulated Graph host is configured, then scopes still name the Graph resource', function () {
    const result = readConfig({ ...base, GRAPH_ENDPOINT: 'https://127.0.0.1:8443/', GRAPH_SCOPES: 'User.Read.All' });
    assert.equal(result.ok && result.config.graphEndpoint, 'https://127.0.0.1:8443');
    assert.deepEqual(result.ok && result.config.graphScopes, ['https://graph.microsoft.com/User.Read.All']);
  });

  it('when several variables are wrong, then every problem is named on its own line', function () {
    const result = readConfig({
      MicrosoftAppId: 'not-a-guid',
      MicrosoftAppTenantId: TENANT,
      PORT: 'eighty',
      AZURE_AUTHORITY_HOST: 'http://login.example',
      GRAPH_ENDPOINT: 'https://graph.microsoft.com/v1.0',
      SECURITY_CHANNEL_ID: 'security',
      ALLOWED_TENANTS: 'contoso',
      LISTEN_ADDRESS: 'localhost',
    });
    assert.equal(result.ok, false);
    if (result.ok) return;
    const text = result.problems.join('\n');
    for (const name of [
      'MicrosoftAppId',
      'MicrosoftAppPassword',
      'PORT',
      'AZURE_AUTHORITY_HOST',
      'GRAPH_ENDPOINT',
      'SECURITY_CHANNEL_ID',
      'ALLOWED_TENANTS',
      'LISTEN_ADDRESS',
    ]) {
      assert.match(text, new RegExp(name), `expected a line about ${name}`);
    }
    assert.ok(!text.includes('s3cret'), 'no secret is echoed');
  });

  it('every variable the config reads is documented in .env.example', function () {
    const source = ['config.ts', 'storageConfig.ts']
      .map((file) => readFileSync(path.join(__dirname, '../../src/config', file), 'utf8'))
      .join('\n');
    const example = readFileSync(path.join(__dirname, '../../.env.example'), 'utf8');
    const names = [...source.matchAll(/(?:trimmed|positiveNumber)\(env, '([A-Za-z_]+)'/g)]
      .map((m) => m[1]!)
      .concat(Object.keys(DEFAULT_SCOPES));
    assert.ok(names.length >= 15);
    for (const name of names) assert.match(example, new RegExp(`^#? ?${name}=`, 'm'), `${name} is missing from .env.example`);
  });
});
