/**
 * The storage part of the runtime contract, readable on its own (the audit export CLI needs the
 * store but not the bot's credentials). readConfig includes it.
 *
 * - STORAGE=sqlite (default): one SQLite file under DATA_DIR.
 * - STORAGE=blob: Azure Blob Storage, for several instances behind a load balancer;
 *   AZURE_STORAGE_CONNECTION_STRING (required) and AZURE_STORAGE_CONTAINER (default session-revoker).
 */

export const DEFAULT_BLOB_CONTAINER = 'session-revoker';

export type StorageSettings =
  | { readonly kind: 'sqlite'; readonly dataDir: string }
  | {
      readonly kind: 'blob';
      /** Holds the account key or a SAS: never log it. */
      readonly connectionString: string;
      readonly container: string;
    };

type Env = Readonly<Record<string, string | undefined>>;

function trimmed(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** Reads the storage settings; problems are appended as one line each (never quoting a secret). */
export function readStorageSettings(env: Env, problems: string[]): StorageSettings {
  const dataDir = trimmed(env, 'DATA_DIR') ?? './data';
  const kind = (trimmed(env, 'STORAGE') ?? 'sqlite').toLowerCase();
  if (kind === 'sqlite') return { kind: 'sqlite', dataDir };
  if (kind !== 'blob') {
    problems.push(`STORAGE must be sqlite or blob (got "${kind}").`);
    return { kind: 'sqlite', dataDir };
  }
  const connectionString = trimmed(env, 'AZURE_STORAGE_CONNECTION_STRING') ?? '';
  if (!connectionString) problems.push('AZURE_STORAGE_CONNECTION_STRING is not set: STORAGE=blob needs the storage account’s connection string.');
  else if (!/(^|;)\s*(BlobEndpoint|AccountName)\s*=/i.test(connectionString) && !/^UseDevelopmentStorage=true/i.test(connectionString)) {
    problems.push('AZURE_STORAGE_CONNECTION_STRING does not look like an Azure Storage connection string (no AccountName or BlobEndpoint).');
  }
  const container = trimmed(env, 'AZURE_STORAGE_CONTAINER') ?? DEFAULT_BLOB_CONTAINER;
  if (!/^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/.test(container)) {
    problems.push(`AZURE_STORAGE_CONTAINER must be 3–63 lower-case letters, digits and single hyphens (got "${container}").`);
  }
  return { kind: 'blob', connectionString, container };
}
