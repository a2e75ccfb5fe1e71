import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuditTrail } from '../../src/app/auditTrail';
import type { ContainmentGateway, DevicesDisabled } from '../../src/app/ports/containment';
import type { DirectoryFailure, DirectoryResult } from '../../src/app/ports/directory';
import type { Acting } from '../../src/app/acting';
import { RevocationService } from '../../src/app/revocation/revocationService';
import type { ContainmentChoice, RevocationRequest } from '../../src/domain/revocationRequest';
import { NAMESPACE } from '../../src/app/ports/namespaces';
import type { AuthMethod } from '../../src/domain/authMethods';
import type { PersonRef } from '../../src/domain/people';
import { openSqliteStorage, type SqliteStorage } from '../../src/storage';
import { ManualClock } from '../helpers/clock';
import { FakeDirectory } from '../helpers/fakeDirectory';

const TENANT = '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10';
const UMA: PersonRef = {
  tenantId: TENANT,
  aadObjectId: '4c5d6e7f-8091-4bac-9d2e-3f4a5b6c7d99',
  name: 'Uma Useradmin',
  userPrincipalName: 'uma@contoso.onmicrosoft.com',
};
const ADELE_ID = '6e7b768e-07e2-4810-8459-485f84f8f204';
const EVERY_STEP: ContainmentChoice = { disableAccount: true, resetPassword: true, disableDevices: true };

/** Containment that writes into the directory's call log, so one list shows the order of every Graph write. */
class FakeContainment implements ContainmentGateway {
  readonly failures = new Map<string, DirectoryFailure>();

  constructor(private readonly log: FakeDirectory['calls']) {}

  async disableAccount(): Promise<DirectoryResult<void>> {
    return this.answer('disableAccount');
  }

  async resetPassword(): Promise<DirectoryResult<void>> {
    return this.answer('resetPassword');
  }

  async disableDevices(): Promise<DirectoryResult<DevicesDisabled>> {
    this.log.push({ method: 'disableDevices' });
    const failure = this.failures.get('disableDevices');
    return failure ? { ok: false, error: failure } : { ok: true, value: { total: 1, disabled: 1 } };
  }

  async confirmCompromised(): Promise<DirectoryResult<void>> {
    return this.answer('confirmCompromised');
  }

  async dismissRisk(): Promise<DirectoryResult<void>> {
    return this.answer('dismissRisk');
  }

  async removeAuthenticationMethod(_userId: string, method: AuthMethod): Promise<DirectoryResult<void>> {
    return this.answer(`removeAuthenticationMethod:${method.id}`);
  }

  private answer(method: string): DirectoryResult<void> {
    this.log.push({ method });
    const failure = this.failures.get(method);
    return failure ? { ok: false, error: failure } : { ok: true, value: undefined, graphRequestId: `req-${method}` };
  }
}

