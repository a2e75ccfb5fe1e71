/**
 * Containment beyond revocation, with one person's delegated access: disable the account,
 * reset the password to a random one nobody sees, disable the user's registered devices.
 * Each needs its own Graph permissions (User.EnableDisableAccount.All with User.Read.All;
 * User-PasswordProfile.ReadWrite.All; Directory.AccessAsUser.All for devices), asked for only
 * when a step runs.
 */
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
}
