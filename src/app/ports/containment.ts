/**
 * Containment beyond revocation, with one person's delegated access: disable the account,
 * reset the password to a random one nobody sees, disable the user's registered devices,
 * confirm the user compromised in Identity Protection, remove authentication methods.
 * Each needs its own Graph permissions (User.EnableDisableAccount.All with User.Read.All;
 * User-PasswordProfile.ReadWrite.All; Directory.AccessAsUser.All for devices;
 * IdentityRiskyUser.ReadWrite.All; UserAuthenticationMethod.ReadWrite.All), asked for only
 * when a step runs.
 */
import type { AuthMethod } from '../../domain/authMethods';
import type { CallOptions, DirectoryFailure, DirectoryResult } from './directory';

export interface DevicesDisabled {
  readonly total: number;
  readonly disabled: number;
  /** The first refusal, when some device could not be disabled. */
  readonly firstFailure?: DirectoryFailure;
}

export interface ContainmentGateway {
  disableAccount(userId: string, options?: CallOptions): Promise<DirectoryResult<void>>;
  /** Sets a random password that is never returned, logged or stored; the user must choose a new one at next sign-in. */
  resetPassword(userId: string, options?: CallOptions): Promise<DirectoryResult<void>>;
  disableDevices(userId: string, options?: CallOptions): Promise<DirectoryResult<DevicesDisabled>>;
  /** POST /identityProtection/riskyUsers/confirmCompromised for this user (not_licensed without Entra ID P2). */
  confirmCompromised(userId: string, options?: CallOptions): Promise<DirectoryResult<void>>;
  /** POST /identityProtection/riskyUsers/dismiss for this user (not_licensed without Entra ID P2). */
  dismissRisk(userId: string, options?: CallOptions): Promise<DirectoryResult<void>>;
  /** DELETE /users/{id}/authentication/{type}Methods/{methodId}. */
  removeAuthenticationMethod(userId: string, method: AuthMethod, options?: CallOptions): Promise<DirectoryResult<void>>;
}
