import assert from 'node:assert/strict';
import {
  approve,
  attachApprovalCard,
  reject as rejectWith,
  submitForApproval as submitWith,
  withdraw as withdrawWith,
  withdrawSubmission,
  type Approvable,
  type ApprovableKind,
  type Approver,
} from '../../src/domain/approval';
import { ok } from '../../src/domain/result';
import {
  beginExecution,
  cancel,
  completeApproval,
  createRequest,
  expireIfDue,
  REQUEST_APPROVALS,
  type RevocationRequest,
} from '../../src/domain/revocationRequest';
import type { PersonRef, SystemRequester } from '../../src/domain/people';

const T = '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10';
const helen: PersonRef = { tenantId: T, aadObjectId: '3b4c5d6e-7f80-4a9b-8c1d-2e3f4a5b6c88', name: 'Helen Helpdesk' };
const priya: PersonRef = { tenantId: T, aadObjectId: '7f8091a2-b3c4-4edf-8a5b-6c7d8e9fa0cc', name: 'Priya Privauth' };
const paul: PersonRef = { tenantId: T, aadObjectId: '5d6e7f80-91a2-4cbd-8e3f-4a5b6c7d8eaa', name: 'Paul Password' };
const stranger: PersonRef = { tenantId: '11111111-2222-4333-8444-555555555555', aadObjectId: priya.aadObjectId, name: 'Elsewhere' };
const t0 = new Date('2026-11-22T10:00:00Z');
const at = (minutes: number): Date => new Date(t0.getTime() + minutes * 60_000);
const DAY = 24 * 3600_000;
const CHANNEL = '19:sec@thread.tacv2';

/** A subject of another kind, asked for by a system source (the shape alert-driven requests will take). */
interface AlertRequest extends Approvable {
  readonly state: 'pending' | 'awaitingApproval' | 'acting' | 'rejected' | 'cancelled' | 'expired';
}
const ALERT_REQUESTS: ApprovableKind<AlertRequest> = {
  isExecuting: (a) => a.state === 'acting',
  begin: (a, approver, now) => ok({ ...a, state: 'acting', decidedBy: { ...approver }, decidedAt: now.toISOString() }),
};

/** A click on the approval card in the security channel (a thread of it, as Teams sends it). */
const inChannel = (person: PersonRef): Approver => ({ person, conversationId: `${CHANNEL};messageid=1700000000000` });
const submitForApproval = (
  r: RevocationRequest,
  by: PersonRef,
  now: Date,
  input: { channelId: string; reason?: string; ttlInMs: number },
) => submitWith(REQUEST_APPROVALS, r, by, now, input);
const beginApproval = (r: RevocationRequest, by: PersonRef, now: Date) => approve(REQUEST_APPROVALS, r, inChannel(by), now);
const reject = (r: RevocationRequest, by: PersonRef, now: Date, note?: string) =>
  rejectWith(REQUEST_APPROVALS, r, inChannel(by), now, note);
const withdraw = (r: RevocationRequest, by: PersonRef, now: Date) => withdrawWith(REQUEST_APPROVALS, r, by, now);

function pending(): RevocationRequest {
  return createRequest({
    id: 'r1',
    requester: helen,
    target: {
      id: 'adele',
      displayName: 'Adele Vance',
      userPrincipalName: 'adele@x',
      userType: 'Member',
      accountEnabled: true,
      tier: 'nonAdmin',
      roles: [],
    },
    now: t0,
    ttlInMs: 15 * 60_000,
  });
}

function submitted(): RevocationRequest {
  const r = submitForApproval(pending(), helen, at(1), { channelId: CHANNEL, reason: '  INC-42 ', ttlInMs: DAY });
  assert.ok(r.ok);
  return r.value;
}

