/**
 * Reads signInSessionsValidFromDateTime back after a revoke, as responders check it by hand:
 * "verified" when it moved to the revoke time (one second of clock skew allowed — Graph stores
 * whole seconds). A failed read never turns a success into a failure; it is only not verified.
 *
 * The read-back is not what the person waits for: a confirmed revoke is answered once Graph
 * accepted it, and the read-back runs after the answer (`recordVerification` below), updating the
 * stored request so the card can say "verified" — or plainly that it could not check.
 */
import { recordVerification as withVerification, type RevocationRequest } from '../../domain/revocationRequest';
import { NAMESPACE } from '../ports/namespaces';
import type { DirectoryFailure, DirectoryGateway, UserKey } from '../ports/directory';
import { err, ok, type Result } from '../../domain/result';
import type { StateStore } from '../ports/stateStore';

export interface Verification {
  readonly validFromAfter?: string;
  readonly verified: boolean;
}

export async function verifyRevocation(
  directory: DirectoryGateway,
  key: UserKey,
  revokeStartedAt: Date,
  options: { deadline?: number } = {},
): Promise<Verification> {
  const read = await readRevocation(directory, key, revokeStartedAt, options);
  return read.ok ? read.value : { verified: false };
}

/** The same read-back, telling a failed read apart from "not revoked" (for callers that must not act on an unknown). */
export async function readRevocation(
  directory: DirectoryGateway,
  key: UserKey,
  revokeStartedAt: Date,
  options: { deadline?: number } = {},
): Promise<Result<Verification, DirectoryFailure>> {
  const read = await directory.getUser(key, options);
  if (!read.ok) return err(read.error);
  if (!read.value.signInSessionsValidFrom) return ok({ verified: false });
  const validFrom = Date.parse(read.value.signInSessionsValidFrom);
  return ok({
    validFromAfter: read.value.signInSessionsValidFrom,
    verified: Number.isFinite(validFrom) && validFrom >= revokeStartedAt.getTime() - 1000,
  });
}

/** A succeeded request as stored (its etag, when this instance wrote it), and how to read its revoke back. */
export interface PendingVerification {
  readonly request: RevocationRequest;
  readonly etag: string | undefined;
  readonly directory: DirectoryGateway;
  readonly key: UserKey;
  readonly revokeStartedAt: Date;
  readonly expiresAt: Date;
  readonly deadline?: number;
}

/**
 * Reads the revoke back and records the result on the stored request, compare-and-set like
 * every request write: on a conflict the latest version is read and the verification applied to
 * it (never over another decision, never twice). Resolves to the request as stored afterwards.
 */
export async function verifyAndRecord(store: StateStore, pending: PendingVerification): Promise<RevocationRequest> {
  const verification = await verifyRevocation(pending.directory, pending.key, pending.revokeStartedAt, { deadline: pending.deadline });
  let current = pending.request;
  let etag = pending.etag;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    if (etag === undefined) {
      const latest = await store.get<RevocationRequest>(NAMESPACE.requests, pending.request.id);
      if (!latest) return withVerification(current, verification);
      current = latest.value;
      etag = latest.etag;
    }
    const verified = withVerification(current, verification);
    if (verified === current) return current;
    const saved = await store.replace(NAMESPACE.requests, current.id, verified, etag, { expiresAt: pending.expiresAt });
    if (saved.ok) return verified;
    if (saved.reason === 'missing') return verified;
    etag = undefined;
  }
  return withVerification(current, verification);
}
