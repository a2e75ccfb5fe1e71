import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sinon from 'sinon';
import type { Acting } from '../../src/app/acting';
import { ApprovalWorkflow, type ApprovalRoute } from '../../src/app/approval/approvalWorkflow';
import { AuditTrail } from '../../src/app/auditTrail';
import type { AuditLog } from '../../src/app/ports/auditLog';
import { NAMESPACE } from '../../src/app/ports/namespaces';
import { StorageUnavailableError, type StateStore } from '../../src/app/ports/stateStore';
import { requestApprovals } from '../../src/app/revocation/requestApprovals';
import { RevocationService } from '../../src/app/revocation/revocationService';
import type { Approver } from '../../src/domain/approval';
import type { PersonRef } from '../../src/domain/people';
import type { RevocationRequest } from '../../src/domain/revocationRequest';
import { openSqliteStorage, type SqliteStorage } from '../../src/storage';
import { ManualClock } from '../helpers/clock';
import { FakeDirectory } from '../helpers/fakeDirectory';

const TENANT = '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10';
const HELEN: PersonRef = { tenantId: TENANT, aadObjectId: '3b4c5d6e-7f80-4a9b-8c1d-2e3f4a5b6c88', name: 'Helen Helpdesk' };
const GRACE: PersonRef = { tenantId: TENANT, aadObjectId: '8091a2b3-c4d5-4f0a-9b6c-7d8e9fa0b1dd', name: 'Grace Global' };
const PRIYA: PersonRef = { tenantId: TENANT, aadObjectId: '7f8091a2-b3c4-4edf-8a5b-6c7d8e9fa0cc', name: 'Priya Privauth' };
const ADELE_ID = '6e7b768e-07e2-4810-8459-485f84f8f204';
const CHANNEL = '19:security@thread.tacv2';
const SECURITY: ApprovalRoute = { ok: true, channelId: CHANNEL };
const DAY = 24 * 3600_000;

/** A click on the approval card in the security channel (a thread of it, as Teams sends it). */
const inChannel = (person: PersonRef): Approver => ({ person, conversationId: `${CHANNEL};messageid=1700000000000` });

