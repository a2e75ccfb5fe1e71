/**
 * The storage part of the runtime contract, readable on its own (the audit export CLI needs the
 * store but not the bot's credentials). readConfig includes it.
 *
 * - STORAGE=sqlite (default): one SQLite file under DATA_DIR.
 * - STORAGE=blob: Azure Blob Storage, for several instances behind a load balancer;
 *   AZURE_STORAGE_CONNECTION_STRING (required), AZURE_STORAGE_CONTAINER (state; default
 *   session-revoker) and AZURE_STORAGE_AUDIT_CONTAINER (the audit trail's own container, so a
 *   WORM policy can be put on it; default: the state container's name + "-audit").
 *
 * DATA_DIR is read for both: with blob it holds only audit records set aside (see AuditTrail).
 */

export const DEFAULT_BLOB_CONTAINER = 'session-revoker';

/** Azure's container naming rule. */
export const CONTAINER_NAME = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;

/** The audit container's default name for a state container: `<state>-audit`. */
export function auditContainerFor(stateContainer: string): string {
  return `${stateContainer}-audit`;
}

export type StorageSettings =
  | { readonly kind: 'sqlite'; readonly dataDir: string }
  | {
      readonly kind: 'blob';
      /** Holds the account key or a SAS: never log it. */
      readonly connectionString: string;
      readonly container: string;
      readonly auditContainer: string;
      /** Local directory for audit records set aside while the store could not take them. */
      readonly dataDir: string;
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
  if (!connectionString)
    problems.push('AZURE_STORAGE_CONNECTION_STRING is not set: STORAGE=blob needs the storage account’s connection string.');
  else if (!/(^|;)\s*(BlobEndpoint|AccountName)\s*=/i.test(connectionString) && !/^UseDevelopmentStorage=true/i.test(connectionString)) {
    problems.push(
      'AZURE_STORAGE_CONNECTION_STRING does not look like an Azure Storage connection string (no AccountName or BlobEndpoint).',
    );
  }
  const container = trimmed(env, 'AZURE_STORAGE_CONTAINER') ?? DEFAULT_BLOB_CONTAINER;
  if (!CONTAINER_NAME.test(container)) {
    problems.push(`AZURE_STORAGE_CONTAINER must be 3–63 lower-case letters, digits and single hyphens (got "${container}").`);
  }
  const explicitAudit = trimmed(env, 'AZURE_STORAGE_AUDIT_CONTAINER');
  const auditContainer = explicitAudit ?? auditContainerFor(container);
  if (!CONTAINER_NAME.test(auditContainer)) {
    problems.push(
      explicitAudit
        ? `AZURE_STORAGE_AUDIT_CONTAINER must be 3–63 lower-case letters, digits and single hyphens (got "${auditContainer}").`
        : `AZURE_STORAGE_AUDIT_CONTAINER is not set and "${auditContainer}" (AZURE_STORAGE_CONTAINER + "-audit") is not a valid container name: set it.`,
    );
  } else if (auditContainer === container) {
    problems.push('AZURE_STORAGE_AUDIT_CONTAINER must differ from AZURE_STORAGE_CONTAINER: the audit trail needs its own container.');
  }
  return { kind: 'blob', connectionString, container, auditContainer, dataDir };
}
