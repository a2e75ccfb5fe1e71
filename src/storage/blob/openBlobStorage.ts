/** Wires the bot's durable state and audit trail onto one Azure Blob Storage container. */
import { BlobServiceClient, type ContainerClient, type StoragePipelineOptions } from '@azure/storage-blob';
import { BlobAuditLog } from './blobAuditLog';
import { unavailable } from './blobErrors';
import { BlobStateStore, type BlobStateStoreOptions } from './blobStateStore';

export interface BlobStorageOptions extends BlobStateStoreOptions {
  /** An Azure Storage connection string (account key or SAS); never logged. */
  readonly connectionString: string;
  /** Container name (3–63 lower-case letters, digits and single hyphens); created if missing. */
  readonly container: string;
  /** Per-request retries. Default: 3 tries, 10 s each, short back-off — a failing store must answer soon so callers can refuse. */
  readonly retryOptions?: StoragePipelineOptions['retryOptions'];
}

export interface BlobStorage {
  readonly state: BlobStateStore;
  readonly audit: BlobAuditLog;
  readonly container: ContainerClient;
  close(): Promise<void>;
}

/** Azure's container naming rule. */
export const CONTAINER_NAME = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * Connects to the container (creating it when missing) and returns the state store and audit log
 * on it. Several processes may do this at once with the same settings.
 *
 * @throws StorageUnavailableError when the account cannot be reached or refuses the key.
 * @throws TypeError for a malformed connection string or container name (configuration errors).
 */
export async function openBlobStorage(options: BlobStorageOptions): Promise<BlobStorage> {
  if (!CONTAINER_NAME.test(options.container)) throw new TypeError('The blob container name must be 3–63 lower-case letters, digits and single hyphens.');
  let service: BlobServiceClient;
  try {
    service = BlobServiceClient.fromConnectionString(options.connectionString, {
      retryOptions: options.retryOptions ?? { maxTries: 3, tryTimeoutInMs: 10_000, retryDelayInMs: 200, maxRetryDelayInMs: 2000 },
    });
  } catch {
    // The SDK's message may quote the string; ours never does.
    throw new TypeError('AZURE_STORAGE_CONNECTION_STRING is not a valid Azure Storage connection string.');
  }
  const container = service.getContainerClient(options.container);
  try {
    await container.createIfNotExists();
  } catch (error) {
    throw unavailable(error, 'open');
  }
  const state = new BlobStateStore(container, options);
  const audit = new BlobAuditLog(container);
  return {
    state,
    audit,
    container,
    async close() {
      await audit.close();
      await state.close();
    },
  };
}
