import assert from 'node:assert/strict';
import type { Client } from '@microsoft/microsoft-graph-client';
import { readBatchAnswer, readMemberships, revokeOutcome, stepFailure } from '../../src/graph/batchAnswers';
import { GraphBulk } from '../../src/graph/graphBulk';

const ID = '6e7b768e-07e2-4810-8459-485f84f8f204';

describe('reading Graph batch answers', function () {
  it('when steps come back in any order with any header case, then each is found by its id with its own Retry-After and request-id', function () {
    const answer = readBatchAnswer({
      responses: [
        {
          id: '2',
          status: 429,
          headers: { 'retry-after': '2.5', 'Content-Type': 'application/json' },
          body: { error: { code: 'TooManyRequests', innerError: { 'request-id': 'r-429' } } },
        },
        { id: '1', status: 200, headers: { 'Content-Type': 'application/json' }, body: { value: true } },
        {
          id: '3',
          status: 403,
          headers: {},
          body: { error: { code: 'Authorization_RequestDenied', innerError: { 'request-id': 'r-403' } } },
        },
        { status: 200 },
        'not a step',
      ],
    });
    assert.deepEqual([...answer.keys()], ['2', '1', '3']);
    assert.deepEqual(stepFailure(answer.get('2')), { code: 'throttled', status: 429, graphRequestId: 'r-429', retryAfterInSeconds: 2.5 });
    assert.deepEqual(stepFailure(answer.get('3')), {
      code: 'forbidden',
      status: 403,
      graphRequestId: 'r-403',
      retryAfterInSeconds: undefined,
    });
    assert.deepEqual(revokeOutcome(answer.get('1')), { ok: true, status: 200 });
  });

  it('when a revoke step answers 204, 404, 503 or 504, or is missing, then the outcome says so (a missing one is unexpected: its fate is unknown)', function () {
    const answer = readBatchAnswer({
      responses: [
        { id: '1', status: 204, headers: { 'request-id': 'r-204' } },
        { id: '2', status: 404, headers: {}, body: {} },
        { id: '3', status: 503, headers: {} },
        { id: '4', status: 504, headers: {} },
      ],
    });
    assert.deepEqual(revokeOutcome(answer.get('1')), { ok: true, status: 204, graphRequestId: 'r-204' });
    assert.equal(!revokeOutcome(answer.get('2')).ok && stepFailure(answer.get('2')).code, 'not_found');
    assert.equal(stepFailure(answer.get('3')).code, 'graph_unavailable');
    assert.equal(stepFailure(answer.get('4')).code, 'timeout');
    assert.deepEqual(revokeOutcome(answer.get('5')), { ok: false, error: { code: 'unexpected' } });
    assert.equal(readBatchAnswer('garbage').size, 0);
  });

  it('when memberships are read, then directory roles count by template id and a role-assignable group marks the user privileged', function () {
    const memberships = readMemberships({
      value: [
        {
          '@odata.type': '#microsoft.graph.directoryRole',
          roleTemplateId: 'FE930BE7-5E62-47DB-91AF-98C3A49A38B1',
          displayName: 'User Administrator',
        },
        { '@odata.type': '#microsoft.graph.group', isAssignableToRole: false },
        { '@odata.type': '#microsoft.graph.group', isAssignableToRole: true },
        { '@odata.type': '#microsoft.graph.directoryRole' },
        null,
      ],
    });
    assert.deepEqual(memberships, {
      roles: [{ templateId: 'fe930be7-5e62-47db-91af-98c3a49a38b1', displayName: 'User Administrator' }],
      inRoleAssignableGroup: true,
    });
    assert.deepEqual(readMemberships({}), { roles: [], inRoleAssignableGroup: false });
  });

  it('when revokeMany is asked for more than 20 users, the same user twice or something that is not an object id, then it refuses without calling Graph', async function () {
    let called = false;
    const client = { api: () => ((called = true), assert.fail('Graph must not be called')) } as unknown as Client;
    const bulk = new GraphBulk(client, 1000);
    const many = Array.from({ length: 21 }, (_, i) => `6e7b768e-07e2-4810-8459-${String(i).padStart(12, '0')}`);
    assert.deepEqual(await bulk.revokeMany(many), { ok: false, error: { code: 'bad_request' } });
    assert.deepEqual(await bulk.revokeMany([ID, ID.toUpperCase()]), { ok: false, error: { code: 'bad_request' } });
    assert.deepEqual(await bulk.revokeMany(['adele@contoso.com']), { ok: false, error: { code: 'bad_request' } });
    assert.deepEqual(await bulk.revokeMany([]), { ok: true, value: new Map() });
    assert.equal(called, false);
  });
});
