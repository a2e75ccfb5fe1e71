/**
 * Maps Azure Blob Storage failures onto the ports' results and their one operational error.
 * Conditional-request refusals are answers (the caller turns them into `exists`, `conflict` or
 * `missing`); anything else — no network, time-outs, 5xx, a refused key, a missing container —
 * means the store cannot be used now and becomes StorageUnavailableError.
 */
import { RestError } from '@azure/storage-blob';
import { isStorageUnavailable, StorageUnavailableError } from '../../app/ports/stateStore';

/** What a failed blob request tells the caller. */
export type BlobRefusal = 'not_found' | 'already_exists' | 'condition_not_met';

/** The HTTP status of a failed request, when it had one. */
export function statusOf(error: unknown): number | undefined {
  if (error instanceof RestError) return error.statusCode;
  if (typeof error === 'object' && error !== null && typeof (error as { statusCode?: unknown }).statusCode === 'number')
    return (error as { statusCode: number }).statusCode;
  return undefined;
}

function codeOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The refusal a conditional request met, or undefined when the error is something else.
 * A missing container is not a refusal: the store is unusable (someone deleted it).
 */
export function refusalOf(error: unknown): BlobRefusal | undefined {
  const status = statusOf(error);
  const code = codeOf(error);
  if (status === 404 && code !== 'ContainerNotFound') return 'not_found';
  if (status === 409 && (code === 'BlobAlreadyExists' || code === undefined)) return 'already_exists';
  if (status === 412) return 'condition_not_met';
  return undefined;
}

/** StorageUnavailableError for `operation`, naming only the operation and the status or error code. */
export function unavailable(error: unknown, operation: string): StorageUnavailableError {
  if (isStorageUnavailable(error)) return error;
  const status = statusOf(error);
  const code = codeOf(error);
  const why = [status !== undefined ? `HTTP ${status}` : undefined, code].filter(Boolean).join(' ') || 'no answer';
  return new StorageUnavailableError(`Storage unavailable during ${operation} (${why}).`, { cause: error });
}

/**
 * Runs one blob request: a refusal comes back as `{ refused }`; everything else is
 * StorageUnavailableError. (Validate arguments before calling: nothing thrown inside passes through.)
 */
export async function attempt<T>(
  operation: string,
  request: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; refused: BlobRefusal }> {
  try {
    return { ok: true, value: await request() };
  } catch (error) {
    const refused = refusalOf(error);
    if (refused) return { ok: false, refused };
    throw unavailable(error, operation);
  }
}
