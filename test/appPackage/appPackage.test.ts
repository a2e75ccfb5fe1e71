import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildAppPackage, PACKAGE_ICONS } from '../../scripts/appPackage/buildPackage';
import { iconFiles } from '../../scripts/appPackage/icons';
import { PACKAGE_VARIABLES, placeholdersIn } from '../../scripts/appPackage/manifestTemplate';
import { decodeRgbaPng, readPngHeader } from '../../scripts/appPackage/png';
import { bundledSchemaPath, validateTeamsManifest } from '../../scripts/appPackage/validateManifest';
import { readZip } from '../../src/appPackage/zipReader';
import { readConfig } from '../../src/config/config';

const ROOT = path.join(__dirname, '..', '..');
const SOURCE = path.join(ROOT, 'appPackage');
const APP_ID = '0b6f4e2a-9c1d-4e8f-a7b3-5d2c1e0f9a8b';
const TENANT_ID = '5e8a1c2d-3b4f-4a6e-9d7c-1f2e3d4c5b6a';

/** A tenant's settings: what the admin puts in .env. */
function tenantEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    MicrosoftAppId: APP_ID,
    MicrosoftAppPassword: 'not-used-by-the-package',
    MicrosoftAppTenantId: TENANT_ID,
    BOT_DOMAIN: 'revoker.contoso.example',
    APP_DEVELOPER_NAME: 'Contoso IT Security',
    APP_WEBSITE_URL: 'https://it.contoso.example/revoker',
    APP_PRIVACY_URL: 'https://it.contoso.example/privacy',
    APP_TERMS_URL: 'https://it.contoso.example/terms',
    ...extra,
  };
}

