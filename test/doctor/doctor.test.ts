import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildAppPackage } from '../../scripts/appPackage/buildPackage';
import type { CheckResult } from '../../src/doctor/checks';
import { DEFAULT_SCOPES, readConfig, type Config, type ScopeSetName } from '../../src/config/config';
import { formatReport, runDoctor } from '../../src/doctor/doctor';
import { checkGraphPermissions, permissionCheckName } from '../../src/doctor/graphPermissions';
import { EmulatedCloud } from '../../emulator/cloud';
import type { Conversation, Team } from '../../emulator/teams';
import { freePort, startE2E, type E2E } from '../helpers/e2e';
import { testTls } from '../helpers/tls';
import { childEnv } from '../helpers/childEnv';
import { npmScriptCommand, ROOT } from '../helpers/built';
const PACKAGE_SETTINGS = {
  BOT_DOMAIN: 'revoker.contoso.example',
  APP_DEVELOPER_NAME: 'Contoso IT Security',
  APP_WEBSITE_URL: 'https://it.contoso.example/revoker',
  APP_PRIVACY_URL: 'https://it.contoso.example/privacy',
  APP_TERMS_URL: 'https://it.contoso.example/terms',
};

function statusOf(results: readonly CheckResult[], name: string): CheckResult {
  const found = results.find((r) => r.name === name);
  assert.ok(found, `no check named ${name}`);
  return found;
}

/** Builds the app package an admin would upload for this environment; returns the zip's path. */
async function packageFor(env: Record<string, string>, outDir: string): Promise<string> {
  const built = await buildAppPackage({
    env: { ...env, ...PACKAGE_SETTINGS },
    sourceDir: path.join(ROOT, 'appPackage'),
    outDir,
    packageVersion: '0.1.0',
  });
  if (!built.ok) assert.fail(built.problems.join('; '));
  return built.zipPath;
}

