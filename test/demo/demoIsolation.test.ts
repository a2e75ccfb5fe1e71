/**
 * The demo never runs with, or hands on, production settings, and listens on this machine
 * only: the demo's bot child gets an allow-listed environment; the bot, the relay, the emulator
 * and the Playground listen on loopback.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { productionSettingsIn } from '../../demo/productionSettings';
import { RATE_LIMIT_VARIABLES } from '../../src/config/rateLimitConfig';
import { allowedInDemoChild, demoChildEnvironment } from '../../demo/childEnvironment';
import { playgroundCli, playgroundConfig, startPlayground, type RunningPlayground } from '../../demo/playground';
import { EmulatedCloud } from '../../emulator/cloud';
import { childEnv } from '../helpers/childEnv';
import { freePort } from '../helpers/e2e';
import { isLoopback, listeningAddresses } from '../helpers/listeners';
import { produced } from '../helpers/secretScan';
import { testTls } from '../helpers/tls';

const ROOT = path.join(__dirname, '..', '..');
/** `npm start` without its build step (scripts/test.ts has built the bot already). */
const NPM_START = ['--import', 'tsx', path.join(ROOT, 'demo', 'main.ts')];

/** Settings of a production bot (values as an operator would have them). */
const PRODUCTION: Readonly<Record<string, string>> = {
  STORAGE: 'blob',
  AZURE_STORAGE_CONNECTION_STRING:
    'DefaultEndpointsProtocol=https;AccountName=revokerprod;AccountKey=cHJvZHVjdGlvbi1hY2NvdW50LWtleQ==;EndpointSuffix=core.windows.net',
  SECURITY_CHANNEL_ID: '19:prod-approvals@thread.tacv2',
  AUDIT_ADMIN_GROUP_ID: '0f0e0d0c-0b0a-4908-8706-050403020100',
  NODE_ENV: 'production',
  MicrosoftAppPassword: 'prod~client~secret~value',
  MicrosoftAppTenantId: '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10',
  ALLOWED_TENANTS: '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10',
  SSO_APP_ID_URI: 'api://revoker.contoso.com/botid-1',
  WEBSITE_SITE_NAME: 'revoker-prod',
};

/** The child processes of `pid` (Linux). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      children.push(...readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    } catch {
      // the task ended meanwhile
    }
  }
  return children;
}

/** A process's environment (Linux). */
function environmentOf(pid: number): Map<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return new Map(entries.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
}

describe('the demo is isolated from production settings', function () {
  it('when any production setting is present, then it is named (by name, never its value), each on its own', function () {
    for (const [name, value] of Object.entries(PRODUCTION)) {
      const found = productionSettingsIn({ [name]: value });
      assert.equal(found.length, 1, name);
      assert.ok(found[0]!.startsWith(name), `${name} → ${String(found[0])}`);
      if (name !== 'STORAGE' && name !== 'NODE_ENV') assert.ok(!found[0]!.includes(value), 'no value is repeated');
    }
  });

  it('when the environment is a copy of .env.example with MicrosoftAppId left empty, then nothing in it counts as production', function () {
    const example = readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    const env: Record<string, string> = {};
    for (const line of example.split('\n')) {
      const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
      if (match) env[match[1]!] = match[2]!;
    }
    assert.ok(Object.keys(env).length >= 5);
    assert.deepEqual(productionSettingsIn(env), []);
    assert.deepEqual(productionSettingsIn({ STORAGE: 'sqlite', NODE_ENV: 'development' }), []);
  });

  it('when the demo starts a child, then it takes only allow-listed variables from the demo’s environment', function () {
    const parent = {
      ...PRODUCTION,
      PATH: '/usr/bin',
      HOME: '/home/me',
      TZ: 'Pacific/Kiritimati',
      FAKETIME: '+400d',
      LD_PRELOAD: '/usr/lib/faketime/libfaketime.so.1',
      LC_ALL: 'C',
      RATE_LIMIT_USER_COMMANDS_PER_MINUTE: '5',
      LOG_LEVEL: 'debug',
      GITHUB_TOKEN: 'ghp_notForTheDemo',
      NODE_OPTIONS: '--require /tmp/x.js',
      AZURE_CLIENT_SECRET: 'x',
    };
    const bot = demoChildEnvironment(parent, 'bot');
    assert.deepEqual(Object.keys(bot).sort(), [
      'FAKETIME',
      'HOME',
      'LC_ALL',
      'LD_PRELOAD',
      'LOG_LEVEL',
      'PATH',
      'RATE_LIMIT_USER_COMMANDS_PER_MINUTE',
      'TZ',
    ]);
    const playground = demoChildEnvironment(parent, 'playground');
    assert.deepEqual(Object.keys(playground).sort(), ['FAKETIME', 'HOME', 'LC_ALL', 'LD_PRELOAD', 'PATH', 'TZ']);
  });

  it('when the bot reads a rate limit from its environment, then the demo lets that variable through to its bot', function () {
    const names = Object.keys(RATE_LIMIT_VARIABLES);
    assert.ok(names.length >= 4);
    for (const name of names) assert.ok(allowedInDemoChild(name, 'bot'), `${name} reaches the demo's bot`);
    for (const name of names) assert.ok(!allowedInDemoChild(name, 'playground'), `${name} is none of the Playground's business`);
  });
});

