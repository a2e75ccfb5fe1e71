/**
 * Containment over Graph with the person's delegated token, on clients of its own: one whose
 * scopes are the account permissions (disable, password reset), one for the devices step,
 * whose PATCH /devices/{id} has Directory.AccessAsUser.All as its only delegated permission
 * (https://learn.microsoft.com/graph/api/device-update), one for Identity Protection
 * (POST /identityProtection/riskyUsers/confirmCompromised,
 * https://learn.microsoft.com/graph/api/riskyuser-confirmcompromised) and one for removing
 * authentication methods (DELETE /users/{id}/authentication/{type}Methods/{id},
 * https://learn.microsoft.com/graph/api/phoneauthenticationmethod-delete and its siblings). Each is
 * its own on-behalf-of exchange, so a tenant that has not consented to one set loses only those
 * steps (consent_required), never revocation and never the other steps.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { TokenCredential } from '@azure/identity';
import type { Client } from '@microsoft/microsoft-graph-client';
import type { ContainmentGateway, DevicesDisabled } from '../app/ports/containment';
import type { AuthMethod } from '../domain/authMethods';
import { deletePath } from './graphAuthMethods';
import type { CallOptions, DirectoryFailure, DirectoryResult } from '../app/ports/directory';
import { userPath } from '../domain/odata';
import { createGraphClient, graphCall } from './graphCall';
import { NOT_AN_OBJECT_ID, objectIdOf } from './graphIds';
import type { Telemetry } from '../observability/telemetry';

export interface GraphContainmentOptions {
  readonly graphEndpoint: string;
  /** Fully qualified scopes for disabling the account and resetting the password. */
  readonly scopes: readonly string[];
  /** Fully qualified scopes for the devices step. */
  readonly deviceScopes: readonly string[];
  /** For confirming a user compromised (RISK_SCOPES). */
  readonly riskScopes: readonly string[];
  /** For removing authentication methods (AUTH_METHOD_SCOPES). */
  readonly authMethodScopes: readonly string[];
  readonly requestTimeoutInMs?: number;
  /** Each Graph request as a span and a measurement (src/graph/graphTelemetry.ts); none when absent. */
  readonly telemetry?: Telemetry;
}

/**
 * A random password nobody sees: 32 characters from four classes (Entra's complexity rule needs
 * three of four), from the OS's CSPRNG.
 */
export function randomPassword(): string {
  const classes = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '!@#$%^&*-_=+?'];
  const all = classes.join('');
  const chars = classes.map((c) => c.charAt(randomInt(c.length)));
  const bytes = randomBytes(28);
  for (const b of bytes) chars.push(all.charAt(b % all.length));
  for (let i = chars.length - 1; i > 0; i -= 1) {
    const j = randomInt(i + 1);
    const picked = chars[j] ?? '';
    chars[j] = chars[i] ?? '';
    chars[i] = picked;
  }
  return chars.join('');
}

export class GraphContainment implements ContainmentGateway {
  private readonly client: Client;
  private readonly deviceClient: Client;
  private readonly riskClient: Client;
  private readonly methodsClient: Client;
  private readonly timeoutInMs: number;

  constructor(credential: TokenCredential, options: GraphContainmentOptions) {
    this.client = createGraphClient(credential, options.graphEndpoint, options.scopes, options.telemetry);
    this.deviceClient = createGraphClient(credential, options.graphEndpoint, options.deviceScopes, options.telemetry);
    this.riskClient = createGraphClient(credential, options.graphEndpoint, options.riskScopes, options.telemetry);
    this.methodsClient = createGraphClient(credential, options.graphEndpoint, options.authMethodScopes, options.telemetry);
    this.timeoutInMs = options.requestTimeoutInMs ?? 10_000;
  }

  disableAccount(userId: string, options?: CallOptions): Promise<DirectoryResult<void>> {
    return graphCall(this.client, this.timeoutInMs, options, async (req) => {
      await req(userPath({ kind: 'objectId', id: userId })).patch({ accountEnabled: false });
      return { ok: true, value: undefined };
    });
  }

  resetPassword(userId: string, options?: CallOptions): Promise<DirectoryResult<void>> {
    return graphCall(this.client, this.timeoutInMs, options, async (req) => {
      await req(userPath({ kind: 'objectId', id: userId })).patch({
        passwordProfile: { password: randomPassword(), forceChangePasswordNextSignIn: true },
      });
      return { ok: true, value: undefined };
    });
  }

  disableDevices(userId: string, options?: CallOptions): Promise<DirectoryResult<DevicesDisabled>> {
    return graphCall(this.deviceClient, this.timeoutInMs, options, async (req) => {
      const raw = (await req(`${userPath({ kind: 'objectId', id: userId })}/registeredDevices`)
        .select('id,accountEnabled')
        .top(999)
        .get()) as { value?: unknown };
      const devices: unknown[] = Array.isArray(raw.value) ? raw.value : [];
      let disabled = 0;
      let firstFailure: DirectoryFailure | undefined;
      for (const device of devices) {
        // The id becomes the PATCH path: a device whose id is not an object id is counted as not disabled, never patched.
        const id = objectIdOf(device);
        if (!id) {
          firstFailure ??= NOT_AN_OBJECT_ID;
          continue;
        }
        if ((device as { accountEnabled?: unknown }).accountEnabled === false) {
          disabled += 1;
          continue;
        }
        const result = await graphCall(this.deviceClient, this.timeoutInMs, options, async (inner) => {
          await inner(`/devices/${id}`).patch({ accountEnabled: false });
          return { ok: true, value: undefined };
        });
        if (result.ok) disabled += 1;
        else firstFailure ??= result.error;
      }
      return { ok: true, value: { total: devices.length, disabled, firstFailure } };
    });
  }

  confirmCompromised(userId: string, options?: CallOptions): Promise<DirectoryResult<void>> {
    const id = objectIdOf({ id: userId });
    if (!id) return Promise.resolve({ ok: false, error: NOT_AN_OBJECT_ID });
    return graphCall(this.riskClient, this.timeoutInMs, options, async (req) => {
      await req('/identityProtection/riskyUsers/confirmCompromised').post({ userIds: [id] });
      return { ok: true, value: undefined };
    });
  }

  /** https://learn.microsoft.com/graph/api/riskyuser-dismiss: the same scopes as confirm compromised (IdentityRiskyUser.ReadWrite.All). */
  dismissRisk(userId: string, options?: CallOptions): Promise<DirectoryResult<void>> {
    const id = objectIdOf({ id: userId });
    if (!id) return Promise.resolve({ ok: false, error: NOT_AN_OBJECT_ID });
    return graphCall(this.riskClient, this.timeoutInMs, options, async (req) => {
      await req('/identityProtection/riskyUsers/dismiss').post({ userIds: [id] });
      return { ok: true, value: undefined };
    });
  }

  removeAuthenticationMethod(userId: string, method: AuthMethod, options?: CallOptions): Promise<DirectoryResult<void>> {
    const id = objectIdOf({ id: userId });
    const path = id ? deletePath(userPath({ kind: 'objectId', id }), method) : undefined;
    if (!path) return Promise.resolve({ ok: false, error: { code: 'bad_request' } });
    return graphCall(this.methodsClient, this.timeoutInMs, options, async (req) => {
      await req(path).delete();
      return { ok: true, value: undefined };
    });
  }
}
