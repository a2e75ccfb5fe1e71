import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApprovalWorkflow } from '../../src/app/approval/approvalWorkflow';
import { AuditTrail } from '../../src/app/auditTrail';
import { NAMESPACE } from '../../src/app/ports/namespaces';
import type { Acting } from '../../src/app/acting';
import { RevocationService } from '../../src/app/revocation/revocationService';
import { requestApprovals } from '../../src/app/revocation/requestApprovals';
import { approve, type Approver } from '../../src/domain/approval';
import { beginExecution, REQUEST_APPROVALS, type RevocationRequest } from '../../src/domain/revocationRequest';
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
const STALE_AFTER_IN_MS = 120_000;
const SECURITY_CHANNEL = '19:security@thread.tacv2';
/** A click in the security channel. */
const inChannel = (person: PersonRef): Approver => ({ person, conversationId: SECURITY_CHANNEL });

describe('an execution interrupted by a crash (stale executing request)', function () {
  let dir: string;
  let storage: SqliteStorage;
  let directory: FakeDirectory;
  let service: RevocationService;
  let audit: AuditTrail;
  let clock: ManualClock;

  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), 'revoker-stale-'));
    clock = new ManualClock('2026-11-22T10:00:00.400Z');
    storage = openSqliteStorage({ dataDir: dir, clock });
    audit = new AuditTrail({ log: storage.audit, retryDelaysInMs: [1], clock });
    service = new RevocationService({
      store: storage.state,
      audit,
      requestTtlInMs: 15 * 60_000,
      staleExecutionAfterInMs: STALE_AFTER_IN_MS,
      clock,
    });
    directory = new FakeDirectory(UMA.aadObjectId);
    directory.add({
      id: ADELE_ID,
      displayName: 'Adele Vance',
      userPrincipalName: 'adele@contoso.onmicrosoft.com',
      signInSessionsValidFrom: '2026-01-01T00:00:00Z',
    });
  });

  afterEach(async function () {
    await audit.close();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function acting(person: PersonRef = UMA): Acting {
    return { person, directory };
  }

  /** A request whose execution started at the clock's now and whose process then died (nothing else written). */
  async function interruptedRequest(): Promise<RevocationRequest> {
    const found = await service.lookup(acting(), { kind: 'objectId', id: ADELE_ID });
    assert.equal(found.kind, 'found');
    const id = found.kind === 'found' ? found.request.id : '';
    const stored = await storage.state.get<RevocationRequest>(NAMESPACE.requests, id);
    assert.ok(stored);
    const started = beginExecution(stored.value, UMA, clock.now());
    assert.ok(started.ok);
    assert.ok((await storage.state.replace(NAMESPACE.requests, id, started.value, stored.etag)).ok);
    return started.value;
  }

  function targetRevokedAt(iso: string): void {
    const user = directory.users.find((u) => u.id === ADELE_ID);
    assert.ok(user);
    directory.users.splice(directory.users.indexOf(user), 1, { ...user, signInSessionsValidFrom: iso });
  }

  async function actions(requestId: string): Promise<string[]> {
    return (await storage.audit.list({ requestId })).reverse().map((r) => `${r.action}${r.code ? `:${r.code}` : ''}`);
  }

  it('when the execution is younger than the staleness, then a confirm is told it is in progress and nothing is read or revoked', async function () {
    const request = await interruptedRequest();
    clock.advance(STALE_AFTER_IN_MS - 1);
    assert.equal(service.isStaleExecution(request), false);
    const before = directory.calls.length;
    const outcome = await service.confirm(acting(), request.id);
    assert.equal(outcome.kind === 'refused' && outcome.problem, 'in_progress');
    assert.deepEqual(
      directory.calls.slice(before).map((c) => c.method),
      [],
    );
  });

  it('when the target’s sessions became valid after the execution started (same second, Graph’s whole-second stamp), then success is recorded as verified and revoke is not called again', async function () {
    const request = await interruptedRequest();
    targetRevokedAt('2026-11-22T10:00:00Z');
    clock.advance(STALE_AFTER_IN_MS);
    const outcome = await service.confirm(acting(), request.id);
    assert.equal(outcome.kind, 'completed');
    assert.equal(outcome.kind === 'completed' && outcome.request.state, 'succeeded');
    assert.equal(directory.count('revokeSessions'), 0);
    assert.deepEqual(await actions(request.id), ['request.created', 'revocation.succeeded:verified_after_interruption']);
  });

  it('when the target’s sessions did not move, then the execution is abandoned as a retryable time-out and a retry revokes exactly once', async function () {
    const request = await interruptedRequest();
    clock.advance(STALE_AFTER_IN_MS);
    const outcome = await service.confirm(acting(), request.id);
    assert.equal(outcome.kind === 'completed' && outcome.request.state, 'failed');
    assert.equal(outcome.kind === 'completed' && outcome.request.outcome?.kind === 'refused' && outcome.request.outcome.code, 'timeout');
    assert.equal(directory.count('revokeSessions'), 0);
    const retry = await service.confirm(acting(), request.id);
    assert.equal(retry.kind === 'completed' && retry.request.state, 'succeeded');
    assert.equal(directory.count('revokeSessions'), 1);
    assert.deepEqual(await actions(request.id), [
      'request.created',
      'revocation.failed:timeout',
      'revocation.started',
      'revocation.succeeded',
    ]);
  });

  it('when someone other than the requester clicks a stale execution, then it is refused and left as it was', async function () {
    const request = await interruptedRequest();
    clock.advance(STALE_AFTER_IN_MS);
    const outcome = await service.confirm(acting(HELEN), request.id);
    assert.equal(outcome.kind === 'refused' && outcome.problem, 'not_requester');
    assert.equal((await service.get(request.id))?.state, 'executing');
    assert.equal(directory.count('getUser'), 1, 'only the lookup read the target');
  });

  it('when two clicks recover the same stale execution at once, then exactly one records the result', async function () {
    const request = await interruptedRequest();
    targetRevokedAt('2026-11-22T10:00:01Z');
    clock.advance(STALE_AFTER_IN_MS + 5000);
    const outcomes = await Promise.all([service.confirm(acting(), request.id), service.confirm(acting(), request.id)]);
    assert.equal(outcomes.filter((o) => o.kind === 'completed').length, 1);
    assert.deepEqual(await actions(request.id), ['request.created', 'revocation.succeeded:verified_after_interruption']);
    assert.equal(directory.count('revokeSessions'), 0);
  });

  it('when the request expired while it was stuck, then the requester can still have it verified', async function () {
    const request = await interruptedRequest();
    targetRevokedAt('2026-11-22T10:00:02Z');
    clock.advance(60 * 60_000);
    const outcome = await service.confirm(acting(), request.id);
    assert.equal(outcome.kind === 'completed' && outcome.request.state, 'succeeded');
  });
});