describe('the order of containment around the revoke', function () {
  let dir: string;
  let storage: SqliteStorage;
  let audit: AuditTrail;
  let clock: ManualClock;
  let service: RevocationService;
  let directory: FakeDirectory;
  let containment: FakeContainment;

  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), 'revoker-containment-'));
    clock = new ManualClock('2026-11-22T10:00:00Z');
    storage = openSqliteStorage({ dataDir: dir, clock });
    audit = new AuditTrail({ log: storage.audit, retryDelaysInMs: [1], clock });
    service = new RevocationService({ store: storage.state, audit, requestTtlInMs: 15 * 60_000, clock });
    directory = new FakeDirectory(UMA.aadObjectId);
    directory.add({ id: ADELE_ID, displayName: 'Adele Vance', userPrincipalName: 'adele@contoso.onmicrosoft.com' });
    containment = new FakeContainment(directory.calls);
  });

  afterEach(async function () {
    await audit.close();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function acting(): Acting {
    return { person: UMA, directory, containment };
  }

  async function confirmWith(choice: ContainmentChoice): Promise<Awaited<ReturnType<RevocationService['confirm']>>> {
    const found = await service.lookup(acting(), { kind: 'objectId', id: ADELE_ID });
    assert.equal(found.kind, 'found');
    const before = directory.calls.length;
    const outcome = await service.confirm(acting(), found.kind === 'found' ? found.request.id : '', { containment: choice });
    directory.calls.splice(0, before);
    return outcome;
  }

  it('sign-in with a known password between the revoke and the disable: the account is disabled and the password reset before the revoke, devices after it', async function () {
    const outcome = await confirmWith(EVERY_STEP);
    assert.deepEqual(
      directory.calls.map((c) => c.method),
      ['disableAccount', 'resetPassword', 'revokeSessions', 'disableDevices'],
    );
    assert.equal(outcome.kind === 'completed' && outcome.request.state, 'succeeded');
    const steps =
      outcome.kind === 'completed' && outcome.request.outcome?.kind === 'revoked' ? outcome.request.outcome.containment : undefined;
    assert.deepEqual(
      steps?.map((s) => [s.step, s.ok]),
      [
        ['disableAccount', true],
        ['resetPassword', true],
        ['disableDevices', true],
      ],
    );
  });

  it('the whole bundle: the account is disabled and the password reset before the revoke; devices, confirm compromised and each method removed after it, each with its own audit record', async function () {
    const found = await service.lookup(acting(), { kind: 'objectId', id: ADELE_ID });
    assert.equal(found.kind, 'found');
    const request = found.kind === 'found' ? found.request : undefined;
    // The methods as the card listed them (Review sign-in methods keeps them on the request).
    const methods: AuthMethod[] = [
      { id: '28c10230-6103-485e-b985-444c60001490', kind: 'password' },
      { id: 'b6332ec1-7057-4abe-9331-3d72feddfe41', kind: 'phone', detail: '+234 8035550199 (alternate mobile)' },
      { id: 'authenticator-1', kind: 'microsoftAuthenticator', detail: 'Pixel 8' },
    ];
    const stored = await storage.state.get<RevocationRequest>(NAMESPACE.requests, request!.id);
    await storage.state.replace(
      NAMESPACE.requests,
      request!.id,
      { ...stored!.value, methods: { key: 'k1', readAt: clock.now().toISOString(), items: methods } },
      stored!.etag,
      {
        expiresAt: new Date(clock.now().getTime() + 3_600_000),
      },
    );
    const before = directory.calls.length;
    const outcome = await service.confirm(acting(), request!.id, {
      containment: { ...EVERY_STEP, confirmCompromised: true, removeMethods: [0, 1, 2], methodsKey: 'k1' },
    });
    directory.calls.splice(0, before);
    assert.deepEqual(
      directory.calls.map((c) => c.method),
      [
        'disableAccount',
        'resetPassword',
        'revokeSessions',
        'disableDevices',
        'confirmCompromised',
        'removeAuthenticationMethod:b6332ec1-7057-4abe-9331-3d72feddfe41',
        'removeAuthenticationMethod:authenticator-1',
      ],
      'the password is never removed, only reset',
    );
    const audited = (await storage.audit.list({ requestId: request!.id })).reverse().filter((r) => r.action.startsWith('containment.'));
    assert.deepEqual(
      audited.map((r) => r.detail),
      [
        'disableAccount',
        'resetPassword',
        'disableDevices: 1 of 1 devices disabled',
        'confirmCompromised',
        'removeMethods: Phone +234 8035550199 (alternate mobile)',
        'removeMethods: Microsoft Authenticator (Pixel 8)',
      ],
    );
    assert.equal(outcome.kind === 'completed' && outcome.request.state, 'succeeded');
  });

  it('when only device disabling is ticked, then nothing runs before the revoke', async function () {
    await confirmWith({ disableAccount: false, resetPassword: false, disableDevices: true });
    assert.deepEqual(
      directory.calls.map((c) => c.method),
      ['revokeSessions', 'disableDevices'],
    );
  });

  it('when Entra refuses to disable the account (403), then the revoke still runs and the step reports its own refusal', async function () {
    containment.failures.set('disableAccount', { code: 'forbidden', status: 403, graphRequestId: 'req-403' });
    const outcome = await confirmWith(EVERY_STEP);
    assert.deepEqual(
      directory.calls.map((c) => c.method),
      ['disableAccount', 'resetPassword', 'revokeSessions', 'disableDevices'],
    );
    assert.equal(outcome.kind === 'completed' && outcome.request.state, 'succeeded');
    const steps =
      outcome.kind === 'completed' && outcome.request.outcome?.kind === 'revoked' ? outcome.request.outcome.containment : undefined;
    assert.deepEqual(
      steps?.map((s) => [s.step, s.ok, s.code]),
      [
        ['disableAccount', false, 'forbidden'],
        ['resetPassword', true, undefined],
        ['disableDevices', true, undefined],
      ],
    );
    const audited = (await storage.audit.list({ requestId: outcome.kind === 'completed' ? outcome.request.id : '' })).reverse();
    assert.deepEqual(
      audited.map((r) => `${r.action}${r.code ? `:${r.code}` : ''}`),
      [
        'request.created',
        'revocation.started',
        'containment.failed:forbidden',
        'containment.succeeded',
        'containment.succeeded',
        'revocation.succeeded',
      ],
    );
  });

  it('when the revoke is refused after the account was disabled, then the failed request keeps what the steps did and devices are left alone', async function () {
    directory.revokeFailures.push({ code: 'forbidden', status: 403 });
    const outcome = await confirmWith(EVERY_STEP);
    assert.deepEqual(
      directory.calls.map((c) => c.method),
      ['disableAccount', 'resetPassword', 'revokeSessions'],
    );
    const request = outcome.kind === 'completed' ? outcome.request : undefined;
    assert.equal(request?.state, 'failed');
    assert.deepEqual(request?.outcome?.kind === 'refused' ? request.outcome.containment?.map((s) => [s.step, s.ok]) : undefined, [
      ['disableAccount', true],
      ['resetPassword', true],
    ]);
  });
});