describe('the demo, as npm start runs it', function () {
  this.timeout(90_000);
  let cloud: EmulatedCloud;
  let stateDir: string;

  before(async function () {
    const { ca } = await testTls();
    // Only to know which variables the demo sets for its bot: the emulator's bot environment.
    cloud = await EmulatedCloud.start({ ca });
    stateDir = mkdtempSync(path.join(tmpdir(), 'revoker-demo-isolation-'));
  });

  after(async function () {
    await cloud?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('when the demo runs, then its bot child has no variable the allow-list or the demo did not give it, and it listens on 127.0.0.1 only', async function () {
    const setByDemo = new Set([
      ...Object.keys(cloud.botEnvironment({ PORT: '1', LISTEN_ADDRESS: '127.0.0.1', DATA_DIR: 'x' })),
      'NODE_EXTRA_CA_CERTS',
    ]);
    const demo = spawn(process.execPath, [...NPM_START, '--walkthrough'], {
      cwd: ROOT,
      // Variables that are no production setting, but are none of the demo bot's business either.
      env: childEnv({
        DEMO_STATE_DIR: stateDir,
        PORT: String(await freePort()),
        GITHUB_TOKEN: 'ghp_notForTheDemoBot',
        SOME_TOOL_SECRET: 'not-for-the-demo-bot',
        LOG_LEVEL: 'debug',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    demo.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
    demo.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
    produced.watch('process output', `demo process ${demo.pid ?? '?'}`, () => [output]);
    const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
    try {
      // The demo runs itself again trusting its CA, then starts the bot: find the process serving DATA_DIR under the state folder.
      let bot: { pid: number; env: Map<string, string> } | undefined;
      const deadline = Date.now() + 60_000;
      while (!bot && demo.exitCode === null && Date.now() < deadline) {
        const pending = [demo.pid!];
        while (pending.length > 0 && !bot) {
          const pid = pending.pop()!;
          try {
            const env = environmentOf(pid);
            if (env.get('DATA_DIR') === path.join(stateDir, 'data') && listeningAddresses(pid).length > 0) bot = { pid, env };
            else pending.push(...childrenOf(pid));
          } catch {
            // gone meanwhile
          }
        }
        if (!bot) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(bot, `the demo's bot was not found: ${output}`);
      const strays = [...bot.env.keys()].filter((name) => !allowedInDemoChild(name, 'bot') && !setByDemo.has(name));
      assert.deepEqual(strays, [], 'only allow-listed variables and the demo’s own settings');
      assert.equal(bot.env.get('LOG_LEVEL'), 'debug', 'a bot knob the demo lets through');
      assert.equal(bot.env.get('LISTEN_ADDRESS'), '127.0.0.1');
      const listening = listeningAddresses(bot.pid);
      assert.ok(listening.length > 0 && listening.every(isLoopback), listening.join(' '));
      assert.equal(await exited, 0, output);
    } finally {
      if (demo.exitCode === null) demo.kill('SIGTERM');
      await exited;
    }
  });

  /** Runs npm start's demo with exactly this environment (plus PATH and the clock's); resolves when it exits. */
  async function npmStart(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
    const child = spawn(process.execPath, NPM_START, { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
    produced.watch('process output', `npm start ${child.pid ?? '?'}`, () => [output]);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    return { code, output };
  }

  it('when a production setting is present and MicrosoftAppId is not, then npm start prints one config line naming them, exits 2 and starts no demo', async function () {
    const demoDir = path.join(stateDir, 'never');
    const { code, output } = await npmStart({ ...PRODUCTION, DEMO_STATE_DIR: demoDir });
    assert.equal(code, 2, output);
    const lines = output.trim().split('\n');
    assert.equal(lines.length, 1, output);
    assert.match(lines[0]!, /^config: MicrosoftAppId is not set, but production settings are \(/);
    for (const name of Object.keys(PRODUCTION)) assert.ok(lines[0]!.includes(name), `${name} named in: ${String(lines[0])}`);
    for (const [name, value] of Object.entries(PRODUCTION))
      if (name !== 'STORAGE' && name !== 'NODE_ENV') assert.ok(!output.includes(value), `the value of ${name} is never printed`);
    assert.equal(existsSync(demoDir), false, 'no demo state was made');
  });

  it('when MicrosoftAppId is set, then npm start prints one config line pointing to node ., exits 2 and starts no demo', async function () {
    const demoDir = path.join(stateDir, 'never-with-app-id');
    const { code, output } = await npmStart({ MicrosoftAppId: '3f1e2d4c-5b6a-4978-8a9b-00000000beef', DEMO_STATE_DIR: demoDir });
    assert.equal(code, 2, output);
    const lines = output.trim().split('\n');
    assert.equal(lines.length, 1, output);
    assert.match(lines[0]!, /^config: MicrosoftAppId is set, .*node \.$/);
    assert.equal(existsSync(demoDir), false, 'no demo state was made');
  });
});

describe('the Playground (the demo’s browser client)', function () {
  this.timeout(60_000);
  let cloud: EmulatedCloud;
  let dir: string;
  let playground: RunningPlayground | undefined;

  before(async function () {
    assert.ok(playgroundCli(), 'the Playground is a dev dependency: npm ci installs it');
    const { ca } = await testTls();
    cloud = await EmulatedCloud.start({ ca });
    dir = mkdtempSync(path.join(tmpdir(), 'revoker-playground-'));
  });

  after(async function () {
    await playground?.stop();
    await cloud?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('when the Playground starts, then every socket it listens on is on loopback, and its page is served there', async function () {
    playground = await startPlayground({
      appEndpoint: 'http://127.0.0.1:9/api/messages',
      serviceUrl: 'http://127.0.0.1:9/',
      configFile: path.join(dir, '.m365agentsplayground.yml'),
      configText: playgroundConfig(cloud.directory, cloud.app.appId, cloud.directory.user('uma')),
      logFile: path.join(dir, 'playground.log'),
      port: 0,
    });
    const listening = listeningAddresses(playground.pid);
    assert.ok(listening.length > 0, 'it listens');
    assert.ok(listening.every(isLoopback), `it listens on ${listening.join(' ')}`);
    assert.equal((await fetch(playground.url)).status, 200);
  });
});
