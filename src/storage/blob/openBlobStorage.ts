/** Wires the bot's durable state and audit trail onto two Azure Blob Storage containers. */
import { BlobServiceClient, type ContainerClient, type StoragePipelineOptions } from '@azure/storage-blob';
import { auditContainerFor, CONTAINER_NAME } from '../../config/storageConfig';
import { BlobAuditLog } from './blobAuditLog';
import { unavailable } from './blobErrors';
import { BlobStateStore, type BlobStateStoreOptions } from './blobStateStore';

export interface BlobStorageOptions extends BlobStateStoreOptions {
  /** An Azure Storage connection string (account key or SAS); never logged. */
  readonly connectionString: string;
  /** The state container's name (3–63 lower-case letters, digits and single hyphens); created if missing. */
  readonly container: string;
  /**
   * The audit trail's own container (same rule; created if missing), so an immutability policy
   * can be put on it without freezing state. Default: the state container's name + `-audit`.
   */
  readonly auditContainer?: string;
  /** Per-request retries. Default: 3 tries, 10 s each, short back-off — a failing store must answer soon so callers can refuse. */
  readonly retryOptions?: StoragePipelineOptions['retryOptions'];
}

export interface BlobStorage {
  readonly state: BlobStateStore;
  readonly audit: BlobAuditLog;
  /** The state container. */
  readonly container: ContainerClient;
  readonly auditContainer: ContainerClient;
  close(): Promise<void>;
}

export { CONTAINER_NAME };

/**
 * Connects to the containers (creating them when missing), moves audit records an earlier version
 * kept in the state container into the audit container (BlobAuditLog.adoptLegacyRecords), and
 * returns the state store and audit log. Several processes may do this at once with the same settings.
 *
 * @throws StorageUnavailableError when the account cannot be reached or refuses the key.
 * @throws TypeError for a malformed connection string or container name (configuration errors).
 */
export async function openBlobStorage(options: BlobStorageOptions): Promise<BlobStorage> {
  const auditName = options.auditContainer ?? auditContainerFor(options.container);
  for (const name of [options.container, auditName]) {
    if (!CONTAINER_NAME.test(name))
      throw new TypeError('The blob container names must be 3–63 lower-case letters, digits and single hyphens.');
  }
  if (auditName === options.container) throw new TypeError('The audit trail needs its own blob container, not the state container.');
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
  const auditContainer = service.getContainerClient(auditName);
  try {
    await container.createIfNotExists();
    await auditContainer.createIfNotExists();
  } catch (error) {
    throw unavailable(error, 'open');
  }
  const state = new BlobStateStore(container, options);
  const audit = new BlobAuditLog(auditContainer, container);
  await audit.adoptLegacyRecords(container);
  return {
    state,
    audit,
    container,
    auditContainer,
    async close() {
      await audit.close();
      await state.close();
    },
  };
}
