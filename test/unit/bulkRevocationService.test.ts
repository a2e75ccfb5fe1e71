import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApprovalWorkflow, type ApprovalRoute } from '../../src/app/approval/approvalWorkflow';
import { AuditTrail } from '../../src/app/auditTrail';
import { bulkApprovals, type BulkApproverActing } from '../../src/app/bulk/bulkApprovals';
import type { Approver } from '../../src/domain/approval';
import { loadBulkRun } from '../../src/app/bulk/bulkRunPages';
import { NAMESPACE } from '../../src/app/ports/namespaces';
import type { BulkActing } from '../../src/app/acting';
import { BulkRevocationService, type BulkRevocationServiceOptions, type ExecutionOutcome } from '../../src/app/bulk/bulkRevocationService';
import type { BulkProgress, BulkRun } from '../../src/domain/bulkRun';
import type { PersonRef } from '../../src/domain/people';
import { ROLE_TEMPLATE_ID } from '../../src/domain/roles';
import { openSqliteStorage, type SqliteStorage } from '../../src/storage';
import { FakeBulkDirectory } from '../helpers/fakeBulkDirectory';
import { ManualClock } from '../helpers/clock';

const TENANT = '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10';
const UMA: PersonRef = {
  tenantId: TENANT,
  aadObjectId: '4c5d6e7f-8091-4bac-9d2e-3f4a5b6c7d99',
  name: 'Uma Useradmin',
  userPrincipalName: 'uma@contoso.onmicrosoft.com',
};
const PRIYA: PersonRef = { tenantId: TENANT, aadObjectId: '7f8091a2-b3c4-4edf-8a5b-6c7d8e9fa0cc', name: 'Priya Privauth' };
const GROUP_ID = 'd1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f99';
const SECURITY: ApprovalRoute = { ok: true, channelId: '19:security@thread.tacv2' };
/** A click in the security channel. */
const inSecurity = (person: PersonRef): Approver => ({ person, conversationId: '19:security@thread.tacv2;messageid=1' });
const SECURITY_ADMIN = { templateId: ROLE_TEMPLATE_ID.SecurityAdministrator, displayName: 'Security Administrator' };
const PASSWORD_ADMIN = { templateId: ROLE_TEMPLATE_ID.PasswordAdministrator, displayName: 'Password Administrator' };

function userId(n: number): string {
  return `0b7d6c4a-91e3-4f2a-8d6e-${String(n).padStart(12, '0')}`;
}