/** Runs `npm run doctor`'s entry point (compiled) as a process; resolves with its exit code and output. */
function runCli(env: Record<string, string>, manifest: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [...npmScriptCommand('doctor'), '--manifest', manifest, '--dotenv', path.join(tmpdir(), 'no-such.env')],
      {
        cwd: ROOT,
        env: childEnv({ NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ?? '', ...env }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('npm run doctor against the emulated cloud', function () {
  this.timeout(30_000);
  let cloud: EmulatedCloud;
  let work: string;
  let env: Record<string, string>;
  let zip: string;

  before(async function () {
    const { ca } = await testTls();
    cloud = await EmulatedCloud.start({ ca, botAppId: '6d0c9b8a-7f6e-4d5c-9b4a-3f2e1d0c9b8a' });
    work = mkdtempSync(path.join(tmpdir(), 'revoker-doctor-'));
    env = cloud.botEnvironment({ DATA_DIR: path.join(work, 'data') });
    zip = await packageFor(env, path.join(work, 'build'));
  });

  after(async function () {
    await cloud?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('when everything is right, then every check passes (the security channel is skipped when not configured)', async function () {
    const report = await runDoctor({ env, manifestPath: zip });
    const text = formatReport(report);
    assert.equal(report.ok, true, text);
    for (const name of [
      'Configuration',
      'Entra ID metadata',
      "Bot's own token (client credentials)",
      'App package matches the bot',
      'Microsoft Graph reachable',
    ]) {
      assert.equal(statusOf(report.results, name).status, 'pass', `${name}\n${text}`);
    }
    assert.equal(statusOf(report.results, 'Security channel').status, 'skip');
    for (const set of Object.keys(DEFAULT_SCOPES) as ScopeSetName[])
      assert.equal(statusOf(report.results, permissionCheckName(set)).status, 'pass', text);
    assert.match(text, /All checks passed/);
    assert.ok(
      cloud.entra.server.calls.some((c) => c.route.includes('token')),
      'a token was really requested from the emulated Entra',
    );
  });

  it('when alerts are set up, then the alert check names the callers and the audience and finds the v1 keys; a bad audience fails with the fix; without them it is skipped', async function () {
    const caller = 'c0ffee00-1111-4222-8333-444455556666';
    const alertEnv = { ...env, ALERT_CALLER_APP_IDS: caller, SECURITY_CHANNEL_ID: '19:sec@thread.tacv2' };
    const on = statusOf((await runDoctor({ env: alertEnv, manifestPath: zip })).results, 'Alerts (POST /api/alerts)');
    assert.equal(on.status, 'pass', on.detail);
    assert.match(on.detail, new RegExp(`${caller}.*audience ${cloud.app.appIdUri!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const bad = statusOf(
      (await runDoctor({ env: { ...alertEnv, ALERT_AUDIENCE: 'bot api' }, manifestPath: zip })).results,
      'Alerts (POST /api/alerts)',
    );
    assert.equal(bad.status, 'fail');
    assert.match(bad.fix ?? '', /Application ID URI/);
    assert.equal(statusOf((await runDoctor({ env, manifestPath: zip })).results, 'Alerts (POST /api/alerts)').status, 'skip');
  });

  it('when the client secret is wrong, then the token check fails with AADSTS7000215 and says to create a new secret, without printing any secret', async function () {
    const report = await runDoctor({ env: { ...env, MicrosoftAppPassword: 'a-wrong-secret-value' }, manifestPath: zip });
    const token = statusOf(report.results, "Bot's own token (client credentials)");
    assert.equal(report.ok, false);
    assert.equal(token.status, 'fail');
    assert.match(token.detail, /AADSTS7000215/);
    assert.match(token.fix ?? '', /new client secret/);
    const text = formatReport(report);
    assert.ok(!text.includes('a-wrong-secret-value') && !text.includes(cloud.app.secret), 'no secret in the output');
    assert.doesNotMatch(text, /eyJ[\w-]+\.[\w-]+\.[\w-]+/);
    assert.equal(statusOf(report.results, 'Entra ID metadata').status, 'pass', 'the other checks still run');
  });

  it('when the authority host is unreachable, then the Entra metadata check fails and names AZURE_AUTHORITY_HOST', async function () {
    const closed = await freePort();
    const report = await runDoctor({
      env: { ...env, AZURE_AUTHORITY_HOST: `https://127.0.0.1:${closed}` },
      manifestPath: zip,
      timeoutInMs: 5_000,
    });
    const metadata = statusOf(report.results, 'Entra ID metadata');
    assert.equal(report.ok, false);
    assert.equal(metadata.status, 'fail');
    assert.match(metadata.detail, /unreachable/);
    assert.match(metadata.fix ?? '', /AZURE_AUTHORITY_HOST/);
  });

  it('when the tenant id is one Entra does not know, then the metadata check says to fix MicrosoftAppTenantId', async function () {
    const report = await runDoctor({
      env: {
        ...env,
        MicrosoftAppTenantId: '0f0f0f0f-1e1e-4d4d-8c8c-2b2b2b2b2b2b',
        ALLOWED_TENANTS: '0f0f0f0f-1e1e-4d4d-8c8c-2b2b2b2b2b2b',
      },
      manifestPath: zip,
    });
    const metadata = statusOf(report.results, 'Entra ID metadata');
    assert.equal(metadata.status, 'fail');
    assert.match(metadata.fix ?? '', /MicrosoftAppTenantId/);
  });

  it('when the bot accepts another App ID URI than the uploaded manifest names, then the package check fails naming both', async function () {
    const other = `api://revoker.contoso.example/botid-${cloud.app.appId}`;
    const report = await runDoctor({ env: { ...env, SSO_APP_ID_URI: other }, manifestPath: zip });
    const manifest = statusOf(report.results, 'App package matches the bot');
    assert.equal(report.ok, false);
    assert.equal(manifest.status, 'fail');
    assert.ok(manifest.detail.includes(other) && manifest.detail.includes(`api://botid-${cloud.app.appId}`), manifest.detail);
    assert.match(manifest.fix ?? '', /npm run package/);
  });

  it('when there is no app package, then the package check says to run npm run package', async function () {
    const report = await runDoctor({ env, manifestPath: path.join(work, 'nowhere', 'manifest.json') });
    assert.match(statusOf(report.results, 'App package matches the bot').fix ?? '', /npm run package/);
  });

  it('when a variable is missing or malformed, then each is one failing line and the network checks are skipped', async function () {
    const report = await runDoctor({
      env: { ...env, MicrosoftAppTenantId: '', GRAPH_ENDPOINT: 'http://graph.example' },
      manifestPath: zip,
    });
    const config = report.results.filter((r) => r.name === 'Configuration');
    assert.equal(report.ok, false);
    assert.ok(config.some((r) => r.detail.includes('MicrosoftAppTenantId is not set')));
    assert.ok(config.some((r) => r.detail.includes('GRAPH_ENDPOINT must be an https URL')));
    assert.ok(config.every((r) => r.status === 'fail' && r.fix));
    assert.equal(statusOf(report.results, 'Entra ID metadata').status, 'skip');
  });

  it('the command exits 0 when all checks pass and 1 on a failure', async function () {
    const good = await runCli(env, zip);
    assert.equal(good.code, 0, good.output);
    const bad = await runCli({ ...env, MicrosoftAppPassword: 'a-wrong-secret-value' }, zip);
    assert.equal(bad.code, 1, bad.output);
    assert.match(bad.output, /✗ Bot's own token/);
    assert.ok(!bad.output.includes('a-wrong-secret-value'));
  });
});

describe('npm run doctor: the security channel', function () {
  this.timeout(40_000);
  let e2e: E2E;
  let team: Team;
  let channel: Conversation;
  let zip: string;
  let work: string;

  before(async function () {
    e2e = await startE2E({
      prepare: (cloud) => {
        const d = cloud.directory;
        team = cloud.teams.team('Security Operations', [d.user('priya'), d.user('grace'), d.user('uma')], { botInstalled: false });
        channel = team.channel('Revocation approvals');
        return { SECURITY_CHANNEL_ID: channel.id };
      },
    });
    work = mkdtempSync(path.join(tmpdir(), 'revoker-doctor-'));
    zip = await packageFor(e2e.cloud.botEnvironment(), work);
  });

  after(async function () {
    await e2e?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  function doctorEnv(extra: Record<string, string> = {}): Record<string, string> {
    return e2e.cloud.botEnvironment({ DATA_DIR: e2e.dataDir, SECURITY_CHANNEL_ID: channel.id, ...extra });
  }

  it('when the bot has not been added to the security team, then the check fails and says to add it', async function () {
    const report = await runDoctor({ env: doctorEnv(), manifestPath: zip });
    const security = statusOf(report.results, 'Security channel');
    assert.equal(security.status, 'fail');
    assert.match(security.detail, /has not seen channel/);
    assert.match(security.fix ?? '', /Add the app to the security team/);
  });

  it('when the bot is installed in the team, then the doctor finds the stored channel and Teams confirms it through the connector', async function () {
    await e2e.cloud.teams.installBot(team, e2e.cloud.directory.user('grace'));
    const before = e2e.cloud.teams.connectorLog.length;
    const report = await runDoctor({ env: doctorEnv(), manifestPath: zip });
    const security = statusOf(report.results, 'Security channel');
    assert.equal(security.status, 'pass', formatReport(report));
    const asked = e2e.cloud.teams.connectorLog.slice(before);
    assert.ok(
      asked.some((call) => call.operation === 'teamChannels' && call.authorized),
      'the doctor asked the connector with the bot token',
    );
    // What the doctor reported matches reality: the bot answers an @mention in that channel.
    const answered = await e2e.cloud.teams.send(e2e.cloud.directory.user('grace'), channel, 'help');
    assert.equal(answered.status, 200);
  });

  it('when SECURITY_CHANNEL_ID names a channel the bot never saw, then the check fails', async function () {
    const other = e2e.cloud.teams.team('Elsewhere', [e2e.cloud.directory.user('uma')]).channel('Somewhere');
    const report = await runDoctor({ env: doctorEnv({ SECURITY_CHANNEL_ID: other.id }), manifestPath: zip });
    assert.equal(statusOf(report.results, 'Security channel').status, 'fail');
  });
});

describe('npm run doctor: the Graph permissions it asks for', function () {
  function configWith(env: Record<string, string> = {}): Config {
    const read = readConfig({
      MicrosoftAppId: '6d0c9b8a-7f6e-4d5c-9b4a-3f2e1d0c9b8a',
      MicrosoftAppPassword: 'x',
      MicrosoftAppTenantId: '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10',
      ...env,
    });
    assert.ok(read.ok);
    return read.config;
  }

  it('when the defaults apply, then each scope set passes and names every permission, what it is for and what happens without it', function () {
    const results = checkGraphPermissions(configWith());
    assert.equal(results.length, Object.keys(DEFAULT_SCOPES).length);
    for (const set of Object.keys(DEFAULT_SCOPES) as ScopeSetName[]) {
      const result = statusOf(results, permissionCheckName(set));
      assert.equal(result.status, 'pass');
      for (const permission of DEFAULT_SCOPES[set])
        assert.match(result.detail, new RegExp(`${permission.replace(/\./g, '\\.')} — \\w+`), `${set}: ${permission}`);
      assert.match(result.detail, /Without admin consent for all of them: /);
    }
    const devices = statusOf(results, permissionCheckName('DEVICE_SCOPES'));
    assert.match(devices.detail, /Directory\.AccessAsUser\.All — disables each device: the only delegated permission Microsoft documents/);
    assert.match(devices.detail, /only the devices step says the app isn’t approved; everything else still runs/);
  });

  it('when a scope set still asks for Device.ReadWrite.All, then that check fails: it is an application permission that Entra refuses on behalf of a user', function () {
    for (const [set, value] of [
      ['DEVICE_SCOPES', 'User.Read.All Device.ReadWrite.All'],
      ['CONTAINMENT_SCOPES', 'User.EnableDisableAccount.All User.Read.All User-PasswordProfile.ReadWrite.All Device.ReadWrite.All'],
    ] as const) {
      const results = checkGraphPermissions(configWith({ [set]: value }));
      const result = statusOf(results, permissionCheckName(set));
      assert.equal(result.status, 'fail', set);
      assert.match(result.detail, /Device\.ReadWrite\.All exists only as an application permission/);
      assert.match(result.detail, /AADSTS70011/);
      assert.match(result.fix ?? '', new RegExp(`Set ${set}=${DEFAULT_SCOPES[set].join(' ').replace(/\./g, '\\.')}`));
      assert.ok(
        results.filter((r) => r !== result).every((r) => r.status === 'pass'),
        'the other sets are unaffected',
      );
    }
  });

  it('when a set lacks a permission its feature needs, then the check fails naming it and what it is for', function () {
    const result = statusOf(
      checkGraphPermissions(configWith({ CONTAINMENT_SCOPES: 'User.EnableDisableAccount.All User-PasswordProfile.ReadWrite.All' })),
      permissionCheckName('CONTAINMENT_SCOPES'),
    );
    assert.equal(result.status, 'fail');
    assert.match(result.detail, /lacks User\.Read\.All, which completes that pair/);
    assert.match(result.fix ?? '', /Add User\.Read\.All to CONTAINMENT_SCOPES/);
  });

  it('when a set asks for more than the bot uses, then the check passes and says so', function () {
    const result = statusOf(
      checkGraphPermissions(configWith({ GROUP_SCOPES: 'GroupMember.Read.All Group.Read.All' })),
      permissionCheckName('GROUP_SCOPES'),
    );
    assert.equal(result.status, 'pass');
    assert.match(result.detail, /Group\.Read\.All — not used by Session Revoker/);
  });
});
