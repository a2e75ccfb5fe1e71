import assert from 'node:assert/strict';
import { AuthenticationError } from '@azure/identity';
import { GraphError } from '@microsoft/microsoft-graph-client';
import { failureFromError } from '../../src/graph/graphErrors';

describe('mapping faults to failure codes', function () {
  it('when the Graph client reports a fetch aborted by its time-out (GraphError, statusCode -1, code TimeoutError), then it is a time-out', function () {
    const error = new GraphError(-1, 'The operation was aborted due to timeout');
    error.code = 'TimeoutError';
    assert.equal(failureFromError(error).code, 'timeout');
  });

  it('when Entra answers 5xx with no AADSTS code we know, then Microsoft 365 is unavailable rather than “unexpected”', function () {
    const error = new AuthenticationError(503, { error: 'temporarily_unavailable', error_description: 'The service is busy.' });
    assert.equal(failureFromError(error).code, 'graph_unavailable');
  });

  it('when Entra refuses with a 4xx, then it is not mistaken for an outage', function () {
    const error = new AuthenticationError(400, { error: 'invalid_request', error_description: 'Something odd.' });
    assert.notEqual(failureFromError(error).code, 'graph_unavailable');
  });
});
