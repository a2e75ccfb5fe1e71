import assert from 'node:assert/strict';
import {
  RETRYABLE_FAILURE_CODES,
  abandonStaleExecution,
  beginExecution,
  canRetry,
  cancel,
  complete,
  createRequest,
  expireIfDue,
  isFinal,
  isOpen,
  recordVerification,
  type RevocationRequest,
  type TargetSnapshot,
} from '../../src/domain/revocationRequest';
import type { PersonRef } from '../../src/domain/people';
import type { RevocationFailureCode } from '../../src/domain/problems';
import type { Result } from '../../src/domain/result';

const TENANT = '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10';
const HELEN: PersonRef = {
  tenantId: TENANT,
  aadObjectId: '3b4c5d6e-7f80-4a9b-8c1d-2e3f4a5b6c88',
  name: 'Helen Helpdesk',
  userPrincipalName: 'helen@contoso.com',
};
const UMA: PersonRef = { tenantId: TENANT, aadObjectId: '4c5d6e7f-8091-4bac-9d2e-3f4a5b6c7d99', name: 'Uma Useradmin' };
const HELEN_ELSEWHERE: PersonRef = { ...HELEN, tenantId: '11111111-2222-3333-4444-555555555555' };
const TARGET: TargetSnapshot = {
  id: 'c0ffee00-0000-4000-8000-000000000001',
  displayName: 'Adele Vance',
  userPrincipalName: 'adele@contoso.com',
  userType: 'Member',
  accountEnabled: true,
  tier: 'nonAdmin',
  roles: [],
};

const T0 = new Date('2026-03-01T10:00:00.000Z');
const TTL_IN_MS = 5 * 60_000;
const at = (offsetInMs: number): Date => new Date(T0.getTime() + offsetInMs);
const ALL_CODES: RevocationFailureCode[] = [
  'forbidden',
  'not_found',
  'bad_request',
  'throttled',
  'graph_unavailable',
  'timeout',
  'consent_required',
  'interaction_required',
  'sign_in_expired',
  'token_invalid',
  'unexpected',
];

function fresh(): RevocationRequest {
  return createRequest({ id: 'req-1', requester: HELEN, target: TARGET, now: T0, ttlInMs: TTL_IN_MS });
}

function value<T, E>(result: Result<T, E>): T {
  assert.ok(result.ok, `expected success, got ${JSON.stringify(result)}`);
  return result.value;
}

function problem<T, E>(result: Result<T, E>): E {
  assert.ok(!result.ok, `expected a refusal, got ${JSON.stringify(result)}`);
  return result.error;
}

function executing(): RevocationRequest {
  return value(beginExecution(fresh(), HELEN, at(1000)));
}

function failedWith(code: RevocationFailureCode): RevocationRequest {
  return complete(executing(), { kind: 'refused', code }, at(2000));
}

