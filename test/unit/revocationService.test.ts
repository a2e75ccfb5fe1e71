import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sinon from 'sinon';
import { AuditTrail } from '../../src/app/auditTrail';
import type { AuditLog } from '../../src/app/ports/auditLog';
import type { Acting } from '../../src/app/acting';
import { RevocationService } from '../../src/app/revocation/revocationService';
import type { PersonRef } from '../../src/domain/people';
import { openSqliteStorage, type SqliteStorage } from '../../src/storage';
import { FakeDirectory } from '../helpers/fakeDirectory';
import { ManualClock } from '../helpers/clock';

const TENANT = '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10';
const UMA: PersonRef = {
  tenantId: TENANT,
  aadObjectId: '4c5d6e7f-8091-4bac-9d2e-3f4a5b6c7d99',
  name: 'Uma Useradmin',
  userPrincipalName: 'uma@contoso.onmicrosoft.com',
};
const HELEN: PersonRef = { tenantId: TENANT, aadObjectId: '3b4c5d6e-7f80-4a9b-8c1d-2e3f4a5b6c88', name: 'Helen Helpdesk' };
const ADELE_ID = '6e7b768e-07e2-4810-8459-485f84f8f204';
const GLOBAL_ADMIN = { templateId: '62e90394-69f5-4237-9190-012177145e10', displayName: 'Global Administrator' };

