/**
 * One end-to-end context: the emulated Microsoft cloud and a real bot (the composition root,
 * real botbuilder, @azure/identity and Graph client) on loopback, with the bot's logs
 * captured so tests can prove no token was ever logged.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { startBot, type RunningBot, type StartOptions } from '../../src/app';
import { readConfig } from '../../src/config/config';
import { EmulatedCloud } from '../../emulator/cloud';
import type { Directory } from '../../emulator/directory';
import { produced } from './secretScan';
import { testTls } from './tls';

export interface E2E {
  readonly cloud: EmulatedCloud;
  readonly bot: RunningBot;
  readonly dataDir: string;
  /** Every line the bot logged. */
  readonly logs: string[];
  /** Restarts the bot process-equivalent (same data dir and config). */
  restartBot(): Promise<RunningBot>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

let appCounter = 0;

/** Starts a cloud and a bot. Each context gets its own bot app id: botbuilder caches connector tokens per app id for the whole process. */
export async function startE2E(
  options: {
    env?: Record<string, string>;
    directory?: Directory;
    /** Runs after the cloud starts and before the bot does: set up teams and channels, return more environment. */
    prepare?: (cloud: EmulatedCloud) => Record<string, string> | Promise<Record<string, string>>;
    /** Wraps the bot's storage (fault tests make it fail on demand). */
    wrapStorage?: StartOptions['wrapStorage'];
    /** With APPLICATIONINSIGHTS_CONNECTION_STRING in env: processors and readers beside the exporters (in-memory ones). */
    telemetryExtras?: StartOptions['telemetryExtras'];
  } = {},
): Promise<E2E> {
  const { ca } = await testTls();
  appCounter += 1;
  const botAppId = `3f1e2d4c-5b6a-4978-8a9b-${String(appCounter).padStart(12, '0')}`;
  const cloud = await EmulatedCloud.start({ ca, botAppId, directory: options.directory });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'revoker-e2e-'));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  // Everything this bot produces goes to the run-wide secret scan (test/helpers/secretScan.ts).
  const label = `e2e #${appCounter}`;
  produced.addSecret(cloud.app.secret);
  produced.watch('bot log', `bot log (${label})`, () => logs);
  produced.watch('connector', `activities the bot sent (${label})`, () =>
    cloud.teams.connectorLog.map((call) => JSON.stringify(call.body ?? null)),
  );
  const port = await freePort();
  const prepared = (await options.prepare?.(cloud)) ?? {};
  const env = cloud.botEnvironment({ PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'debug', ...options.env, ...prepared });
  const config = readConfig(env);
  if (!config.ok) throw new Error(`bad test config: ${config.problems.join('; ')}`);
  const startOptions: StartOptions = {
    logDestination: sink,
    host: '127.0.0.1',
    wrapStorage: options.wrapStorage,
    telemetryExtras: options.telemetryExtras,
  };
  let bot = await startBot(config.config, startOptions);
  cloud.teams.botEndpoint = `${bot.url}/api/messages`;
  const context: E2E = {
    cloud,
    get bot() {
      return bot;
    },
    dataDir,
    logs,
    async restartBot() {
      await bot.close();
      bot = await startBot(config.config, startOptions);
      cloud.teams.botEndpoint = `${bot.url}/api/messages`;
      return bot;
    },
    async stop() {
      await bot.close();
      await cloud.stop();
      produced.addDirectory('data dir', dataDir);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return context;
}