describe('four-eyes approval rules', function () {
  it('when the requester submits, then the request waits for approval with the reason and a 24-hour deadline', function () {
    const r = submitted();
    assert.equal(r.state, 'awaitingApproval');
    assert.equal(r.approval?.reason, 'INC-42');
    assert.equal(r.expiresAt, new Date(at(1).getTime() + DAY).toISOString());
  });

  it('only the requester may submit, and only a pending request before its expiry', function () {
    assert.deepEqual(submitForApproval(pending(), priya, at(1), { channelId: 'c', ttlInMs: DAY }), { ok: false, error: 'not_requester' });
    assert.deepEqual(submitForApproval(pending(), helen, at(16), { channelId: 'c', ttlInMs: DAY }), { ok: false, error: 'expired' });
    assert.deepEqual(submitForApproval(submitted(), helen, at(2), { channelId: 'c', ttlInMs: DAY }), {
      ok: false,
      error: 'awaiting_approval',
    });
  });

  it('when the requester tries to approve or reject their own request, then it is refused', function () {
    assert.deepEqual(beginApproval(submitted(), helen, at(2)), { ok: false, error: 'self_approval' });
    assert.deepEqual(reject(submitted(), helen, at(2)), { ok: false, error: 'self_approval' });
  });

  it('when the requester tries to confirm it directly, then they are told it waits for an approver', function () {
    assert.deepEqual(beginExecution(submitted(), helen, at(2)), { ok: false, error: 'awaiting_approval' });
  });

  it('forged confirm or cancel by the requester on an approved request, even one left failed and retryable: refused, only the four-eyes flow moves it', function () {
    const running = beginApproval(submitted(), priya, at(2));
    assert.ok(running.ok);
    assert.deepEqual(beginExecution(running.value, helen, at(3)), { ok: false, error: 'in_progress' });
    // The state an interrupted approval was once abandoned to by the requester's confirm.
    const abandoned: RevocationRequest = { ...running.value, state: 'failed', outcome: { kind: 'refused', code: 'timeout' } };
    assert.deepEqual(beginExecution(abandoned, helen, at(3)), { ok: false, error: 'already_decided' });
    assert.deepEqual(cancel(abandoned, helen, at(3)), { ok: false, error: 'already_decided' });
  });

  it('when an approver approves, then it runs once; a second approver is told it is in progress', function () {
    const running = beginApproval(submitted(), priya, at(2));
    assert.ok(running.ok);
    assert.equal(running.value.state, 'executing');
    assert.equal(running.value.decidedBy?.name, 'Priya Privauth');
    assert.deepEqual(beginApproval(running.value, paul, at(2)), { ok: false, error: 'in_progress' });
    const done = completeApproval(running.value, { kind: 'revoked', at: at(2).toISOString() }, at(2));
    assert.equal(done.state, 'succeeded');
    assert.deepEqual(beginApproval(done, paul, at(3)), { ok: false, error: 'already_decided' });
  });

  it('when the approver lacks the role, then the request waits for another approver and records the attempt', function () {
    const running = beginApproval(submitted(), paul, at(2));
    assert.ok(running.ok);
    const after = completeApproval(running.value, { kind: 'refused', code: 'forbidden', graphRequestId: 'g1' }, at(2));
    assert.equal(after.state, 'awaitingApproval');
    assert.equal(after.decidedBy, undefined);
    assert.deepEqual(
      after.approval?.failedAttempts.map((a) => [a.by.name, a.code, a.graphRequestId]),
      [['Paul Password', 'forbidden', 'g1']],
    );
    assert.ok(beginApproval(after, priya, at(3)).ok);
  });

  it('when the target no longer exists, then the approved request fails for good', function () {
    const running = beginApproval(submitted(), priya, at(2));
    assert.ok(running.ok);
    assert.equal(completeApproval(running.value, { kind: 'refused', code: 'not_found' }, at(2)).state, 'failed');
  });

  it('when an approver rejects, then the note is kept and nobody can approve afterwards', function () {
    const rejected = reject(submitted(), priya, at(2), ' not our user ');
    assert.ok(rejected.ok);
    assert.equal(rejected.value.state, 'rejected');
    assert.equal(rejected.value.approval?.rejectReason, 'not our user');
    assert.deepEqual(beginApproval(rejected.value, paul, at(3)), { ok: false, error: 'already_decided' });
  });

  it('when a day passes, then the request expires and cannot be approved', function () {
    const r = submitted();
    const later = new Date(Date.parse(r.expiresAt) + 1000);
    assert.deepEqual(beginApproval(r, priya, later), { ok: false, error: 'expired' });
    assert.equal(expireIfDue(r, later).state, 'expired');
  });

  it('when an approver clicks the card anywhere but the security channel it went to, then it is refused', function () {
    assert.deepEqual(approve(REQUEST_APPROVALS, submitted(), { person: priya, conversationId: 'a:1on1-with-priya' }, at(2)), {
      ok: false,
      error: 'outside_approval_channel',
    });
    assert.deepEqual(rejectWith(REQUEST_APPROVALS, submitted(), { person: priya, conversationId: '19:other@thread.tacv2' }, at(2)), {
      ok: false,
      error: 'outside_approval_channel',
    });
    assert.ok(
      approve(REQUEST_APPROVALS, submitted(), { person: priya, conversationId: CHANNEL.toUpperCase() }, at(2)).ok,
      'channel ids compare ignoring case, with or without a thread',
    );
  });

  it('when a system source asked (an alert rule), then no one is excluded: any approver in the channel may act, once', function () {
    const alert: SystemRequester = { kind: 'system', tenantId: T, source: 'sentinel:rule-7', name: 'Sentinel alert' };
    const fromAlert: AlertRequest = { id: 'a1', tenantId: T, requester: alert, state: 'pending', expiresAt: at(15).toISOString() };
    const asked = submitWith(ALERT_REQUESTS, fromAlert, alert, at(1), { channelId: CHANNEL, ttlInMs: DAY });
    assert.ok(asked.ok);
    assert.deepEqual(
      submitWith(ALERT_REQUESTS, fromAlert, helen, at(1), { channelId: CHANNEL, ttlInMs: DAY }),
      { ok: false, error: 'not_requester' },
      'a person cannot submit what a system asked',
    );
    const first = approve(ALERT_REQUESTS, asked.value, inChannel(helen), at(2));
    assert.ok(first.ok, 'nobody is the requester, so nobody is refused as one');
    assert.equal(first.value.decidedBy?.name, 'Helen Helpdesk');
    assert.deepEqual(approve(ALERT_REQUESTS, first.value, inChannel(priya), at(2)), { ok: false, error: 'in_progress' });
  });

  it('an approver from another tenant is refused', function () {
    assert.deepEqual(beginApproval(submitted(), stranger, at(2)), { ok: false, error: 'wrong_tenant' });
  });

  it('a failed post goes back to pending with its old deadline; a card can be attached; the requester may withdraw', function () {
    const back = withdrawSubmission(submitted());
    assert.equal(back.state, 'pending');
    assert.equal(back.approval, undefined);
    assert.equal(attachApprovalCard(submitted(), { conversationId: 'c', activityId: 'a' }).approval?.card?.activityId, 'a');
    assert.deepEqual(withdraw(submitted(), priya, at(2)), { ok: false, error: 'not_requester' });
    const withdrawn = withdraw(submitted(), helen, at(2));
    assert.equal(withdrawn.ok && withdrawn.value.state, 'cancelled');
  });
});