describe('bulk revocation use cases', function () {
  let dir: string;
  let storage: SqliteStorage;
  let audit: AuditTrail;
  let graph: FakeBulkDirectory;
  let clock: ManualClock;
  const services: BulkRevocationService[] = [];

  function service(overrides: Partial<BulkRevocationServiceOptions> = {}): BulkRevocationService {
    const created = new BulkRevocationService({
      store: storage.state,
      audit,
      requestTtlInMs: 15 * 60_000,
      settleInMs: 0,
      clock,
      ...overrides,
    });
    services.push(created);
    return created;
  }

  /** An instance that will "die": never closed (its execution hangs on a Graph call that never answers, holding no timers). */
  function doomedService(overrides: Partial<BulkRevocationServiceOptions> = {}): BulkRevocationService {
    return new BulkRevocationService({ store: storage.state, audit, requestTtlInMs: 15 * 60_000, settleInMs: 0, clock, ...overrides });
  }

  /** The one approval workflow, over this service's runs. */
  function approvalsOf(svc: BulkRevocationService): ApprovalWorkflow<BulkRun, BulkApproverActing, Promise<ExecutionOutcome>> {
    return new ApprovalWorkflow(bulkApprovals(svc), { store: storage.state, audit, clock, approvalTtlInMs: 24 * 3600_000 });
  }

  function acting(person: PersonRef = UMA, directory: FakeBulkDirectory = graph): BulkActing {
    return { person, directory };
  }

  /** HP: `count` users, the first a Security Administrator (Entra refuses Uma with 403), the second a Password Administrator. */
  function population(count: number, department = 'HP'): string[] {
    const ids: string[] = [];
    for (let n = 1; n <= count; n += 1) {
      const memberships =
        n === 1
          ? { roles: [SECURITY_ADMIN], inRoleAssignableGroup: false }
          : n === 2
            ? { roles: [PASSWORD_ADMIN], inRoleAssignableGroup: false }
            : undefined;
      graph.add(
        {
          id: userId(n),
          displayName: `HP User ${String(n).padStart(3, '0')}`,
          userPrincipalName: `hp.user${n}@contoso.onmicrosoft.com`,
          department,
          signInSessionsValidFrom: '2026-01-05T08:00:00Z',
        },
        memberships,
      );
      ids.push(userId(n));
    }
    graph.forbidden.add(userId(1));
    return ids;
  }

  async function prepared(svc: BulkRevocationService, department = 'HP'): Promise<BulkRun> {
    const outcome = await svc.prepare(acting(), { kind: 'department', department });
    assert.equal(outcome.kind, 'prepared');
    return outcome.kind === 'prepared' ? outcome.run : assert.fail('not prepared');
  }

  /** Starts the run and waits for the execution to end. */
  async function started(svc: BulkRevocationService, runId: string, events: BulkProgress[] = []): Promise<ExecutionOutcome> {
    return (await launched(svc, runId, events)).finished;
  }

  /** Starts the run; the execution goes on in the background. */
  async function launched(
    svc: BulkRevocationService,
    runId: string,
    events: BulkProgress[] = [],
  ): Promise<{ finished: Promise<ExecutionOutcome> }> {
    const outcome = await svc.start(acting(), runId, { onProgress: (p) => void events.push(p) });
    assert.equal(outcome.kind, 'started');
    return outcome.kind === 'started' ? { finished: outcome.finished } : assert.fail('not started');
  }

  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), 'revoker-bulk-'));
    clock = new ManualClock();
    storage = openSqliteStorage({ dataDir: dir, clock });
    audit = new AuditTrail({ log: storage.audit, retryDelaysInMs: [1], clock });
    graph = new FakeBulkDirectory(UMA.aadObjectId, clock);
    graph.add({ id: UMA.aadObjectId, displayName: 'Uma Useradmin', userPrincipalName: 'uma@contoso.onmicrosoft.com', department: 'IT' });
  });

  afterEach(async function () {
    for (const svc of services.splice(0)) await svc.close();
    await audit.close();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('prepare', function () {
    it('when a group is named, then its users are listed, their tiers classified, and a pending run is stored and audited', async function () {
      const ids = population(6);
      graph.addGroup({ id: GROUP_ID, displayName: 'Finance Team', memberIds: ids });
      const outcome = await service({ sampleSize: 3 }).prepare(acting(), {
        kind: 'group',
        group: { kind: 'displayName', name: 'finance team' },
      });
      assert.equal(outcome.kind, 'prepared');
      if (outcome.kind !== 'prepared') return;
      assert.deepEqual(outcome.run.source, { kind: 'group', label: 'Finance Team', id: GROUP_ID });
      assert.equal(outcome.run.state, 'pending');
      assert.equal(outcome.run.items.length, 6);
      assert.deepEqual(outcome.summary.tiers, { nonAdmin: 4, limitedAdmin: 1, privilegedAdmin: 1, unknown: 0 });
      assert.deepEqual(outcome.summary.sample, ['HP User 001', 'HP User 002', 'HP User 003']);
      assert.deepEqual(
        outcome.summary.admins.map((a) => [a.displayName, a.tier]),
        [
          ['HP User 001', 'privilegedAdmin'],
          ['HP User 002', 'limitedAdmin'],
        ],
      );
      const stored = await storage.state.get<BulkRun>(NAMESPACE.bulkRuns, outcome.run.id);
      assert.equal(stored?.value.items[0]?.tier, 'privilegedAdmin');
      const records = await storage.audit.list({ requestId: outcome.run.id });
      assert.deepEqual(
        records.map((r) => r.action),
        ['request.created'],
      );
      assert.match(records[0]?.detail ?? '', /6 users of group "Finance Team".*1 privileged admins, 1 limited admins/);
      assert.equal(graph.count('revokeSessions') + graph.batches.length, 0, 'nothing was revoked');
    });

    it('when the department has more users than the limit, then it is refused with the count and nothing is classified or stored', async function () {
      population(12);
      const outcome = await service({ maxTargets: 10 }).prepare(acting(), { kind: 'department', department: 'HP' });
      assert.deepEqual(outcome, { kind: 'too_many', source: { kind: 'department', label: 'HP' }, count: 12, exact: true, maxTargets: 10 });
      assert.equal(graph.count('getMembershipsMany'), 0);
      assert.deepEqual(await storage.state.list(NAMESPACE.bulkRuns), []);
      const [record] = await storage.audit.list({ actorId: UMA.aadObjectId });
      assert.equal(record?.action, 'command.refused');
      assert.equal(record?.code, 'too_many');
    });

    it('when the group does not exist, several share the name, or the department is empty, then each is told apart', async function () {
      graph.addGroup({ id: GROUP_ID, displayName: 'Twins', memberIds: [] });
      graph.addGroup({ id: 'd1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f98', displayName: 'Twins', memberIds: [] });
      const svc = service();
      assert.equal((await svc.prepare(acting(), { kind: 'group', group: { kind: 'displayName', name: 'Nobody' } })).kind, 'not_found');
      assert.equal((await svc.prepare(acting(), { kind: 'group', group: { kind: 'displayName', name: 'Twins' } })).kind, 'ambiguous_group');
      assert.equal((await svc.prepare(acting(), { kind: 'department', department: 'Nowhere' })).kind, 'empty');
    });

    it('when memberships cannot be read, then the run is still prepared with tiers unknown; a sign-in problem fails it', async function () {
      population(3);
      graph.membershipsFailure = { code: 'graph_unavailable', status: 503 };
      const svc = service();
      const outcome = await svc.prepare(acting(), { kind: 'department', department: 'HP' });
      assert.equal(outcome.kind === 'prepared' && outcome.summary.tiers.unknown, 3);
      graph.membershipsFailure = { code: 'interaction_required' };
      const refused = await svc.prepare(acting(), { kind: 'department', department: 'HP' });
      assert.deepEqual(refused, { kind: 'failed', failure: { code: 'interaction_required' } });
    });
  });

  describe('execute', function () {
    it('when 45 users run one batch at a time with two throttled once and one privileged, then every other user is revoked exactly once and progress is exact', async function () {
      const ids = population(45);
      graph.itemFailures.set(userId(21), [{ code: 'throttled', status: 429, retryAfterInSeconds: 0.05 }]);
      graph.itemFailures.set(userId(22), [{ code: 'throttled', status: 429, retryAfterInSeconds: 0.02 }]);
      const svc = service({ maxInFlight: 1 });
      const run = await prepared(svc);
      const events: BulkProgress[] = [];
      const outcome = await started(svc, run.id, events);
      assert.equal(outcome.kind, 'completed');
      if (outcome.kind !== 'completed') return;
      assert.deepEqual(events, [
        { done: 19, failed: 1, remaining: 25 },
        { done: 37, failed: 1, remaining: 7 },
        { done: 42, failed: 1, remaining: 2 },
        { done: 44, failed: 1, remaining: 0 },
      ]);
      assert.deepEqual(
        graph.batches.map((b) => b.length),
        [20, 20, 5, 2],
      );
      assert.deepEqual(graph.batches[3], [userId(21), userId(22)]);
      for (const id of ids) assert.equal(graph.revokedCount(id), id === userId(1) ? 0 : 1, `revokes of ${id}`);
      assert.deepEqual(outcome.report.failures, [
        {
          id: userId(1),
          userPrincipalName: 'hp.user1@contoso.onmicrosoft.com',
          displayName: 'HP User 001',
          tier: 'privilegedAdmin',
          code: 'forbidden',
          graphRequestId: 'req-403-0b7d',
        },
      ]);
      assert.deepEqual(
        { ...outcome.report, failures: outcome.report.failures.length },
        { done: 44, failed: 1, remaining: 0, total: 45, verified: 0, notAttempted: 0, failures: 1 },
      );
      const stored = await svc.get(run.id);
      assert.equal(stored?.state, 'completed');
      assert.equal(stored?.items.find((i) => i.id === userId(1))?.attempts, 1, 'a 403 is not retried');
      assert.equal(stored?.items.find((i) => i.id === userId(21))?.attempts, 2);
      const records = await storage.audit.list({ requestId: run.id, limit: 1000 });
      assert.equal(records.filter((r) => r.action === 'revocation.succeeded').length, 44);
      assert.deepEqual(
        records.filter((r) => r.action === 'revocation.failed').map((r) => [r.target?.id, r.code, r.actor?.aadObjectId]),
        [[userId(1), 'forbidden', UMA.aadObjectId]],
      );
      assert.equal(records.filter((r) => r.action === 'revocation.started').length, 1);
    });

    it('when there are many batches, then no more than the configured number are in flight', async function () {
      population(200);
      // The first four batches answer only once four are in flight together: reaching four is then
      // proven by order, not by how fast storage writes happen to be (a service that never has four
      // out at once leaves them waiting, and the test times out).
      let fourOut: () => void = () => undefined;
      const fourInFlight = new Promise<void>((resolve) => (fourOut = resolve));
      graph.beforeAnswer = async (_ids, call) => {
        if (graph.inFlight >= 4) fourOut();
        if (call < 4) await fourInFlight;
      };
      const four = service();
      const outcome = await started(four, (await prepared(four)).id);
      assert.equal(outcome.kind, 'completed');
      assert.equal(graph.batches.length, 10);
      assert.equal(graph.maxInFlight, 4);
      assert.ok(graph.batches.every((b) => b.length <= 20));
    });

    it('when four batches answer at once, then each user is audited once (no batch re-audits users another batch settled)', async function () {
      population(200);
      // The four batches' answers are let through together, so their results queue behind each other's writes.
      let fourOut: () => void = () => undefined;
      const fourInFlight = new Promise<void>((resolve) => (fourOut = resolve));
      graph.beforeAnswer = async (_ids, call) => {
        if (graph.inFlight >= 4) fourOut();
        if (call < 4) await fourInFlight;
      };
      const four = service();
      const run = await prepared(four);
      assert.equal((await started(four, run.id)).kind, 'completed');
      await audit.flush();
      const records = await storage.audit.list({ requestId: run.id, limit: 1000 });
      // Everyone but user 1, whom Entra refuses (403): 199 revoked, 1 failed, each told once.
      const told = records.filter((r) => r.action === 'revocation.succeeded' || r.action === 'revocation.failed').map((r) => r.target?.id);
      assert.equal(told.length, 200);
      assert.equal(new Set(told).size, 200);
    });

    it('when a batch is throttled, then no further batch starts before its Retry-After has passed', async function () {
      population(60);
      const starts: number[] = [];
      graph.beforeSend = () => {
        starts.push(performance.now());
        return true;
      };
      graph.itemFailures.set(userId(5), [{ code: 'throttled', status: 429, retryAfterInSeconds: 0.3 }]);
      const svc = service({ maxInFlight: 1 });
      const outcome = await started(svc, (await prepared(svc)).id);
      assert.equal(outcome.kind, 'completed');
      assert.equal(starts.length, 4);
      assert.ok(starts[1]! - starts[0]! >= 290, `the second batch waited ${starts[1]! - starts[0]!} ms`);
    });

    it('when a user stays throttled, then they are tried three times and reported as throttled; a 5xx is retried too', async function () {
      population(4);
      graph.itemFailures.set(
        userId(3),
        Array.from({ length: 5 }, () => ({ code: 'throttled' as const, status: 429, retryAfterInSeconds: 0.01 })),
      );
      graph.itemFailures.set(userId(4), [{ code: 'graph_unavailable', status: 503 }]);
      const svc = service();
      const outcome = await started(svc, (await prepared(svc)).id);
      assert.equal(outcome.kind, 'completed');
      if (outcome.kind !== 'completed') return;
      assert.deepEqual(
        outcome.report.failures.map((f) => [f.id, f.code]),
        [
          [userId(1), 'forbidden'],
          [userId(3), 'throttled'],
        ],
      );
      assert.equal(graph.batches.filter((b) => b.includes(userId(3))).length, 3);
      assert.equal(graph.revokedCount(userId(4)), 1);
    });

    it("when a batch's answer is lost after Graph revoked, then the users are read back and counted as revoked without a second revoke", async function () {
      const ids = population(25);
      graph.lostAnswers = 1;
      const svc = service();
      const outcome = await started(svc, (await prepared(svc)).id);
      assert.equal(outcome.kind, 'completed');
      if (outcome.kind !== 'completed') return;
      for (const id of ids) assert.equal(graph.revokedCount(id), id === userId(1) ? 0 : 1);
      assert.equal(outcome.report.verified, 19, 'the first batch minus the refused user, found revoked by reading back');
      assert.equal(graph.count('getUser'), 20);
      assert.deepEqual(
        outcome.report.failures.map((f) => [f.id, f.code]),
        [[userId(1), 'forbidden']],
        'the refused user, found untouched, was sent again and refused again',
      );
    });

    it('when a batch fails as a whole before Graph ran it, then its users are read back, found untouched, and sent again once', async function () {
      const ids = population(5);
      graph.batchFailures = [{ code: 'graph_unavailable' }];
      const svc = service();
      const outcome = await started(svc, (await prepared(svc)).id);
      assert.equal(outcome.kind, 'completed');
      for (const id of ids.slice(1)) assert.equal(graph.revokedCount(id), 1);
      assert.equal(graph.batches.length, 2);
      assert.equal(outcome.kind === 'completed' && outcome.report.verified, 0);
    });

    it('when the requester is one of the users, then they are revoked last, alone, after everyone else', async function () {
      population(25, 'IT');
      const svc = service();
      const outcome = await started(svc, (await prepared(svc, 'IT')).id);
      assert.equal(outcome.kind, 'completed');
      assert.deepEqual(graph.batches.at(-1), [UMA.aadObjectId]);
      assert.equal(graph.batches.slice(0, -1).flat().includes(UMA.aadObjectId), false);
      assert.equal(graph.revokedCount(UMA.aadObjectId), 1);
    });

    it('when the progress observer throws, then the run still completes and the failure is told to onError', async function () {
      population(30);
      const errors: string[] = [];
      const svc = service({ onError: (_e, context) => void errors.push(context) });
      const run = await prepared(svc);
      const outcome = await svc.start(acting(), run.id, {
        onProgress: () => {
          throw new Error('card update failed');
        },
      });
      assert.equal(outcome.kind === 'started' && (await outcome.finished).kind, 'completed');
      assert.deepEqual(errors, ['bulk progress observer', 'bulk progress observer']);
    });
  });

  describe('decisions', function () {
    it('when four eyes are required, then the requester cannot start it, and an approver runs it with their own sign-in', async function () {
      population(5);
      const approverGraph = graph;
      const requesterGraph = new FakeBulkDirectory(UMA.aadObjectId, clock);
      const svc = service({ approvalRequired: true });
      const run = await prepared(svc);
      const refused = await svc.start(acting(UMA, requesterGraph), run.id);
      assert.equal(refused.kind === 'refused' && refused.problem, 'approval_required');
      const approvals = approvalsOf(svc);
      const submitted = await approvals.submit(UMA, run.id, { route: SECURITY, reason: 'INC-7' });
      assert.equal(submitted.kind, 'submitted');
      const self = await approvals.approve(acting(UMA, requesterGraph), inSecurity(UMA), run.id);
      assert.equal(self.kind === 'refused' && self.problem, 'self_approval');
      const approved = await approvals.approve(acting(PRIYA, approverGraph), inSecurity(PRIYA), run.id);
      assert.equal(approved.kind, 'decided');
      if (approved.kind !== 'decided' || !approved.execution) return assert.fail('not started');
      assert.equal(approved.subject.state, 'running');
      const outcome = await approved.execution;
      assert.equal(outcome.kind, 'completed');
      assert.equal(requesterGraph.batches.length, 0);
      assert.equal(approverGraph.batches.length, 1);
      const records = await storage.audit.list({ requestId: run.id, limit: 100 });
      assert.ok(records.some((r) => r.action === 'approval.approved' && r.actor?.aadObjectId === PRIYA.aadObjectId));
      assert.ok(records.filter((r) => r.action === 'revocation.succeeded').every((r) => r.actor?.aadObjectId === PRIYA.aadObjectId));
    });

    it('when the approval card cannot be posted, then unroute puts the run back to pending and it may be submitted again', async function () {
      population(3);
      const svc = service({ approvalRequired: true });
      const run = await prepared(svc);
      const approvals = approvalsOf(svc);
      assert.equal((await approvals.submit(UMA, run.id, { route: SECURITY })).kind, 'submitted');
      const back = await approvals.unroute(UMA, run.id, 'post_failed');
      assert.equal(back?.state, 'pending');
      assert.equal(back?.expiresAt, run.expiresAt);
      assert.equal((await svc.get(run.id))?.state, 'pending');
      assert.equal((await approvals.submit(UMA, run.id, { route: SECURITY })).kind, 'submitted');
      assert.equal(await approvals.unroute(UMA, 'no-such-run', 'post_failed'), undefined);
    });

    it('when the requester cancels a running run, then no new batch goes out, batches already out are recorded, and the rest are reported as not attempted', async function () {
      population(100);
      const svc = service({ maxInFlight: 1 });
      const run = await prepared(svc);
      let release: (() => void) | undefined;
      graph.beforeAnswer = (_ids, call) => (call === 1 ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve());
      const { finished } = await launched(svc, run.id);
      while (!release) await new Promise((resolve) => setTimeout(resolve, 5));
      const cancelled = await svc.cancel(UMA, run.id);
      assert.equal(cancelled.kind, 'done');
      release();
      const outcome = await finished;
      assert.equal(outcome.kind, 'cancelled');
      if (outcome.kind !== 'cancelled') return;
      assert.equal(graph.batches.length, 2);
      assert.deepEqual(
        { done: outcome.report.done, failed: outcome.report.failed, notAttempted: outcome.report.notAttempted },
        { done: 39, failed: 1, notAttempted: 60 },
      );
      assert.ok(outcome.run.completedAt);
    });
  });

  describe('restarts', function () {
    it('when the instance dies after a batch was sent but before its result was stored, then the resumed run reads those users back and revokes nobody twice', async function () {
      clock.set('2026-11-22T10:00:00.000Z');
      const ids = population(45);
      const first = doomedService({ maxInFlight: 1 });
      const run = await prepared(first);
      // The second batch reaches Graph, then the process "dies": its answer never comes back.
      graph.beforeAnswer = (_ids, call) => (call === 1 ? new Promise<void>(() => undefined) : Promise.resolve());
      const events: BulkProgress[] = [];
      void launched(first, run.id, events);
      while (graph.batches.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
      const crashed = await loadBulkRun(storage.state, run.id);
      assert.deepEqual(countBy(crashed!.value), { revoked: 19, failed: 1, sent: 20, pending: 5 });

      graph.beforeAnswer = undefined;
      const second = service();
      assert.equal((await second.resume(run.id, () => graph)).kind, 'leased', 'the dead instance still holds the lease');
      clock.set('2026-11-22T10:01:30.000Z');
      const outcomes = await second.resumeAll(() => graph);
      assert.equal(outcomes.length, 1);
      const resumed = outcomes[0]!;
      assert.equal(resumed.kind, 'resumed');
      if (resumed.kind !== 'resumed') return;
      const outcome = await resumed.finished;
      assert.equal(outcome.kind, 'completed');
      if (outcome.kind !== 'completed') return;
      for (const id of ids) assert.equal(graph.revokedCount(id), id === userId(1) ? 0 : 1, `revokes of ${id}`);
      assert.equal(outcome.report.verified, 20);
      assert.deepEqual({ done: outcome.report.done, failed: outcome.report.failed }, { done: 44, failed: 1 });
      assert.deepEqual(
        graph.batches.map((b) => b.length),
        [20, 20, 5],
      );
    });

    it('when the instance dies after marking a batch sent but before sending it, then the resumed run finds those users untouched and sends them once', async function () {
      clock.set('2026-11-22T10:00:00.000Z');
      const ids = population(30);
      const first = doomedService({ maxInFlight: 1 });
      const run = await prepared(first);
      graph.beforeSend = (_ids, call) => call !== 1;
      void launched(first, run.id);
      while (graph.batches.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
      graph.beforeSend = undefined;
      clock.set('2026-11-22T10:05:00.000Z');
      const second = service();
      const [resumed] = await second.resumeAll(() => graph);
      assert.equal(resumed?.kind, 'resumed');
      if (resumed?.kind !== 'resumed') return;
      const outcome = await resumed.finished;
      assert.equal(outcome.kind, 'completed');
      for (const id of ids) assert.equal(graph.revokedCount(id), id === userId(1) ? 0 : 1);
      assert.equal(outcome.kind === 'completed' && outcome.report.verified, 0);
      assert.equal(graph.count('getUser'), 10);
    });

    it('when the instance shuts down gracefully mid-run, then it releases the run and another instance resumes at once and finishes it', async function () {
      const ids = population(100);
      const first = service({ maxInFlight: 2 });
      const run = await prepared(first);
      graph.beforeAnswer = () => new Promise((resolve) => setTimeout(resolve, 20));
      const { finished } = await launched(first, run.id);
      while (graph.batches.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
      await first.close();
      assert.deepEqual(await finished, { kind: 'interrupted', runId: run.id, reason: 'closed' });
      const between = await loadBulkRun(storage.state, run.id);
      assert.equal(countBy(between!.value).sent, undefined, 'nothing left in flight');
      const second = service();
      const [resumed] = await second.resumeAll(() => graph);
      assert.equal(resumed?.kind, 'resumed');
      const outcome = resumed?.kind === 'resumed' ? await resumed.finished : undefined;
      assert.equal(outcome?.kind, 'completed');
      for (const id of ids) assert.equal(graph.revokedCount(id), id === userId(1) ? 0 : 1);
    });

    it('when two instances resume the same run at once, then exactly one executes it', async function () {
      population(45);
      const first = doomedService({ maxInFlight: 1 });
      const run = await prepared(first);
      graph.beforeSend = (_ids, call) => call !== 1;
      void launched(first, run.id);
      while (graph.batches.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
      graph.beforeSend = undefined;
      clock.advance(5 * 60_000);
      const [a, b] = await Promise.all([service().resume(run.id, () => graph), service().resume(run.id, () => graph)]);
      const kinds = [a.kind, b.kind].sort();
      assert.deepEqual(kinds, ['leased', 'resumed']);
      const winner = a.kind === 'resumed' ? a : b.kind === 'resumed' ? b : undefined;
      assert.equal((await winner?.finished)?.kind, 'completed');
    });

    it("when the person's sign-in expires mid-run, then the run stops and waits, and a resume with a fresh sign-in finishes it without double revokes", async function () {
      const ids = population(45);
      const svc = service({ maxInFlight: 1 });
      const run = await prepared(svc);
      graph.batchFailures = [];
      graph.beforeSend = (_ids, call) => {
        if (call === 1) graph.batchFailures.push({ code: 'sign_in_expired' });
        return true;
      };
      const outcome = await started(svc, run.id);
      assert.equal(outcome.kind, 'stopped');
      if (outcome.kind !== 'stopped') return;
      assert.equal(outcome.failure.code, 'sign_in_expired');
      assert.equal(outcome.run.state, 'running');
      assert.deepEqual(outcome.run.stopped?.code, 'sign_in_expired');
      assert.deepEqual(countBy(outcome.run), { revoked: 19, failed: 1, pending: 25 });
      graph.beforeSend = undefined;
      assert.equal((await svc.resume(run.id, () => undefined)).kind, 'waiting_for_sign_in');
      const resumed = await svc.resume(run.id, () => graph);
      assert.equal(resumed.kind, 'resumed');
      const end = resumed.kind === 'resumed' ? await resumed.finished : undefined;
      assert.equal(end?.kind, 'completed');
      for (const id of ids) assert.equal(graph.revokedCount(id), id === userId(1) ? 0 : 1);
    });
  });
});

function countBy(run: BulkRun): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of run.items) counts[item.status] = (counts[item.status] ?? 0) + 1;
  return counts;
}