describe('an approved execution interrupted by a crash (four eyes)', function () {
  const GRACE: PersonRef = { tenantId: TENANT, aadObjectId: '8091a2b3-c4d5-4f0a-9b6c-7d8e9fa0b1dd', name: 'Grace Global' };
  let dir: string;
  let storage: SqliteStorage;
  let directory: FakeDirectory;
  let requests: RevocationService;
  let approvals: ApprovalWorkflow<RevocationRequest, Acting, never>;
  let audit: AuditTrail;
  let clock: ManualClock;

  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), 'revoker-stale-approval-'));
    clock = new ManualClock('2026-11-22T10:00:00.400Z');
    storage = openSqliteStorage({ dataDir: dir, clock });
    audit = new AuditTrail({ log: storage.audit, retryDelaysInMs: [1], clock });
    requests = new RevocationService({
      store: storage.state,
      audit,
      requestTtlInMs: 15 * 60_000,
      staleExecutionAfterInMs: STALE_AFTER_IN_MS,
      approvalRequired: true,
      clock,
    });
    approvals = new ApprovalWorkflow(
      requestApprovals({
        store: storage.state,
        audit,
        clock,
        requestTtlInMs: 15 * 60_000,
        approvalTtlInMs: 24 * 3600_000,
        staleExecutionAfterInMs: STALE_AFTER_IN_MS,
      }),
      { store: storage.state, audit, clock, approvalTtlInMs: 24 * 3600_000 },
    );
    directory = new FakeDirectory(UMA.aadObjectId);
    directory.add({
      id: ADELE_ID,
      displayName: 'Adele Vance',
      userPrincipalName: 'adele@contoso.onmicrosoft.com',
      signInSessionsValidFrom: '2026-01-01T00:00:00Z',
    });
  });

  afterEach(async function () {
    await audit.close();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function acting(person: PersonRef): Acting {
    return { person, directory };
  }

  /** Helen asked, Uma approved, and the process died while Uma's revoke was running. */
  async function interruptedApproval(): Promise<RevocationRequest> {
    const found = await requests.lookup(acting(HELEN), { kind: 'objectId', id: ADELE_ID });
    assert.equal(found.kind, 'found');
    const id = found.kind === 'found' ? found.request.id : '';
    assert.equal((await approvals.submit(HELEN, id, { route: { ok: true, channelId: SECURITY_CHANNEL } })).kind, 'submitted');
    const stored = await storage.state.get<RevocationRequest>(NAMESPACE.requests, id);
    assert.ok(stored);
    const started = approve(REQUEST_APPROVALS, stored.value, inChannel(UMA), clock.now());
    assert.ok(started.ok);
    assert.ok((await storage.state.replace(NAMESPACE.requests, id, started.value, stored.etag)).ok);
    return started.value;
  }

  async function stored(id: string): Promise<RevocationRequest | undefined> {
    return (await storage.state.get<RevocationRequest>(NAMESPACE.requests, id))?.value;
  }

  it('forged confirm by the requester on a stale approved execution: it is refused, nothing is read, revoked or changed, and approvers can still act', async function () {
    const request = await interruptedApproval();
    clock.advance(STALE_AFTER_IN_MS);
    const before = directory.calls.length;
    const outcome = await requests.confirm(acting(HELEN), request.id);
    assert.equal(outcome.kind === 'refused' && outcome.problem, 'in_progress');
    assert.deepEqual(directory.calls.slice(before), []);
    assert.deepEqual(await stored(request.id), request, 'the stored request is exactly as the crash left it');
    const recovered = await approvals.approve(acting(GRACE), inChannel(GRACE), request.id);
    assert.equal(recovered.kind === 'decided' && recovered.subject.state, 'awaitingApproval');
  });

  it('forged confirm by the requester when approvals are optional: still refused and unchanged', async function () {
    const optional = new RevocationService({
      store: storage.state,
      audit,
      requestTtlInMs: 15 * 60_000,
      staleExecutionAfterInMs: STALE_AFTER_IN_MS,
      clock,
    });
    const request = await interruptedApproval();
    clock.advance(STALE_AFTER_IN_MS);
    const outcome = await optional.confirm(acting(HELEN), request.id);
    assert.equal(outcome.kind === 'refused' && outcome.problem, 'in_progress');
    assert.deepEqual(await stored(request.id), request);
  });

  it('when an approver clicks a stale approved execution whose revoke never landed, then it goes back to the approvers with the attempt recorded, and approving again revokes once', async function () {
    const request = await interruptedApproval();
    clock.advance(STALE_AFTER_IN_MS);
    const recovered = await approvals.approve(acting(GRACE), inChannel(GRACE), request.id);
    assert.equal(recovered.kind, 'decided');
    const waiting = recovered.kind === 'decided' ? recovered.subject : undefined;
    assert.equal(waiting?.state, 'awaitingApproval');
    assert.deepEqual(
      waiting?.approval?.failedAttempts.map((a) => [a.by.name, a.code]),
      [['Uma Useradmin', 'timeout']],
    );
    assert.equal(directory.count('revokeSessions'), 0, 'the recovery itself revoked nothing');
    const approved = await approvals.approve(acting(GRACE), inChannel(GRACE), request.id);
    assert.equal(approved.kind === 'decided' && approved.subject.state, 'succeeded');
    assert.equal(directory.count('revokeSessions'), 1);
  });

  it('when an approver clicks a stale approved execution whose revoke landed, then success is recorded as verified without revoking again', async function () {
    const request = await interruptedApproval();
    const user = directory.users.find((u) => u.id === ADELE_ID)!;
    directory.users.splice(directory.users.indexOf(user), 1, { ...user, signInSessionsValidFrom: '2026-11-22T10:00:00Z' });
    clock.advance(STALE_AFTER_IN_MS);
    const recovered = await approvals.approve(acting(GRACE), inChannel(GRACE), request.id);
    assert.equal(recovered.kind === 'decided' && recovered.subject.state, 'succeeded');
    assert.equal(directory.count('revokeSessions'), 0);
    const trail = (await storage.audit.list({ requestId: request.id })).map((r) => `${r.action}${r.code ? `:${r.code}` : ''}`);
    assert.equal(trail[0], 'revocation.succeeded:verified_after_interruption');
  });

  it('when the requester clicks Approve on their own stale approved execution, then it is refused and left as it was', async function () {
    const request = await interruptedApproval();
    clock.advance(STALE_AFTER_IN_MS);
    const outcome = await approvals.approve(acting(HELEN), inChannel(HELEN), request.id);
    assert.equal(outcome.kind === 'refused' && outcome.problem, 'self_approval');
    assert.deepEqual(await stored(request.id), request);
  });
});