describe('the Teams app package (npm run package)', function () {
  let outDir: string;

  beforeEach(function () {
    outDir = mkdtempSync(path.join(tmpdir(), 'revoker-package-'));
  });

  afterEach(function () {
    rmSync(outDir, { recursive: true, force: true });
  });

  async function build(env: Record<string, string>): Promise<{ manifest: Record<string, unknown>; zipPath: string; manifestPath: string }> {
    const result = await buildAppPackage({ env, sourceDir: SOURCE, outDir, packageVersion: '0.1.0' });
    if (!result.ok) assert.fail(`build failed at ${result.stage}: ${result.problems.join('; ')}`);
    return result;
  }

  it('the schema the validation uses is the bundled v1.30 file, so nothing is fetched', function () {
    const template = JSON.parse(readFileSync(path.join(SOURCE, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(template.manifestVersion, '1.30');
    assert.ok(existsSync(bundledSchemaPath('1.30')), 'the @microsoft/app-manifest package ships the v1.30 schema');
  });

  it('the generated manifest passes the Teams v1.30 schema', async function () {
    const { manifest } = await build(tenantEnv());
    assert.deepEqual(await validateTeamsManifest(manifest), []);
  });

  it('the schema check is not vacuous: a manifest with a lower-case groupchat scope or a long short name is rejected', async function () {
    const { manifest } = await build(tenantEnv());
    const bots = manifest.bots as { scopes: string[] }[];
    const badScope = { ...manifest, bots: [{ ...bots[0], scopes: ['personal', 'groupchat'] }] };
    assert.ok((await validateTeamsManifest(badScope)).some((p) => p.includes('/bots/0/scopes')));
    const longName = { ...manifest, name: { short: 'S'.repeat(31) } };
    assert.ok((await validateTeamsManifest(longName)).some((p) => p.includes('/name/short')));
  });

  it('every placeholder is filled and the template uses only the documented ones', async function () {
    const template = readFileSync(path.join(SOURCE, 'manifest.json'), 'utf8');
    const known = new Set(PACKAGE_VARIABLES.map((v) => v.name));
    assert.deepEqual(
      placeholdersIn(template).filter((name) => !known.has(name)),
      [],
    );
    const { manifestPath } = await build(tenantEnv());
    const text = readFileSync(manifestPath, 'utf8');
    assert.doesNotMatch(text, /\$\{\{/);
    const example = readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    for (const name of known) assert.match(example, new RegExp(`^#? ?${name}=`, 'm'), `${name} is missing from .env.example`);
  });

  it('webApplicationInfo.resource equals the SSO Application ID URI the bot checks, by default and when set', async function () {
    const variants: Record<string, string>[] = [{}, { SSO_APP_ID_URI: `api://revoker.contoso.example/botid-${APP_ID}` }];
    for (const extra of variants) {
      const env = tenantEnv(extra);
      const config = readConfig(env);
      assert.ok(config.ok, config.ok ? '' : config.problems.join('; '));
      const { manifest } = await build(env);
      const sso = manifest.webApplicationInfo as { id: string; resource: string };
      assert.equal(sso.resource, config.config.ssoAppIdUri);
      assert.equal(sso.id, APP_ID);
    }
  });

  it('declares the bot in personal, team and group chat with the revoke, whoami, audit and help commands', async function () {
    const { manifest } = await build(tenantEnv());
    const [bot] = manifest.bots as {
      botId: string;
      scopes: string[];
      commandLists: { scopes: string[]; commands: { title: string }[] }[];
    }[];
    assert.ok(bot);
    assert.equal(bot.botId, APP_ID);
    assert.deepEqual([...bot.scopes].sort(), ['groupChat', 'personal', 'team']);
    assert.deepEqual(bot.commandLists.flatMap((l) => l.commands.map((c) => c.title)).sort(), ['audit', 'help', 'revoke', 'whoami']);
    assert.deepEqual(manifest.validDomains, ['token.botframework.com', 'revoker.contoso.example']);
    assert.equal(manifest.id, APP_ID, 'TEAMS_APP_ID defaults to the bot id');
    const description = manifest.description as { full: string };
    assert.match(description.full, /access tokens already issued stay valid until they expire/);
  });

  it('the zip holds manifest.json, color.png and outline.png at its root, the same bytes as the build folder', async function () {
    const { zipPath, manifestPath } = await build(tenantEnv({ TEAMS_APP_ID: '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d' }));
    const entries = readZip(readFileSync(zipPath));
    assert.deepEqual(entries.map((e) => e.name).sort(), ['color.png', 'manifest.json', 'outline.png']);
    const byName = new Map(entries.map((e) => [e.name, e.data]));
    assert.deepEqual(byName.get('manifest.json'), readFileSync(manifestPath));
    assert.equal((JSON.parse(String(byName.get('manifest.json'))) as { id: string }).id, '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d');
    for (const [name, size] of Object.entries(PACKAGE_ICONS)) {
      const header = readPngHeader(byName.get(name) ?? Buffer.alloc(0));
      assert.deepEqual([header?.width, header?.height], [size, size], name);
    }
  });

  it('refuses to write anything when a value is missing or malformed, naming each', async function () {
    const env = tenantEnv({ BOT_DOMAIN: 'https://revoker.contoso.example/', APP_PRIVACY_URL: 'http://it.contoso.example/privacy' });
    delete env.APP_TERMS_URL;
    const result = await buildAppPackage({ env, sourceDir: SOURCE, outDir, packageVersion: '0.1.0' });
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.stage === 'variables');
    const text = result.ok ? '' : result.problems.join('\n');
    assert.match(text, /BOT_DOMAIN must be a host name/);
    assert.match(text, /APP_PRIVACY_URL must be an https URL/);
    assert.match(text, /APP_TERMS_URL is not set/);
    assert.equal(existsSync(path.join(outDir, 'session-revoker.zip')), false);
  });

  it('the committed icons are the ones the drawing code makes: 192×192 colour, 32×32 white on transparent', function () {
    for (const [name, png] of Object.entries(iconFiles())) {
      assert.deepEqual(readFileSync(path.join(SOURCE, name)), png, `${name} is stale: run node --import tsx scripts/makeIcons.ts`);
    }
    const outline = decodeRgbaPng(readFileSync(path.join(SOURCE, 'outline.png')));
    assert.ok(outline?.width === 32);
    let drawn = 0;
    for (let i = 0; i < outline.pixels.length; i += 4) {
      const [r, g, b, a] = outline.pixels.subarray(i, i + 4);
      if (a === 0) continue;
      drawn += 1;
      assert.deepEqual([r, g, b], [255, 255, 255], 'the outline is white');
    }
    assert.ok(drawn > 50 && drawn < 32 * 32 * 0.6, `the outline draws a glyph, not a filled square (${drawn} pixels)`);
    assert.equal(outline.pixels[3], 0, 'the corner is transparent');
    const color = decodeRgbaPng(readFileSync(path.join(SOURCE, 'color.png')));
    assert.ok(color?.width === 192 && color.height === 192);
    const centre = (96 * 192 + 20) * 4;
    assert.equal(color.pixels[centre + 3], 255, 'the colour icon is opaque inside');
  });
});
