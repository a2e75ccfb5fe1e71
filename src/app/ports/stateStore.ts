/**
 * Durable key/value state for the use cases (pending revocation requests, approvals, dedupe
 * markers). Every write is a create-if-absent or a compare-and-set on an opaque etag, so two
 * bot instances sharing one store can never both act on the same item.
 *
 * Values are JSON: they come back as `JSON.parse(JSON.stringify(value))` (a Date comes back as
 * its ISO string; `undefined` properties vanish).
 */

/** An item as stored, with the etag to pass to `replace`/`delete` for compare-and-set. */
export interface StoredItem<T> {
  readonly value: T;
  readonly etag: string;
}

/**
 * Thrown when the store cannot be reached, read or written (disk full, I/O error, locked past
 * the busy timeout, file deleted or replaced, corrupt, closed). Callers must refuse to act.
 * The message never contains stored values; the underlying error is kept as `cause`.
 */
export class StorageUnavailableError extends Error {
  readonly code = 'storage_unavailable';

  constructor(message = 'Storage is unavailable.', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageUnavailableError';
  }
}

/** Whether `error` is the one operational storage failure: the store cannot be used now (refuse, or retry later). */
export function isStorageUnavailable(error: unknown): error is StorageUnavailableError {
  return error instanceof StorageUnavailableError;
}

/** Which kind of secret-looking content made a store refuse a value. */
export type SecretLikeContentKind = 'jwt' | 'bearer_credential' | 'private_key' | 'client_secret' | 'secret_field';

/**
 * Thrown when a value (or audit entry, key or namespace) contains something that looks like a
 * token or secret. This is a programming error, never an operational one: the caller tried to
 * persist a credential. The message names the kind, never the content.
 */
export class SecretLikeValueError extends Error {
  readonly code = 'secret_like_value';

  constructor(readonly kind: SecretLikeContentKind) {
    super(`Refused to store a value that looks like a secret (${kind}).`);
    this.name = 'SecretLikeValueError';
  }
}

export type CreateResult<T> =
  { readonly ok: true; readonly etag: string } | { readonly ok: false; readonly reason: 'exists'; readonly current: StoredItem<T> };

export type ReplaceResult = { readonly ok: true; readonly etag: string } | { readonly ok: false; readonly reason: 'conflict' | 'missing' };

/** Options for a write. An item whose `expiresAt` is at or before now behaves as absent. */
export interface WriteOptions {
  readonly expiresAt?: Date;
}

export interface ListOptions {
  /** At most this many items (a non-negative integer); all when absent. */
  readonly limit?: number;
  /** Only keys that start with this exact (case-sensitive) prefix. */
  readonly keyPrefix?: string;
}

/**
 * A namespaced key/value store with optimistic concurrency.
 *
 * Errors: every method rejects with {@link StorageUnavailableError} when the store is unusable,
 * and writes reject with {@link SecretLikeValueError} for values that look like credentials.
 * Everything else is a result value.
 */
export interface StateStore {
  /** The live item, or undefined when absent or expired. */
  get<T>(namespace: string, key: string): Promise<StoredItem<T> | undefined>;
  /** Creates the item if absent (an expired item counts as absent). */
  create<T>(namespace: string, key: string, value: T, options?: WriteOptions): Promise<CreateResult<T>>;
  /** Compare-and-set: replaces only if the stored etag still matches. Sets (or clears) the expiry. */
  replace<T>(namespace: string, key: string, value: T, etag: string, options?: WriteOptions): Promise<ReplaceResult>;
  /** Deletes the live item (only if its etag matches, when one is given); true when it deleted one. */
  delete(namespace: string, key: string, etag?: string): Promise<boolean>;
  /** Live items of a namespace, most recently written (created or replaced) first; for scans. */
  list<T>(namespace: string, options?: ListOptions): Promise<(StoredItem<T> & { key: string })[]>;
  /** Readiness: resolves when the store can be read and written. */
  check(): Promise<void>;
  close(): Promise<void>;
}
