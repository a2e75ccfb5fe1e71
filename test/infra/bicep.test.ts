/**
 * infra/main.bicep is not compiled here: no Bicep compiler is available offline (it ships with the
 * Azure CLI / as a native binary, neither on npm nor in Debian). These are structure checks on its
 * text and on the parameters file, so the template cannot drift from the bot's runtime contract.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const bicep = readFileSync(path.join(ROOT, 'infra', 'main.bicep'), 'utf8');

/** The template without its strings and comments (what the brackets must balance in). */
function codeOnly(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    const ch = text.charAt(i);
    if (ch === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i += 1;
      out += '\n';
    } else if (ch === "'") {
      for (i += 1; i < text.length && text[i] !== "'"; i += 1) if (text[i] === '\\') i += 1;
      out += "''";
    } else out += ch;
  }
  return out;
}
const code = codeOnly(bicep);

/** `param name type [= default]` declarations. */
function params(): Map<string, { hasDefault: boolean; secure: boolean }> {
  const found = new Map<string, { hasDefault: boolean; secure: boolean }>();
  const lines = bicep.split('\n');
  lines.forEach((line, i) => {
    const m = /^param (\w+) \w+( =)?/.exec(line);
    if (m?.[1])
      found.set(m[1], {
        hasDefault: Boolean(m[2]),
        secure: lines
          .slice(Math.max(0, i - 3), i)
          .join('\n')
          .includes('@secure()'),
      });
  });
  return found;
}

