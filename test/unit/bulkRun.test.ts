import assert from 'node:assert/strict';
import {
  beginRun,
  cancelRun,
  claimExecution,
  createBulkRun,
  expireBulkIfDue,
  finishIfDone,
  holdsExecution,
  isBulkFinal,
  markSent,
  markStopped,
  progressOf,
  recordResults,
  releaseExecution,
  renewLease,
  reportOf,
  summarize,
  type BulkRun,
  type BulkTarget,
  BULK_APPROVALS,
} from '../../src/domain/bulkRun';
import { approve, reject, submitForApproval, withdrawSubmission, type Approver } from '../../src/domain/approval';
import type { PersonRef } from '../../src/domain/people';

const TENANT = '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10';
const UMA: PersonRef = { tenantId: TENANT, aadObjectId: '4c5d6e7f-8091-4bac-9d2e-3f4a5b6c7d99', name: 'Uma Useradmin' };
const PRIYA: PersonRef = { tenantId: TENANT, aadObjectId: '7f8091a2-b3c4-4edf-8a5b-6c7d8e9fa0cc', name: 'Priya Privauth' };
const SAM: PersonRef = { tenantId: TENANT, aadObjectId: '91a2b3c4-d5e6-4a1b-8c7d-8e9fa0b1c2ee', name: 'Sam Secadmin' };
const T0 = new Date('2026-11-22T10:00:00.000Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
const LIMITS = { maxAttempts: 3, leaseInMs: 60_000 };
/** A click in the security channel the runs below are submitted to ('sec'). */
const inChannel = (person: PersonRef): Approver => ({ person, conversationId: 'sec' });

function id(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

function targets(count: number): BulkTarget[] {
  return Array.from({ length: count }, (_, i) => ({
    id: id(i + 1),
    userPrincipalName: `u${i + 1}@contoso.com`,
    displayName: `User ${i + 1}`,
    tier: 'nonAdmin' as const,
  }));
}

function pendingRun(count = 3): BulkRun {
  return createBulkRun({
    id: 'run-1',
    requester: UMA,
    source: { kind: 'department', label: 'HP' },
    targets: targets(count),
    now: T0,
    ttlInMs: 15 * 60_000,
  });
}

function runningRun(count = 3, executionId = 'exec-1'): BulkRun {
  const started = beginRun(pendingRun(count), UMA, at(1));
  assert.ok(started.ok);
  const claimed = claimExecution(started.value, executionId, at(1), 60_000);
  assert.ok(claimed.ok);
  return claimed.value;
}

describe('bulk run (domain)', function () {
  describe('creating and deciding', function () {
    it('when a run is created, then duplicate users are dropped, ids are lower-cased and every item is pending', function () {
      const run = createBulkRun({
        id: 'r',
        requester: UMA,
        source: { kind: 'group', label: 'Finance Team', id: 'g' },
        targets: [...targets(2), { id: id(1).toUpperCase(), userPrincipalName: 'dup@contoso.com', displayName: 'Dup' }],
        now: T0,
        ttlInMs: 60_000,
      });
      assert.equal(run.state, 'pending');
      assert.equal(run.expiresAt, '2026-11-22T10:01:00.000Z');
      assert.deepEqual(
        run.items.map((i) => [i.id, i.status, i.attempts]),
        [
          [id(1), 'pending', 0],
          [id(2), 'pending', 0],
        ],
      );
    });

    it('when the requester starts it before it expires, then it runs with their name as the decider', function () {
      const started = beginRun(pendingRun(), UMA, at(5));
      assert.ok(started.ok);
      assert.equal(started.value.state, 'running');
      assert.equal(started.value.decidedBy?.aadObjectId, UMA.aadObjectId);
      assert.equal(started.value.startedAt, at(5).toISOString());
    });

    it('when someone else, another tenant, a late click or a four-eyes rule tries to start it, then it is refused with the reason', function () {
      const run = pendingRun();
      assert.deepEqual(beginRun(run, PRIYA, at(1)), { ok: false, error: 'not_requester' });
      assert.deepEqual(beginRun(run, { ...UMA, tenantId: 'other' }, at(1)), { ok: false, error: 'wrong_tenant' });
      assert.deepEqual(beginRun(run, UMA, at(15 * 60)), { ok: false, error: 'expired' });
      assert.deepEqual(beginRun(run, UMA, at(1), { approvalRequired: true }), { ok: false, error: 'approval_required' });
      assert.deepEqual(beginRun(runningRun(), UMA, at(2)), { ok: false, error: 'in_progress' });
    });

    it('when submitted for approval, then only another person may approve, and the run then uses the approver as decider', function () {
      const submitted = submitForApproval(BULK_APPROVALS, pendingRun(), UMA, at(1), {
        channelId: 'sec',
        reason: ' INC-42 ',
        ttlInMs: 3_600_000,
      });
      assert.ok(submitted.ok);
      assert.equal(submitted.value.state, 'awaitingApproval');
      assert.equal(submitted.value.expiresAt, at(3601).toISOString());
      assert.equal(submitted.value.approval?.reason, 'INC-42');
      assert.deepEqual(beginRun(submitted.value, UMA, at(2)), { ok: false, error: 'awaiting_approval' });
      assert.deepEqual(approve(BULK_APPROVALS, submitted.value, inChannel(UMA), at(2)), { ok: false, error: 'self_approval' });
      const approved = approve(BULK_APPROVALS, submitted.value, inChannel(PRIYA), at(2));
      assert.ok(approved.ok);
      assert.equal(approved.value.state, 'running');
      assert.equal(approved.value.decidedBy?.aadObjectId, PRIYA.aadObjectId);
      assert.deepEqual(approve(BULK_APPROVALS, approved.value, inChannel(SAM), at(3)), { ok: false, error: 'in_progress' });
    });

    it('when the approval card cannot be posted, then the submission is withdrawn and the run is pending again with its old expiry', function () {
      const run = pendingRun();
      const submitted = submitForApproval(BULK_APPROVALS, run, UMA, at(1), { channelId: 'sec', ttlInMs: 3_600_000 });
      assert.ok(submitted.ok);
      const back = withdrawSubmission(submitted.value);
      assert.equal(back.state, 'pending');
      assert.equal(back.expiresAt, run.expiresAt);
      assert.equal(back.approval, undefined);
      assert.ok(beginRun(back, UMA, at(2)).ok);
      assert.equal(withdrawSubmission(back), back);
    });

    it('when an approver rejects with a note, then the run is rejected and final', function () {
      const submitted = submitForApproval(BULK_APPROVALS, pendingRun(), UMA, at(1), { channelId: 'sec', ttlInMs: 60_000 });
      assert.ok(submitted.ok);
      const rejected = reject(BULK_APPROVALS, submitted.value, inChannel(PRIYA), at(2), ' not our incident ');
      assert.ok(rejected.ok);
      assert.equal(rejected.value.state, 'rejected');
      assert.equal(rejected.value.approval?.rejectReason, 'not our incident');
      assert.ok(isBulkFinal(rejected.value, at(3)));
      assert.deepEqual(approve(BULK_APPROVALS, rejected.value, inChannel(SAM), at(3)), { ok: false, error: 'already_decided' });
    });

    it('when a pending run passes its expiry, then it expires; a running one never does', function () {
      assert.equal(expireBulkIfDue(pendingRun(), at(15 * 60)).state, 'expired');
      assert.equal(expireBulkIfDue(pendingRun(), at(15 * 60 - 1)).state, 'pending');
      const running = runningRun();
      assert.equal(expireBulkIfDue(running, at(10 * 3600)), running);
    });
  });

  describe('cancelling', function () {
    it('when the requester cancels a pending run, then it is cancelled and completed; a stranger is refused', function () {
      assert.deepEqual(cancelRun(pendingRun(), PRIYA, at(1)), { ok: false, error: 'not_requester' });
      const cancelled = cancelRun(pendingRun(), UMA, at(1));
      assert.ok(cancelled.ok);
      assert.equal(cancelled.value.state, 'cancelled');
      assert.equal(cancelled.value.completedAt, at(1).toISOString());
    });

    it('when the approver stops a running run, then it is cancelled but keeps its execution so batches already out are still recorded', function () {
      const submitted = submitForApproval(BULK_APPROVALS, pendingRun(), UMA, at(1), { channelId: 'sec', ttlInMs: 60_000 });
      assert.ok(submitted.ok);
      const approved = approve(BULK_APPROVALS, submitted.value, inChannel(PRIYA), at(2));
      assert.ok(approved.ok);
      const claimed = claimExecution(approved.value, 'exec', at(2), 60_000);
      assert.ok(claimed.ok);
      const sent = markSent(claimed.value, 'exec', [id(1)], at(3), 60_000);
      assert.deepEqual(cancelRun(sent, SAM, at(4)), { ok: false, error: 'not_requester' });
      const stopped = cancelRun(sent, PRIYA, at(4));
      assert.ok(stopped.ok);
      assert.equal(stopped.value.state, 'cancelled');
      assert.equal(stopped.value.completedAt, undefined);
      assert.equal(markSent(stopped.value, 'exec', [id(2)], at(5), 60_000), stopped.value);
      const recorded = recordResults(stopped.value, 'exec', [{ id: id(1), kind: 'revoked' }], at(5), LIMITS);
      assert.equal(recorded.items[0]?.status, 'revoked');
      assert.equal(isBulkFinal(stopped.value, at(5)), false);
      const finished = finishIfDone(recorded, at(6));
      assert.equal(finished.completedAt, at(6).toISOString());
      assert.deepEqual(reportOf(finished), { done: 1, failed: 0, remaining: 2, total: 3, verified: 0, notAttempted: 2, failures: [] });
    });
  });

  describe('execution lease', function () {
    it('when another execution holds a live lease, then a second claim is refused until the lease runs out or is released', function () {
      const run = runningRun(3, 'first');
      assert.deepEqual(claimExecution(run, 'second', at(30), 60_000), { ok: false, error: 'in_progress' });
      const late = claimExecution(run, 'second', at(61), 60_000);
      assert.ok(late.ok);
      assert.ok(holdsExecution(late.value, 'second'));
      assert.ok(!holdsExecution(late.value, 'first'));
      const released = releaseExecution(run, 'first', at(2));
      assert.ok(claimExecution(released, 'second', at(2), 60_000).ok);
      assert.equal(releaseExecution(run, 'someone-else', at(2)), run);
    });

    it('when a run is pending, completed or cancelled with nothing out, then no execution may claim it', function () {
      assert.deepEqual(claimExecution(pendingRun(), 'e', at(1), 60_000), { ok: false, error: 'already_decided' });
      const cancelled = cancelRun(pendingRun(), UMA, at(1));
      assert.ok(cancelled.ok);
      assert.deepEqual(claimExecution(cancelled.value, 'e', at(1), 60_000), { ok: false, error: 'already_decided' });
    });

    it('when the holder renews or stops, then the lease moves with it and a stop is recorded for the resume', function () {
      const run = runningRun();
      assert.equal(renewLease(run, 'exec-1', at(100), 60_000).execution?.leaseUntil, at(160).toISOString());
      assert.equal(renewLease(run, 'other', at(100), 60_000), run);
      const stopped = markStopped(run, 'exec-1', 'sign_in_expired', at(7));
      assert.deepEqual(stopped.stopped, { code: 'sign_in_expired', at: at(7).toISOString() });
      assert.equal(stopped.execution?.leaseUntil, at(7).toISOString());
      const again = claimExecution(stopped, 'exec-2', at(8), 60_000);
      assert.ok(again.ok);
      assert.equal(again.value.stopped, undefined);
    });
  });

  describe('items', function () {
    it('when a batch is marked sent, then only its pending items become sent with one more attempt and the send time', function () {
      const run = runningRun(3);
      const sent = markSent(run, 'exec-1', [id(1), id(2)], at(2), 60_000);
      assert.deepEqual(
        sent.items.map((i) => [i.status, i.attempts, i.sentAt]),
        [
          ['sent', 1, at(2).toISOString()],
          ['sent', 1, at(2).toISOString()],
          ['pending', 0, undefined],
        ],
      );
      assert.notEqual(sent, run, 'a change is a new run');
      assert.equal(markSent(sent, 'exec-1', [id(1)], at(3), 60_000), sent, 'an item already sent is not sent again');
      assert.equal(markSent(run, 'not-the-holder', [id(1)], at(2), 60_000), run);
    });

    it('when results come back, then 2xx is revoked, a refusal fails at once, a throttled item retries until its attempts run out', function () {
      let run = markSent(runningRun(3), 'exec-1', [id(1), id(2), id(3)], at(2), 60_000);
      run = recordResults(
        run,
        'exec-1',
        [
          { id: id(1), kind: 'revoked', graphRequestId: 'r1' },
          { id: id(2), kind: 'failed', code: 'forbidden', graphRequestId: 'r2' },
          { id: id(3), kind: 'retry', code: 'throttled' },
        ],
        at(3),
        LIMITS,
      );
      assert.deepEqual(
        run.items.map((i) => [i.status, i.code, i.graphRequestId]),
        [
          ['revoked', undefined, 'r1'],
          ['failed', 'forbidden', 'r2'],
          ['pending', 'throttled', undefined],
        ],
      );
      for (let attempt = 2; attempt <= 3; attempt += 1) {
        run = markSent(run, 'exec-1', [id(3)], at(3 + attempt), 60_000);
        run = recordResults(run, 'exec-1', [{ id: id(3), kind: 'retry', code: 'throttled' }], at(3 + attempt), LIMITS);
      }
      assert.deepEqual([run.items[2]?.status, run.items[2]?.attempts, run.items[2]?.code], ['failed', 3, 'throttled']);
      assert.deepEqual(progressOf(run), { done: 1, failed: 2, remaining: 0 });
    });

    it('when an item is requeued for a sign-in problem, then it goes back to pending whatever its attempts', function () {
      let run = runningRun(1);
      for (let n = 0; n < 3; n += 1)
        run = recordResults(
          markSent(run, 'exec-1', [id(1)], at(2 + n), 60_000),
          'exec-1',
          [{ id: id(1), kind: 'retry', code: 'graph_unavailable' }],
          at(2 + n),
          { ...LIMITS, maxAttempts: 9 },
        );
      run = recordResults(
        markSent(run, 'exec-1', [id(1)], at(9), 60_000),
        'exec-1',
        [{ id: id(1), kind: 'requeue', code: 'sign_in_expired' }],
        at(9),
        LIMITS,
      );
      assert.deepEqual([run.items[0]?.status, run.items[0]?.attempts], ['pending', 4]);
    });

    it('when a result arrives for an item that is not sent, or from another execution, then nothing changes', function () {
      const run = markSent(runningRun(2), 'exec-1', [id(1)], at(2), 60_000);
      assert.equal(recordResults(run, 'exec-1', [{ id: id(2), kind: 'revoked' }], at(3), LIMITS), run);
      assert.equal(recordResults(run, 'intruder', [{ id: id(1), kind: 'revoked' }], at(3), LIMITS), run);
      const revoked = recordResults(run, 'exec-1', [{ id: id(1), kind: 'revoked' }], at(3), LIMITS);
      assert.equal(
        recordResults(revoked, 'exec-1', [{ id: id(1), kind: 'failed', code: 'forbidden' }], at(4), LIMITS),
        revoked,
        'a settled item stays settled',
      );
    });

    it('when nothing is pending or sent any more, then the run completes and releases its lease; not before', function () {
      let run = markSent(runningRun(2), 'exec-1', [id(1), id(2)], at(2), 60_000);
      assert.equal(finishIfDone(run, at(3)), run);
      run = recordResults(
        run,
        'exec-1',
        [
          { id: id(1), kind: 'revoked', verified: true },
          { id: id(2), kind: 'failed', code: 'not_found' },
        ],
        at(3),
        LIMITS,
      );
      const done = finishIfDone(run, at(4));
      assert.equal(done.state, 'completed');
      assert.equal(done.completedAt, at(4).toISOString());
      assert.equal(done.execution?.leaseUntil, at(4).toISOString());
      const report = reportOf(done);
      assert.deepEqual(
        { ...report, failures: report.failures.map((f) => [f.id, f.code]) },
        { done: 1, failed: 1, remaining: 0, total: 2, verified: 1, notAttempted: 0, failures: [[id(2), 'not_found']] },
      );
    });
  });

  describe('summary for the confirmation card', function () {
    it('counts users per tier (unknown when memberships could not be read) and lists the admins and a sample of names', function () {
      const list: BulkTarget[] = [
        { id: id(1), userPrincipalName: 'a', displayName: 'A', tier: 'nonAdmin' },
        { id: id(2), userPrincipalName: 'b', displayName: 'B', tier: 'privilegedAdmin' },
        { id: id(3), userPrincipalName: 'c', displayName: 'C', tier: 'limitedAdmin' },
        { id: id(4), userPrincipalName: 'd', displayName: 'D' },
      ];
      const summary = summarize(list, 2);
      assert.equal(summary.total, 4);
      assert.deepEqual(summary.tiers, { nonAdmin: 1, limitedAdmin: 1, privilegedAdmin: 1, unknown: 1 });
      assert.deepEqual(summary.sample, ['A', 'B']);
      assert.deepEqual(
        summary.admins.map((a) => a.displayName),
        ['B', 'C'],
      );
    });
  });
});
