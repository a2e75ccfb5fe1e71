/**
 * Reads signInSessionsValidFromDateTime back after a revoke, as responders check it by hand:
 * "verified" when it moved to the revoke time (one second of clock skew allowed — Graph stores
 * whole seconds). A failed read never turns a success into a failure; it is only not verified.
 */
import type { DirectoryGateway, UserKey } from '../ports/directory';

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
  const read = await directory.getUser(key, options);
  if (!read.ok || !read.value.signInSessionsValidFrom) return { verified: false };
  const validFrom = Date.parse(read.value.signInSessionsValidFrom);
  return {
    validFromAfter: read.value.signInSessionsValidFrom,
    verified: Number.isFinite(validFrom) && validFrom >= revokeStartedAt.getTime() - 1000,
  };
}