describe('a revocation request', function () {
  describe('when created', function () {
    it('is pending, belongs to the requester tenant, and expires ttlInMs later', function () {
      const r = fresh();
      assert.equal(r.state, 'pending');
      assert.equal(r.tenantId, TENANT);
      assert.equal(r.createdAt, '2026-03-01T10:00:00.000Z');
      assert.equal(r.expiresAt, '2026-03-01T10:05:00.000Z');
      assert.equal(r.attempts, 0);
      assert.equal(r.decidedBy, undefined);
      assert.equal(r.outcome, undefined);
    });

    it('copies the requester and target, so later changes to the inputs do not leak in', function () {
      const target = { ...TARGET, roles: [{ templateId: 'x', displayName: 'X' }] };
      const r = createRequest({ id: 'r', requester: HELEN, target, now: T0, ttlInMs: TTL_IN_MS });
      target.roles[0]!.displayName = 'changed';
      target.displayName = 'changed';
      assert.equal(r.target.roles[0]?.displayName, 'X');
      assert.equal(r.target.displayName, 'Adele Vance');
    });

    it('with a negative or non-finite ttl, then it is born expired', function () {
      for (const ttlInMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
        const r = createRequest({ id: 'r', requester: HELEN, target: TARGET, now: T0, ttlInMs });
        assert.equal(r.expiresAt, r.createdAt);
        assert.equal(problem(beginExecution(r, HELEN, T0)), 'expired');
      }
    });

    it('with an invalid clock, then it throws a RangeError (a programming error)', function () {
      assert.throws(() => createRequest({ id: 'r', requester: HELEN, target: TARGET, now: new Date(Number.NaN), ttlInMs: 1 }), RangeError);
    });
  });

  describe('when the requester confirms', function () {
    it('then it becomes executing, records who and when, and counts the attempt', function () {
      const before = fresh();
      const snapshot = structuredClone(before);
      const r = value(beginExecution(before, HELEN, at(1000)));
      assert.equal(r.state, 'executing');
      assert.deepEqual(r.decidedBy, HELEN);
      assert.equal(r.decidedAt, '2026-03-01T10:00:01.000Z');
      assert.equal(r.attempts, 1);
      assert.deepEqual(before, snapshot, 'the input is not mutated');
    });

    it('with different letter case in the ids, then it is still the requester', function () {
      const shouty = { ...HELEN, tenantId: TENANT.toUpperCase(), aadObjectId: HELEN.aadObjectId.toUpperCase() };
      assert.equal(value(beginExecution(fresh(), shouty, at(1))).state, 'executing');
    });

    it('one millisecond before expiry, then it is accepted', function () {
      assert.equal(value(beginExecution(fresh(), HELEN, at(TTL_IN_MS - 1))).state, 'executing');
    });

    it('exactly at expiry, then it is refused as expired', function () {
      assert.equal(problem(beginExecution(fresh(), HELEN, at(TTL_IN_MS))), 'expired');
    });
  });

  describe('when someone else clicks', function () {
    it('from the same tenant, then it is refused as not_requester', function () {
      assert.equal(problem(beginExecution(fresh(), UMA, at(1))), 'not_requester');
      assert.equal(problem(cancel(fresh(), UMA, at(1))), 'not_requester');
    });

    it('from another tenant with the same object id, then it is refused as wrong_tenant', function () {
      assert.equal(problem(beginExecution(fresh(), HELEN_ELSEWHERE, at(1))), 'wrong_tenant');
      assert.equal(problem(cancel(fresh(), HELEN_ELSEWHERE, at(1))), 'wrong_tenant');
    });

    it('with empty ids, then it is never taken for the requester', function () {
      const r = createRequest({ id: 'r', requester: { ...HELEN, aadObjectId: '' }, target: TARGET, now: T0, ttlInMs: TTL_IN_MS });
      assert.equal(problem(beginExecution(r, { ...HELEN, aadObjectId: '' }, at(1))), 'not_requester');
    });

    it('after expiry, then it learns it is not theirs, not that it expired', function () {
      assert.equal(problem(beginExecution(fresh(), UMA, at(TTL_IN_MS + 1))), 'not_requester');
    });
  });

  describe('while executing', function () {
    it('when confirmed again, then it is refused as in_progress: executions never overlap', function () {
      assert.equal(problem(beginExecution(executing(), HELEN, at(1500))), 'in_progress');
    });

    it('when cancelled, then it is refused as in_progress', function () {
      assert.equal(problem(cancel(executing(), HELEN, at(1500))), 'in_progress');
    });

    it('when time passes the expiry, then it does not expire under the running call', function () {
      const r = executing();
      assert.equal(expireIfDue(r, at(TTL_IN_MS * 10)), r);
    });
  });

  describe('when the execution completes', function () {
    it('with revoked, then it succeeded and is final', function () {
      const r = complete(executing(), { kind: 'revoked', at: '2026-03-01T10:00:02.000Z', graphRequestId: 'g-1' }, at(2000));
      assert.equal(r.state, 'succeeded');
      assert.deepEqual(r.outcome, { kind: 'revoked', at: '2026-03-01T10:00:02.000Z', graphRequestId: 'g-1' });
      assert.equal(r.completedAt, '2026-03-01T10:00:02.000Z');
      assert.equal(problem(beginExecution(r, HELEN, at(3000))), 'already_decided');
      assert.equal(problem(cancel(r, HELEN, at(3000))), 'already_decided');
      assert.equal(isFinal(r, at(3000)), true);
    });

    it('after the expiry time, then the result is still recorded', function () {
      const r = complete(executing(), { kind: 'revoked', at: 'x' }, at(TTL_IN_MS * 2));
      assert.equal(r.state, 'succeeded');
    });

    it('twice, then the second completion changes nothing', function () {
      const done = complete(executing(), { kind: 'revoked', at: 'x' }, at(2000));
      assert.equal(complete(done, { kind: 'refused', code: 'unexpected' }, at(3000)), done);
    });

    it('on a request that never started, then nothing changes', function () {
      const r = fresh();
      assert.equal(complete(r, { kind: 'revoked', at: 'x' }, at(2000)), r);
    });

    it('with refused, then it failed and keeps the roles needed', function () {
      const r = complete(
        executing(),
        { kind: 'refused', code: 'forbidden', rolesNeeded: [{ templateId: 'a', displayName: 'A' }] },
        at(2000),
      );
      assert.equal(r.state, 'failed');
      assert.deepEqual(r.outcome, { kind: 'refused', code: 'forbidden', rolesNeeded: [{ templateId: 'a', displayName: 'A' }] });
    });
  });

  describe('after a failure', function () {
    it('the retryable codes are exactly throttled, graph_unavailable, timeout, sign_in_expired, interaction_required, consent_required and forbidden', function () {
      assert.deepEqual([...RETRYABLE_FAILURE_CODES].sort(), [
        'consent_required',
        'forbidden',
        'graph_unavailable',
        'interaction_required',
        'sign_in_expired',
        'throttled',
        'timeout',
      ]);
    });

    for (const code of ALL_CODES) {
      const retryable = RETRYABLE_FAILURE_CODES.has(code);
      it(`with ${code}, then the requester ${retryable ? 'may retry before expiry' : 'may not retry'}`, function () {
        const failed = failedWith(code);
        assert.equal(failed.state, 'failed');
        assert.equal(canRetry(failed, at(3000)), retryable);
        const retry = beginExecution(failed, HELEN, at(3000));
        if (retryable) {
          const again = value(retry);
          assert.equal(again.state, 'executing');
          assert.equal(again.attempts, 2);
          assert.equal(again.outcome, undefined, 'the old outcome is cleared while the retry runs');
          assert.equal(value(cancel(failed, HELEN, at(3000))).state, 'cancelled');
          assert.equal(problem(beginExecution(failed, UMA, at(3000))), 'not_requester');
        } else {
          assert.equal(problem(retry), 'already_decided');
          assert.equal(problem(cancel(failed, HELEN, at(3000))), 'already_decided');
          assert.equal(isFinal(failed, at(3000)), true);
        }
      });
    }

    it('with a retryable code, when the expiry passes, then it expires and keeps the last outcome', function () {
      const failed = failedWith('throttled');
      assert.equal(canRetry(failed, at(TTL_IN_MS)), false);
      assert.equal(problem(beginExecution(failed, HELEN, at(TTL_IN_MS))), 'expired');
      const expired = expireIfDue(failed, at(TTL_IN_MS));
      assert.equal(expired.state, 'expired');
      assert.deepEqual(expired.outcome, { kind: 'refused', code: 'throttled' });
    });

    it('with a final code, when the expiry passes, then it stays failed', function () {
      const failed = failedWith('not_found');
      assert.equal(expireIfDue(failed, at(TTL_IN_MS * 2)), failed);
    });

    it('when a retry succeeds, then it succeeded after two attempts', function () {
      const retried = value(beginExecution(failedWith('graph_unavailable'), HELEN, at(3000)));
      const done = complete(retried, { kind: 'revoked', at: 'x' }, at(4000));
      assert.equal(done.state, 'succeeded');
      assert.equal(done.attempts, 2);
    });
  });

  describe('when cancelled', function () {
    it('by the requester, then it is cancelled with who and when, and final', function () {
      const r = value(cancel(fresh(), HELEN, at(1000)));
      assert.equal(r.state, 'cancelled');
      assert.deepEqual(r.decidedBy, HELEN);
      assert.equal(r.decidedAt, '2026-03-01T10:00:01.000Z');
      assert.equal(problem(beginExecution(r, HELEN, at(2000))), 'already_decided');
      assert.equal(problem(cancel(r, HELEN, at(2000))), 'already_decided');
    });

    it('after expiry, then it is refused as expired', function () {
      assert.equal(problem(cancel(fresh(), HELEN, at(TTL_IN_MS))), 'expired');
    });
  });

  describe('expiry', function () {
    it('when due, then a pending request expires; before that it is returned unchanged', function () {
      const r = fresh();
      assert.equal(expireIfDue(r, at(TTL_IN_MS - 1)), r);
      const expired = expireIfDue(r, at(TTL_IN_MS));
      assert.equal(expired.state, 'expired');
      assert.equal(r.state, 'pending', 'the input is not mutated');
      assert.equal(problem(beginExecution(expired, HELEN, at(1))), 'expired');
      assert.equal(isOpen(expired), false);
    });

    it('when already expired, then expiring again changes nothing', function () {
      const expired = expireIfDue(fresh(), at(TTL_IN_MS));
      assert.equal(expireIfDue(expired, at(TTL_IN_MS * 3)), expired);
    });

    it('when the clock is invalid, then a decision is refused rather than allowed', function () {
      assert.equal(problem(beginExecution(fresh(), HELEN, new Date(Number.NaN))), 'expired');
    });
  });

  describe('a stale execution (the process died mid-call)', function () {
    it('when older than the limit, then it fails with timeout and can be retried', function () {
      const r = executing(); // started at +1 s
      assert.equal(abandonStaleExecution(r, at(1000 + 59_999), 60_000), r);
      const abandoned = abandonStaleExecution(r, at(1000 + 60_000), 60_000);
      assert.equal(abandoned.state, 'failed');
      assert.deepEqual(abandoned.outcome, { kind: 'refused', code: 'timeout' });
      assert.equal(canRetry(abandoned, at(1000 + 60_000)), true);
    });

    it('when the request is not executing, then nothing changes', function () {
      const r = fresh();
      assert.equal(abandonStaleExecution(r, at(TTL_IN_MS * 5), 1), r);
    });
  });

  describe('when the read-back after the revoke is recorded', function () {
    const revoked = (): RevocationRequest => complete(executing(), { kind: 'revoked', at: at(2000).toISOString() }, at(2000));

    it('then a succeeded request awaiting it says whether the directory shows the revoke', function () {
      const verified = recordVerification(revoked(), { validFromAfter: at(1000).toISOString(), verified: true });
      assert.deepEqual(verified.outcome, {
        kind: 'revoked',
        at: at(2000).toISOString(),
        validFromAfter: at(1000).toISOString(),
        verified: true,
      });
      assert.equal(verified.state, 'succeeded');
    });

    it('then the first one recorded stays: a second read-back changes nothing', function () {
      const first = recordVerification(revoked(), { verified: false });
      assert.equal(recordVerification(first, { validFromAfter: at(1000).toISOString(), verified: true }), first);
    });

    it('then a request that did not succeed is left as it was: a verification never changes a decision', function () {
      for (const r of [fresh(), executing(), failedWith('forbidden')]) assert.equal(recordVerification(r, { verified: true }), r);
    });
  });

  it('every transition returns a new request and leaves the one it was given as it was (stores compare-and-set on their etag)', function () {
    const steps: RevocationRequest[] = [fresh()];
    const copies: string[] = [JSON.stringify(steps[0])];
    const next = (r: RevocationRequest): void => {
      copies.push(JSON.stringify(r));
      steps.push(r);
    };
    next(value(beginExecution(steps[0]!, HELEN, at(1))));
    next(complete(steps[1]!, { kind: 'refused', code: 'throttled' }, at(2)));
    next(value(beginExecution(steps[2]!, HELEN, at(3))));
    next(complete(steps[3]!, { kind: 'refused', code: 'timeout' }, at(4)));
    next(value(cancel(steps[4]!, HELEN, at(5))));
    assert.deepEqual(
      steps.map((s) => JSON.stringify(s)),
      copies,
      'no transition changed a request it was given',
    );
    for (let i = 1; i < steps.length; i += 1) assert.notEqual(steps[i], steps[i - 1]);
    assert.deepEqual(
      steps.map((s) => s.state),
      ['pending', 'executing', 'failed', 'executing', 'failed', 'cancelled'],
    );
  });
});
