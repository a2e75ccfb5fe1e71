/**
 * Two bot instances sharing one Azure Blob Storage (Azurite) behind a load balancer, in front of
 * one emulated Microsoft cloud — the scale-out deployment. Each instance has its own DATA_DIR, so
 * anything they share goes through the blob store. Reusable by any end-to-end test that needs
 * "made on one instance, acted on at the other" (the approval variant passes its own env).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { BlobServiceClient } from '@azure/storage-blob';
import { startBot, type RunningBot } from '../../src/app';
import { readConfig } from '../../src/config/config';
import type { EmulatedCloud } from '../../emulator/cloud';
import type { Directory } from '../../emulator/directory';
import { openBlobStorage, type BlobStorage } from '../../src/storage/blob/openBlobStorage';
import { startAzurite, uniqueContainer, type Azurite } from './azurite';
import { freePort, startE2E, type E2E } from './e2e';
import { startLoadBalancer, type LoadBalancer } from './loadBalancer';
import { produced } from './secretScan';
import { systemClock } from '../../src/domain/clock';

/** Hands every blob the bots wrote (state and audit records) to the suite-wide secret scan, as their data directory. */
async function collectForSecretScan(connectionString: string, container: string): Promise<void> {
  const client = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container);
  for await (const blob of client.listBlobsFlat({ includeMetadata: true })) {
    const body = await client.getBlobClient(blob.name).downloadToBuffer();
    produced.add('data dir', `blob ${container}/${blob.name}`, `${JSON.stringify(blob.metadata ?? {})}\n${body.toString('utf8')}`);
  }
}

export interface ScaleOut {
  readonly e2e: E2E;
  readonly azurite: Azurite;
  /** The environment both instances share (STORAGE=blob, the connection string, container, and what the caller gave; not what prepare returned). */
  readonly env: Readonly<Record<string, string>>;
  /** Instance A (the E2E's own bot) and instance B. */
  readonly bots: readonly [RunningBot, RunningBot];
  readonly balancer: LoadBalancer;
  /** Where the emulated Teams sends activities: one instance (0 = A, 1 = B) directly, or round-robin through the balancer. */
  route(to: 0 | 1 | 'round-robin'): void;
  /** The same blob store the bots use, for reading the audit trail in tests (closed by stop). */
  store(): Promise<BlobStorage>;
  stop(): Promise<void>;
}

export async function startScaleOut(
  options: {
    env?: Record<string, string>;
    directory?: Directory;
    /** As startE2E's: set up teams and channels before the bots start; the environment it returns goes to both instances. */
    prepare?: (cloud: EmulatedCloud) => Record<string, string> | Promise<Record<string, string>>;
  } = {},
): Promise<ScaleOut> {
  const azurite = await startAzurite();
  const container = uniqueContainer('scale-out');
  const env = {
    STORAGE: 'blob',
    AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
    AZURE_STORAGE_CONTAINER: container,
    ...options.env,
  };
  let e2e: E2E | undefined;
  let second: RunningBot | undefined;
  let dataDirB: string | undefined;
  let balancer: LoadBalancer | undefined;
  let storage: BlobStorage | undefined;
  try {
    let prepared: Record<string, string> = {};
    e2e = await startE2E({
      env,
      directory: options.directory,
      prepare: async (cloud) => {
        prepared = (await options.prepare?.(cloud)) ?? {};
        return prepared;
      },
    });
    const started = e2e;
    dataDirB = mkdtempSync(path.join(tmpdir(), 'revoker-e2e-b-'));
    const config = readConfig(
      started.cloud.botEnvironment({ PORT: String(await freePort()), DATA_DIR: dataDirB, LOG_LEVEL: 'debug', ...env, ...prepared }),
    );
    if (!config.ok) throw new Error(`bad test config: ${config.problems.join('; ')}`);
    const sink = new Writable({
      write(chunk, _encoding, done) {
        started.logs.push(String(chunk));
        done();
      },
    });
    const b = await startBot(config.config, { logDestination: sink, host: '127.0.0.1' });
    second = b;
    const lb = await startLoadBalancer([() => started.bot.url, () => b.url]);
    balancer = lb;
    const context: ScaleOut = {
      e2e: started,
      azurite,
      env,
      get bots(): readonly [RunningBot, RunningBot] {
        return [started.bot, b];
      },
      balancer: lb,
      route(to) {
        lb.policy = to;
        started.cloud.teams.botEndpoint = lb.endpoint;
      },
      async store() {
        storage ??= await openBlobStorage({ connectionString: azurite.connectionString, container, clock: systemClock });
        return storage;
      },
      async stop() {
        await lb.stop();
        await b.close();
        await storage?.close();
        await collectForSecretScan(azurite.connectionString, container);
        await started.stop();
        await BlobServiceClient.fromConnectionString(azurite.connectionString)
          .getContainerClient(container)
          .deleteIfExists()
          .catch(() => undefined);
        await azurite.stop();
        if (dataDirB) rmSync(dataDirB, { recursive: true, force: true });
      },
    };
    context.route('round-robin');
    return context;
  } catch (error) {
    await balancer?.stop();
    await second?.close();
    await e2e?.stop();
    await azurite.stop();
    if (dataDirB) rmSync(dataDirB, { recursive: true, force: true });
    throw error;
  }
}
