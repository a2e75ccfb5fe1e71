/**
 * Operations, with the bot as a real child process (`node .`, the compiled build, as
 * production runs it): configuration checked at start-up with one line per problem and exit
 * code 2, and a graceful stop on SIGTERM that lets an in-flight revoke finish first.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EmulatedCloud } from '../../emulator/cloud';
import { GRAPH_ROUTES } from '../../emulator/graph';
import { freePort } from '../helpers/e2e';
import { sendForCard, textOf } from '../helpers/flows';
import { produced } from '../helpers/secretScan';
import { testTls } from '../helpers/tls';
import { childEnv } from '../helpers/childEnv';
import { BOT_COMMAND, ROOT } from '../helpers/built';

interface Child {
  readonly process: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

/** Starts `node .` with exactly this environment (plus PATH and the clock's). */
function startMain(env: Record<string, string>): Child {
  const child = spawn(process.execPath, BOT_COMMAND, {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  produced.watch('process output', `bot process ${child.pid ?? '?'}`, () => [output]);
  return { process: child, output: () => output, exited };
}

async function waitFor(check: () => boolean, timeoutInMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutInMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('operations, with the bot as a child process', function () {
  this.timeout(30_000);

  it('when the configuration is wrong, then start-up prints one clear line per problem and exits with code 2', async function () {
    const child = startMain({
      MicrosoftAppId: 'not-a-guid',
      MicrosoftAppTenantId: '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10',
      PORT: 'eighty',
      GRAPH_ENDPOINT: 'http://graph.example',
      GRAPH_TIMEOUT_SECONDS: 'soon',
      RATE_LIMIT_USER_REVOKES_PER_MINUTE: '-1',
    });
    assert.equal(await child.exited, 2);
    const lines = child
      .output()
      .split('\n')
      .filter((l) => l.startsWith('config: '));
    for (const name of ['MicrosoftAppId', 'PORT', 'GRAPH_ENDPOINT', 'GRAPH_TIMEOUT_SECONDS', 'RATE_LIMIT_USER_REVOKES_PER_MINUTE']) {
      assert.equal(lines.filter((l) => l.includes(name)).length, 1, `one line about ${name} in:\n${child.output()}`);
    }
    assert.match(child.output(), /did not start/);
  });

  it('when MicrosoftAppId is unset, then node . stops like for any missing setting (config lines, exit code 2) and never starts the demo', async function () {
    const demoDir = mkdtempSync(path.join(tmpdir(), 'revoker-no-demo-'));
    try {
      const child = startMain({ DEMO_STATE_DIR: demoDir });
      assert.equal(await child.exited, 2, child.output());
      const lines = child
        .output()
        .split('\n')
        .filter((l) => l.trim());
      assert.ok(
        lines.some((l) => l.startsWith('config: MicrosoftAppId is not set')),
        child.output(),
      );
      assert.ok(
        lines.every((l) => l.startsWith('config: ') || l.includes('did not start')),
        child.output(),
      );
      assert.doesNotMatch(child.output(), /emulat|demo|Playground/i);
      assert.deepEqual(readdirSync(demoDir), [], 'no demo state was made');
    } finally {
      rmSync(demoDir, { recursive: true, force: true });
    }
  });

  describe('graceful shutdown', function () {
    let cloud: EmulatedCloud;
    let dataDir: string;
    let bot: Child | undefined;

    before(async function () {
      const { ca } = await testTls();
      cloud = await EmulatedCloud.start({ ca, botAppId: '3f1e2d4c-5b6a-4978-8a9b-00000000beef' });
      dataDir = mkdtempSync(path.join(tmpdir(), 'revoker-shutdown-'));
    });

    after(async function () {
      if (bot?.process.exitCode === null) bot.process.kill('SIGKILL');
      await cloud?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('when SIGTERM arrives while a slow revoke is in flight, then the revoke completes, the card updates, and the process exits 0', async function () {
      const port = await freePort();
      const caFile = process.env.EMULATOR_CA_CERT_FILE;
      assert.ok(caFile, 'run with scripts/test.ts');
      bot = startMain({
        ...cloud.botEnvironment({ PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'info' }),
        NODE_EXTRA_CA_CERTS: caFile,
      });
      const running = bot;
      await waitFor(() => running.output().includes('Session Revoker is listening'), 15_000, 'the bot to listen');
      cloud.teams.botEndpoint = `http://127.0.0.1:${port}/api/messages`;

      const { teams, directory, graph } = cloud;
      const uma = directory.user('uma');
      const chat = teams.personalChat(uma);
      const card = await sendForCard(teams, uma, chat, 'revoke adele@contoso.onmicrosoft.com');
      graph.injectFault({ route: GRAPH_ROUTES.revoke, latencyInMs: 1500 });
      const click = teams.click(uma, card, 'Revoke sessions');
      // The revoke has reached Graph (the emulator is holding it) when SIGTERM arrives.
      await new Promise((r) => setTimeout(r, 500));
      running.process.kill('SIGTERM');
      const answered = await click;
      assert.match(textOf(answered.card), /Sessions revoked/, answered.steps.join(' | '));
      assert.equal(await running.exited, 0, running.output());
      assert.equal(graph.count(GRAPH_ROUTES.revoke), 1);
      const shown = teams.messages(chat).find((m) => m.id === card.id);
      assert.match(textOf(shown?.card), /Sessions revoked/, 'the card was updated for everyone before the exit');
      assert.match(running.output(), /stopping: finishing in-flight turns/);
    });
  });
});