describe('the one approval workflow, over single requests', function () {
  let dir: string;
  let storage: SqliteStorage;
  let audit: AuditTrail;
  let clock: ManualClock;
  let directory: FakeDirectory;
  let requests: RevocationService;
  const sandbox = sinon.createSandbox();

  function workflow(
    options: { audit?: AuditTrail; store?: StateStore; onError?: (error: unknown, context: string) => void } = {},
  ): ApprovalWorkflow<RevocationRequest, Acting, never> {
    const store = options.store ?? storage.state;
    const trail = options.audit ?? audit;
    return new ApprovalWorkflow(requestApprovals({ store, audit: trail, clock, requestTtlInMs: 15 * 60_000, approvalTtlInMs: DAY }), {
      store,
      audit: trail,
      clock,
      approvalTtlInMs: DAY,
      onError: options.onError,
    });
  }

  function acting(person: PersonRef): Acting {
    return { person, directory };
  }

  /** Helen looked Adele up and sent the request to the security channel. */
  async function submitted(approvals = workflow()): Promise<string> {
    const found = await requests.lookup(acting(HELEN), { kind: 'objectId', id: ADELE_ID });
    assert.equal(found.kind, 'found');
    const id = found.kind === 'found' ? found.request.id : '';
    assert.equal((await approvals.submit(HELEN, id, { route: SECURITY, reason: 'INC-42' })).kind, 'submitted');
    return id;
  }

  async function trail(id: string): Promise<string[]> {
    return (await storage.audit.list({ requestId: id })).map((r) => `${r.action}:${r.outcome}${r.code ? `:${r.code}` : ''}`).reverse();
  }

  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), 'revoker-approvals-'));
    clock = new ManualClock('2026-11-22T10:00:00Z');
    storage = openSqliteStorage({ dataDir: dir, clock });
    audit = new AuditTrail({ log: storage.audit, retryDelaysInMs: [1], clock });
    requests = new RevocationService({ store: storage.state, audit, requestTtlInMs: 15 * 60_000, approvalRequired: true, clock });
    directory = new FakeDirectory(GRACE.aadObjectId);
    directory.add({
      id: ADELE_ID,
      displayName: 'Adele Vance',
      userPrincipalName: 'adele@contoso.onmicrosoft.com',
      signInSessionsValidFrom: '2026-01-01T00:00:00Z',
    });
  });

  afterEach(async function () {
    sandbox.restore();
    await audit.close();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('when two approvers approve at once, then exactly one revoke runs and the other approver is told it is in progress or done', async function () {
    const approvals = workflow();
    const id = await submitted(approvals);
    directory.revokeDelayInMs = 20;
    const outcomes = await Promise.all([
      approvals.approve(acting(GRACE), inChannel(GRACE), id),
      approvals.approve(acting(PRIYA), inChannel(PRIYA), id),
    ]);
    assert.deepEqual(outcomes.map((o) => o.kind).sort(), ['decided', 'refused']);
    const refused = outcomes.find((o) => o.kind === 'refused');
    assert.ok(refused?.kind === 'refused' && ['in_progress', 'already_decided'].includes(refused.problem));
    assert.equal(directory.count('revokeSessions'), 1);
    const won = outcomes.find((o) => o.kind === 'decided');
    assert.equal(won?.kind === 'decided' && won.subject.state, 'succeeded');
    assert.equal((await requests.get(id))?.state, 'succeeded');
    assert.equal((await trail(id)).filter((a) => a.startsWith('approval.approved')).length, 1);
  });

  it('before anyone signs in, the check refuses the requester, a click outside the channel and a decided request, and writes nothing', async function () {
    const approvals = workflow();
    const id = await submitted(approvals);
    const before = await trail(id);
    assert.deepEqual(await approvals.check(id, inChannel(HELEN)), {
      kind: 'refused',
      problem: 'self_approval',
      subject: await approvals.get(id),
    });
    const outside = await approvals.check(id, { person: GRACE, conversationId: 'a:1on1-with-grace' });
    assert.equal(outside.kind === 'refused' && outside.problem, 'outside_approval_channel');
    assert.equal((await approvals.check(id, inChannel(GRACE))).kind, 'may');
    assert.equal((await approvals.reject(inChannel(GRACE), id, 'not ours')).kind, 'decided');
    const late = await approvals.check(id, inChannel(PRIYA));
    assert.equal(late.kind === 'refused' && late.problem, 'already_decided');
    assert.deepEqual((await trail(id)).slice(before.length), ['approval.rejected:refused'], 'the checks recorded nothing');
    assert.equal(directory.count('revokeSessions'), 0);
  });

  it('when the approval cannot be audited, then nothing is revoked and the request waits as it was for the next approver', async function () {
    const id = await submitted();
    const waiting = (await storage.state.get<RevocationRequest>(NAMESPACE.requests, id))?.value;
    const refusing: AuditLog = { append: async () => Promise.reject(new StorageUnavailableError('disk full')), list: async () => [] };
    const outcome = await workflow({ audit: new AuditTrail({ log: refusing, retryDelaysInMs: [1], clock }) }).approve(
      acting(GRACE),
      inChannel(GRACE),
      id,
    );
    assert.deepEqual(outcome, { kind: 'storage_unavailable' });
    assert.equal(directory.count('revokeSessions'), 0);
    assert.deepEqual((await storage.state.get<RevocationRequest>(NAMESPACE.requests, id))?.value, waiting);
    assert.equal((await workflow().approve(acting(GRACE), inChannel(GRACE), id)).kind, 'decided');
    assert.equal(directory.count('revokeSessions'), 1);
  });

  it('when giving the request back fails too, then the failure is reported (not swallowed) and nothing is revoked', async function () {
    const id = await submitted();
    const refusing: AuditLog = { append: async () => Promise.reject(new StorageUnavailableError('disk full')), list: async () => [] };
    const brokenAfterTheWin: StateStore = Object.create(storage.state) as StateStore;
    let writes = 0;
    brokenAfterTheWin.replace = async (...args) => {
      writes += 1;
      if (writes > 1) throw new StorageUnavailableError('disk full');
      return storage.state.replace(...args);
    };
    const reported = sandbox.spy();
    const outcome = await workflow({
      audit: new AuditTrail({ log: refusing, retryDelaysInMs: [1], clock }),
      store: brokenAfterTheWin,
      onError: reported,
    }).approve(acting(GRACE), inChannel(GRACE), id);
    assert.deepEqual(outcome, { kind: 'storage_unavailable' });
    assert.equal(reported.callCount, 1);
    assert.ok(reported.firstCall.args[0] instanceof StorageUnavailableError);
    assert.match(String(reported.firstCall.args[1]), /giving back/);
    assert.equal(directory.count('revokeSessions'), 0);
  });

  it('when a refused approval reaches the workflow (a race past the check), then it is recorded as a refusal with the approver and the reason', async function () {
    const approvals = workflow();
    const id = await submitted(approvals);
    const self = await approvals.approve(acting(HELEN), inChannel(HELEN), id);
    assert.equal(self.kind === 'refused' && self.problem, 'self_approval');
    const records = await storage.audit.list({ requestId: id });
    assert.ok(
      records.some((r) => r.action === 'request.refused' && r.code === 'self_approval' && r.actor?.aadObjectId === HELEN.aadObjectId),
    );
    assert.equal(directory.count('revokeSessions'), 0);
  });
});
