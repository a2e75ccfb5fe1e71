import assert from 'node:assert/strict';
import { verifyRevocation } from '../../src/app/revocation/verifyRevocation';
import { FakeDirectory } from '../helpers/fakeDirectory';

describe('verifying a revocation by reading it back', function () {
  const started = new Date('2026-11-22T10:00:00.400Z');
  function directoryWith(validFrom?: string): FakeDirectory {
    const d = new FakeDirectory('me');
    d.add({ id: 'adele', displayName: 'Adele', userPrincipalName: 'adele@x', signInSessionsValidFrom: validFrom });
    return d;
  }

  it('when the valid-from time moved to the revoke time (whole seconds), then it is verified', async function () {
    assert.deepEqual(await verifyRevocation(directoryWith('2026-11-22T10:00:00Z'), { kind: 'objectId', id: 'adele' }, started), {
      validFromAfter: '2026-11-22T10:00:00Z',
      verified: true,
    });
  });

  it('when Graph still shows an older time, then it is not verified and says which time', async function () {
    assert.deepEqual(await verifyRevocation(directoryWith('2026-01-05T08:00:00Z'), { kind: 'objectId', id: 'adele' }, started), {
      validFromAfter: '2026-01-05T08:00:00Z',
      verified: false,
    });
  });

  it('when the user cannot be read, then it is simply not verified', async function () {
    assert.deepEqual(await verifyRevocation(directoryWith(undefined), { kind: 'objectId', id: 'adele' }, started), { verified: false });
    assert.deepEqual(await verifyRevocation(directoryWith('x'), { kind: 'objectId', id: 'nobody' }, started), { verified: false });
  });
});