describe('infra/main.bicep (structure only: not compiled offline)', function () {
  it('has balanced braces, brackets and parentheses outside strings and comments', function () {
    for (const [open, close] of [
      ['{', '}'],
      ['[', ']'],
      ['(', ')'],
    ] as const) {
      let depth = 0;
      for (const ch of code) {
        if (ch === open) depth += 1;
        if (ch === close) depth -= 1;
        assert.ok(depth >= 0, `unbalanced ${close}`);
      }
      assert.equal(depth, 0, `unbalanced ${open}`);
    }
  });

  it('the parameters file sets only declared parameters, and every required one except the secret', function () {
    const file = JSON.parse(readFileSync(path.join(ROOT, 'infra', 'main.parameters.json'), 'utf8')) as {
      parameters: Record<string, unknown>;
    };
    const declared = params();
    for (const name of Object.keys(file.parameters)) assert.ok(declared.has(name), `${name} is not a param of main.bicep`);
    for (const [name, p] of declared) {
      if (!p.hasDefault && !p.secure) assert.ok(name in file.parameters, `required param ${name} is missing from main.parameters.json`);
    }
    assert.ok(declared.get('microsoftAppPassword')?.secure, 'the client secret is a @secure() param');
  });

  it('every app setting is a variable of the runtime contract (.env.example) or App Service’s own', function () {
    const example = readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    const appServiceOwn = new Set(['WEBSITES_PORT', 'SCM_DO_BUILD_DURING_DEPLOYMENT', 'PRUNE_DEV_DEPENDENCIES']);
    const names = [...bicep.matchAll(/\{ name: '([A-Za-z_]+)', value:/g)].map((m) => m[1] ?? '');
    assert.ok(names.length >= 10, 'app settings found');
    for (const name of names) {
      if (appServiceOwn.has(name)) continue;
      assert.match(example, new RegExp(`^#? ?${name}=`, 'm'), `${name} is not in .env.example`);
    }
    assert.ok(names.includes('MicrosoftAppType') && bicep.includes("name: 'MicrosoftAppType', value: 'SingleTenant'"));
  });

  it('declares the single-tenant Azure Bot, its Teams channel and the OAuth connection whose token exchange URL is the App ID URI', function () {
    assert.match(bicep, /resource bot 'Microsoft\.BotService\/botServices@2022-09-15'/);
    assert.match(bicep, /msaAppType: 'SingleTenant'/);
    assert.match(bicep, /msaAppTenantId: microsoftAppTenantId/);
    assert.match(bicep, /endpoint: 'https:\/\/\$\{webApp\.properties\.defaultHostName\}\/api\/messages'/);
    assert.match(bicep, /'Microsoft\.BotService\/botServices\/channels@2022-09-15'[\s\S]*?channelName: 'MsTeamsChannel'/);
    assert.match(
      bicep,
      /'Microsoft\.BotService\/botServices\/connections@2022-09-15'[\s\S]*?serviceProviderDisplayName: 'Azure Active Directory v2'/,
    );
    assert.match(bicep, /\{ key: 'tokenExchangeUrl', value: ssoAppIdUri \}/);
    assert.match(bicep, /param ssoAppIdUri string = 'api:\/\/botid-\$\{microsoftAppId\}'/, 'the same default as SSO_APP_ID_URI');
    assert.match(bicep, /param oauthConnectionName string = 'revoker-sso'/, 'the same default as OAUTH_CONNECTION_NAME');
  });

  it('the OAuth connection asks for the bot’s own API (the token the bot checks and exchanges), and the web app is HTTPS-only with the bot’s health check', function () {
    // A token for Graph would fail the bot's audience check: the bot wants a token for its own API and does OBO itself.
    assert.match(bicep, /scopes: '\$\{ssoAppIdUri\}\/access_as_user'/);
    assert.match(bicep, /httpsOnly: true/);
    assert.match(bicep, /healthCheckPath: '\/healthz'/);
    assert.match(bicep, /minTlsVersion: '1\.2'/);
  });

  it('App Service builds the bot during deployment and starts the compiled build with node ., never npm start (the demo)', function () {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      main?: string;
      scripts: Record<string, string>;
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    assert.deepEqual(
      [...bicep.matchAll(/appCommandLine: '([^']*)'/g)].map((m) => m[1]),
      ['node .'],
    );
    assert.match(bicep, /\{ name: 'SCM_DO_BUILD_DURING_DEPLOYMENT', value: 'true' \}/, 'Oryx builds during deployment');
    assert.match(bicep, /\{ name: 'PRUNE_DEV_DEPENDENCIES', value: 'true' \}/, 'only production dependencies reach the app');
    assert.doesNotMatch(bicep, /name: 'NODE_ENV'/, 'NODE_ENV=production would make the build skip its compiler');
    // What Oryx runs (npm run build) and what node . starts (main) must be the compiled bot.
    assert.match(pkg.scripts.build ?? '', /^tsc /);
    assert.equal(pkg.main, 'dist/main.js');
    assert.ok(
      pkg.devDependencies.typescript && !pkg.dependencies.typescript,
      'the compiler is a devDependency, installed for the build only',
    );
  });

  it('creates a workspace-based Application Insights and gives the bot its connection string, with App Service’s own agent left off', function () {
    assert.match(bicep, /resource workspace 'Microsoft\.OperationalInsights\/workspaces@2023-09-01'/);
    assert.match(bicep, /resource appInsights 'Microsoft\.Insights\/components@2020-02-02'[\s\S]*?WorkspaceResourceId: workspace\.id/);
    assert.match(bicep, /\{ name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsights\.properties\.ConnectionString \}/);
    // The agent's automatic instrumentation records full URLs (Graph URLs carry user principal names).
    const settings = [...bicep.matchAll(/\{ name: '([A-Za-z_]+)', value:/g)].map((m) => m[1]);
    assert.ok(settings.includes('APPLICATIONINSIGHTS_CONNECTION_STRING'));
    for (const agent of ['ApplicationInsightsAgent_EXTENSION_VERSION', 'XDT_MicrosoftApplicationInsights_Mode'])
      assert.ok(!settings.includes(agent), `${agent} would turn on App Service's own agent`);
  });
});

describe('infra/alertPlaybook.bicep (structure only: not compiled offline)', function () {
  const playbook = readFileSync(path.join(ROOT, 'infra', 'alertPlaybook.bicep'), 'utf8');

  it('has balanced braces, brackets and parentheses outside strings and comments', function () {
    const text = codeOnly(playbook);
    for (const [open, close] of [
      ['{', '}'],
      ['[', ']'],
      ['(', ')'],
    ] as const) {
      let depth = 0;
      for (const ch of text) {
        if (ch === open) depth += 1;
        if (ch === close) depth -= 1;
        assert.ok(depth >= 0, `unbalanced ${close}`);
      }
      assert.equal(depth, 0, `unbalanced ${open}`);
    }
  });

  it('posts to /api/alerts with the managed identity for the bot API’s audience, with the payload the bot reads, and outputs the client id for ALERT_CALLER_APP_IDS', function () {
    assert.match(playbook, /uri: 'https:\/\/\$\{botHostName\}\/api\/alerts'/);
    assert.match(playbook, /authentication: \{\s*type: 'ManagedServiceIdentity'\s*identity: identity\.id\s*audience: botAppIdUri\s*\}/);
    for (const field of ['source', 'externalId', 'title', 'severity', 'link', 'details', 'accounts'])
      assert.match(playbook, new RegExp(`\\n\\s+${field}: `));
    assert.match(playbook, /output callerClientId string = identity\.properties\.clientId/);
    assert.doesNotMatch(codeOnly(playbook), /@secure\(\)|password|listKeys|clientSecret/i, 'no shared secret');
  });
});