describe('revocation use cases', function () {
  let dir: string;
  let storage: SqliteStorage;
  let directory: FakeDirectory;
  let service: RevocationService;
  let audit: AuditTrail;
  let clock: ManualClock;
  const sandbox = sinon.createSandbox();

  function acting(person: PersonRef = UMA, gateway: FakeDirectory = directory): Acting {
    return { person, directory: gateway };
  }

  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), 'revoker-usecase-'));
    clock = new ManualClock('2026-11-22T10:00:00Z');
    storage = openSqliteStorage({ dataDir: dir, clock });
    audit = new AuditTrail({ log: storage.audit, retryDelaysInMs: [1], clock });
    service = new RevocationService({ store: storage.state, audit, requestTtlInMs: 15 * 60_000, clock });
    directory = new FakeDirectory(UMA.aadObjectId);
    directory.add({ id: ADELE_ID, displayName: 'Adele Vance', userPrincipalName: 'adele@contoso.onmicrosoft.com', department: 'Finance' });
    directory.add({ id: UMA.aadObjectId, displayName: 'Uma Useradmin', userPrincipalName: 'uma@contoso.onmicrosoft.com' });
    directory.add(
      { id: '8091a2b3-c4d5-4f0a-9b6c-7d8e9fa0b1dd', displayName: 'Grace Global', userPrincipalName: 'grace@contoso.onmicrosoft.com' },
      { roles: [GLOBAL_ADMIN], inRoleAssignableGroup: false },
    );
    directory.add({
      id: '5a1f0c1e-2b1d-4c55-9a3e-7d2f9d0c6b11',
      displayName: 'Megan Bowen',
      userPrincipalName: 'megan.bowen@contoso.onmicrosoft.com',
    });
    directory.add({
      id: '0b7d6c4a-91e3-4f2a-8d6e-3c5b7a9e1f22',
      displayName: 'Megan Bowman',
      userPrincipalName: 'megan.bowman@contoso.onmicrosoft.com',
    });
  });

  afterEach(async function () {
    sandbox.restore();
    await audit.close();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function openRequestFor(upn = 'adele@contoso.onmicrosoft.com'): Promise<string> {
    const found = await service.lookup(acting(), { kind: 'userPrincipalName', upn });
    assert.equal(found.kind, 'found');
    return found.kind === 'found' ? found.request.id : '';
  }

  it('when a UPN matches one user, then a pending request is opened with the target classified and audited', async function () {
    const found = await service.lookup(acting(), { kind: 'userPrincipalName', upn: 'grace@contoso.onmicrosoft.com' });
    assert.equal(found.kind, 'found');
    if (found.kind !== 'found') return;
    assert.equal(found.request.state, 'pending');
    assert.equal(found.request.target.tier, 'privilegedAdmin');
    assert.equal(found.request.expiresAt, '2026-11-22T10:15:00.000Z');
    const records = await storage.audit.list({ requestId: found.request.id });
    assert.deepEqual(
      records.map((r) => r.action),
      ['request.created'],
    );
  });

  it('when a name matches several people, then a pick list is offered and only the searcher may pick', async function () {
    const found = await service.lookup(acting(), { kind: 'displayName', text: 'Megan' });
    assert.equal(found.kind, 'several');
    if (found.kind !== 'several') return;
    assert.deepEqual(
      found.candidates.map((c) => c.displayName),
      ['Megan Bowen', 'Megan Bowman'],
    );
    assert.deepEqual(await service.pick(acting(HELEN), found.pickId, 0), { kind: 'refused', problem: 'not_requester' });
    const picked = await service.pick(acting(), found.pickId, 1);
    assert.equal(picked.kind === 'found' && picked.request.target.displayName, 'Megan Bowman');
    assert.deepEqual(await service.pick(acting(), found.pickId, 7), { kind: 'refused', problem: 'not_found' });
  });

  it('when nobody matches, then the outcome says so and nothing is opened', async function () {
    assert.deepEqual(await service.lookup(acting(), { kind: 'displayName', text: 'Zed' }), { kind: 'none', query: 'Zed' });
    assert.equal((await service.lookup(acting(), { kind: 'userPrincipalName', upn: 'nobody@contoso.onmicrosoft.com' })).kind, 'none');
  });

  it('when the requester confirms, then the target is revoked once by object id and the trail records start and success', async function () {
    const id = await openRequestFor();
    const outcome = await service.confirm(acting(), id);
    assert.equal(outcome.kind, 'completed');
    assert.equal(outcome.kind === 'completed' && outcome.request.state, 'succeeded');
    assert.deepEqual(
      directory.calls.filter((c) => c.method === 'revokeSessions').map((c) => c.key),
      [{ kind: 'objectId', id: ADELE_ID }],
    );
    const actions = (await storage.audit.list({ requestId: id })).map((r) => r.action).reverse();
    assert.deepEqual(actions, ['request.created', 'revocation.started', 'revocation.succeeded']);
  });

  it('when the requester confirms, then the answer waits for the revoke alone, and the read-back after it records the request as verified', async function () {
    const id = await openRequestFor();
    const callsBefore = directory.calls.length;
    const outcome = await service.confirm(acting(), id);
    assert.ok(outcome.kind === 'completed' && outcome.verify, 'a succeeded confirm carries its read-back, not yet run');
    assert.deepEqual(
      directory.calls.slice(callsBefore).map((c) => c.method),
      ['revokeSessions'],
      'one Graph call before the answer',
    );
    assert.equal(outcome.request.outcome?.kind === 'revoked' && outcome.request.outcome.verified, undefined, 'not verified yet');
    const revokedAt = clock.now().toISOString();
    const read = directory.getUser.bind(directory);
    sandbox.stub(directory, 'getUser').callsFake(async (key) => {
      const user = await read(key);
      return user.ok ? { ...user, value: { ...user.value, signInSessionsValidFrom: revokedAt } } : user;
    });
    const verified = await outcome.verify();
    assert.deepEqual(
      directory.calls.slice(callsBefore).map((c) => c.method),
      ['revokeSessions', 'getUser'],
    );
    assert.deepEqual(verified.outcome?.kind === 'revoked' && [verified.outcome.verified, verified.outcome.validFromAfter], [
      true,
      revokedAt,
    ]);
    const stored = await service.get(id);
    assert.equal(stored?.state, 'succeeded');
    assert.deepEqual(stored?.outcome?.kind === 'revoked' && [stored.outcome.verified, stored.outcome.validFromAfter], [true, revokedAt]);
    assert.equal(directory.count('revokeSessions'), 1, 'verifying never revokes again');
  });

  it('when the read-back after a revoke cannot read the user, then the request records it as not verified, and a second read-back changes nothing', async function () {
    const id = await openRequestFor();
    const outcome = await service.confirm(acting(), id);
    assert.ok(outcome.kind === 'completed' && outcome.verify);
    sandbox.stub(directory, 'getUser').resolves({ ok: false, error: { code: 'graph_unavailable', status: 503 } });
    const first = await outcome.verify();
    assert.deepEqual(first.outcome?.kind === 'revoked' && [first.outcome.verified, first.outcome.validFromAfter], [false, undefined]);
    const second = await outcome.verify();
    assert.deepEqual(second, first);
    assert.deepEqual((await service.get(id))?.outcome, first.outcome);
  });

  it('when Entra refuses the revoke, then there is nothing to read back', async function () {
    const id = await openRequestFor();
    directory.revokeFailures.push({ code: 'forbidden', status: 403 });
    const outcome = await service.confirm(acting(), id);
    assert.ok(outcome.kind === 'completed');
    assert.equal(outcome.request.state, 'failed');
    assert.equal(outcome.verify, undefined);
    assert.equal(directory.count('getUser'), 1, 'only the lookup read the user');
  });

  it('when someone other than the requester confirms, then it is refused and nothing is revoked', async function () {
    const id = await openRequestFor();
    const outcome = await service.confirm(acting(HELEN, directory), id);
    assert.equal(outcome.kind === 'refused' && outcome.problem, 'not_requester');
    assert.equal(directory.count('revokeSessions'), 0);
  });

  it('when the same request is confirmed five times at once, then exactly one revoke happens', async function () {
    const id = await openRequestFor();
    directory.revokeDelayInMs = 30;
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => service.confirm(acting(), id)));
    assert.equal(directory.count('revokeSessions'), 1);
    assert.equal(outcomes.filter((o) => o.kind === 'completed').length, 1);
    for (const o of outcomes.filter((x) => x.kind === 'refused'))
      assert.ok(o.kind === 'refused' && ['in_progress', 'already_decided'].includes(o.problem));
    // A replay after completion is refused too.
    const replay = await service.confirm(acting(), id);
    assert.equal(replay.kind === 'refused' && replay.problem, 'already_decided');
    assert.equal(directory.count('revokeSessions'), 1);
  });

  it('when the card has expired, then confirming is refused without a Graph call', async function () {
    const id = await openRequestFor();
    clock.advance(16 * 60_000);
    const outcome = await service.confirm(acting(), id);
    assert.equal(outcome.kind === 'refused' && outcome.problem, 'expired');
    assert.equal(directory.count('revokeSessions'), 0);
  });

  it('when the machine’s calendar is a year away from the bot’s clock, then a fresh request is still found and confirmed (one clock decides)', async function () {
    for (const machineOffsetInMs of [365 * 24 * 3600_000, -365 * 24 * 3600_000]) {
      const machine = sinon.useFakeTimers({ now: clock.now().getTime() + machineOffsetInMs, toFake: ['Date'] });
      try {
        const found = await service.lookup(acting(), { kind: 'displayName', text: 'Megan' });
        assert.equal(found.kind, 'several', 'the pick list is stored and read on the bot’s clock');
        const picked = found.kind === 'several' ? await service.pick(acting(), found.pickId, 0) : undefined;
        assert.equal(picked?.kind, 'found');
        const id = picked?.kind === 'found' ? picked.request.id : '';
        const outcome = await service.confirm(acting(), id);
        assert.equal(outcome.kind === 'completed' && outcome.request.state, 'succeeded');
      } finally {
        machine.restore();
      }
    }
    assert.equal(directory.count('revokeSessions'), 2);
  });

  it('when Entra refuses the revoke, then the request fails with the roles that would be needed and may be retried', async function () {
    const id = await openRequestFor('grace@contoso.onmicrosoft.com');
    directory.revokeFailures.push({ code: 'forbidden', status: 403, graphRequestId: 'req-403' });
    const outcome = await service.confirm(acting(), id);
    assert.equal(outcome.kind, 'completed');
    if (outcome.kind !== 'completed') return;
    assert.equal(outcome.request.state, 'failed');
    assert.equal(outcome.request.outcome?.kind, 'refused');
    if (outcome.request.outcome?.kind === 'refused') {
      assert.equal(outcome.request.outcome.graphRequestId, 'req-403');
      assert.deepEqual(outcome.request.outcome.rolesNeeded?.map((r) => r.displayName).sort(), [
        'Global Administrator',
        'Privileged Authentication Administrator',
      ]);
    }
    const retried = await service.confirm(acting(), id);
    assert.equal(retried.kind === 'completed' && retried.request.state, 'succeeded');
    assert.equal(directory.count('revokeSessions'), 2);
  });

  it('when the audit trail cannot be written before the revoke, then nothing is revoked and the request stays confirmable', async function () {
    const id = await openRequestFor();
    const failing: AuditLog = {
      append: async () => {
        throw Object.assign(new Error('disk full'), { code: 'storage_unavailable' });
      },
      list: async () => [],
    };
    const broken = new RevocationService({
      store: storage.state,
      audit: new AuditTrail({ log: failing, retryDelaysInMs: [1], clock }),
      requestTtlInMs: 15 * 60_000,
      clock,
    });
    assert.deepEqual(await broken.confirm(acting(), id), { kind: 'storage_unavailable' });
    assert.equal(directory.count('revokeSessions'), 0);
    assert.equal((await service.get(id))?.state, 'pending');
    assert.equal((await service.confirm(acting(), id)).kind, 'completed');
  });

  it('when the requester cancels, then no Graph write happens; another person cannot cancel', async function () {
    const id = await openRequestFor();
    assert.equal((await service.cancel(HELEN, id)).kind, 'refused');
    const cancelled = await service.cancel(UMA, id);
    assert.equal(cancelled.kind === 'cancelled' && cancelled.request.state, 'cancelled');
    assert.equal(directory.count('revokeSessions'), 0);
    assert.equal((await service.confirm(acting(), id)).kind, 'refused');
  });

  it('when the requester revokes their own sessions, then the revoke goes to /me', async function () {
    const found = await service.lookup(acting(), { kind: 'self' });
    assert.equal(found.kind === 'found' && found.request.target.self, true);
    if (found.kind !== 'found') return;
    await service.confirm(acting(), found.request.id);
    assert.deepEqual(directory.calls.find((c) => c.method === 'revokeSessions')?.key, { kind: 'self' });
  });
});
