import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { GraphError } from '@microsoft/microsoft-graph-client';
import { AuditTrail } from '../../src/app/auditTrail';
import { StorageUnavailableError, type AuditEntry, type AuditLog, type AuditRecord } from '../../src/app/ports/auditLog';
import { failureFromError } from '../../src/graph/graphErrors';
import { jsonDepth } from '../../src/http/boundedBody';
import { DelegatedSessions } from '../../src/identity/delegatedSessions';
import { createLogger, maskSecrets } from '../../src/observability/logger';
import { FakeDirectory } from '../helpers/fakeDirectory';
import { ManualClock } from '../helpers/clock';

const FAKE_JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGVsZSJ9.c2lnbmF0dXJlLXBhcnQtaGVyZQ';

describe('logging never carries a token', function () {
  it('masks JWTs and bearer headers in messages, fields and errors', function () {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ destination: sink, level: 'debug' });
    logger.info(`token is ${FAKE_JWT}`);
    logger.info({ token: FAKE_JWT, nested: { authorization: `Bearer ${FAKE_JWT}` } }, 'fields');
    logger.error({ err: new Error(`AADSTS50013: assertion ${FAKE_JWT} bad`) }, 'oops');
    const all = lines.join('');
    assert.ok(!all.includes(FAKE_JWT), all);
    assert.ok(!all.includes('c2lnbmF0dXJl'));
    assert.match(all, /AADSTS50013/);
    assert.equal(maskSecrets('Authorization: Bearer abcdefghijkl'), 'Authorization: Bearer [redacted]');
  });
});

describe('Graph and Entra errors become directory failure codes', function () {
  function graphError(status: number, code: string, headers?: Record<string, string>): GraphError {
    const e = new GraphError(status, 'message');
    e.code = code;
    e.requestId = 'rid-1';
    if (headers) e.headers = new Headers(headers);
    return e;
  }
  const cases: [string, unknown, string][] = [
    ['403 Authorization_RequestDenied', graphError(403, 'Authorization_RequestDenied'), 'forbidden'],
    ['404', graphError(404, 'Request_ResourceNotFound'), 'not_found'],
    ['400', graphError(400, 'Request_BadRequest'), 'bad_request'],
    ['429', graphError(429, 'TooManyRequests', { 'Retry-After': '2.5' }), 'throttled'],
    ['503', graphError(503, 'serviceNotAvailable'), 'graph_unavailable'],
    ['504', graphError(504, 'gatewayTimeout'), 'timeout'],
    [
      'consent (AADSTS65001)',
      Object.assign(new Error('invalid_grant: AADSTS65001: The user or administrator has not consented'), {
        name: 'AuthenticationRequiredError',
      }),
      'consent_required',
    ],
    [
      'MFA (AADSTS50076)',
      Object.assign(new Error('interaction_required: AADSTS50076: MFA'), { name: 'AuthenticationRequiredError' }),
      'interaction_required',
    ],
    [
      'expired assertion (AADSTS500133)',
      Object.assign(new Error('AADSTS500133: Assertion is not within its valid time range'), { name: 'AuthenticationRequiredError' }),
      'sign_in_expired',
    ],
    [
      'bad secret (AADSTS7000215)',
      Object.assign(new Error('invalid_client: AADSTS7000215: Invalid client secret'), { name: 'AuthenticationRequiredError' }),
      'bot_misconfigured',
    ],
    ['a time-out', Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }), 'timeout'],
    ['a refused connection', new Error('fetch failed: connect ECONNREFUSED 127.0.0.1:1'), 'graph_unavailable'],
    ['anything else', new Error('surprise'), 'unexpected'],
  ];
  for (const [what, error, code] of cases) {
    it(`maps ${what} to ${code}`, function () {
      assert.equal(failureFromError(error).code, code);
    });
  }
  it('keeps Graph’s request id and Retry-After', function () {
    const failure = failureFromError(graphError(429, 'TooManyRequests', { 'Retry-After': '2.5' }));
    assert.equal(failure.graphRequestId, 'rid-1');
    assert.equal(failure.retryAfterInSeconds, 2.5);
  });
});

describe('request bodies are held to a nesting depth', function () {
  it('counts depth without recursion, stopping past the limit', function () {
    assert.equal(jsonDepth({ a: { b: [1, { c: 2 }] } }, 32), 4);
    let deep: unknown = {};
    for (let i = 0; i < 100_000; i += 1) deep = { d: deep };
    assert.ok(jsonDepth(deep, 32) > 32);
  });
});

describe('delegated sessions', function () {
  const user = (oid: string, exp: number) => ({ tenantId: 't', aadObjectId: oid, expiresAt: exp });
  function sessions(clock: ManualClock, max = 2): DelegatedSessions {
    return new DelegatedSessions({
      authorityHost: 'https://login.example',
      appId: 'a',
      appPassword: 'p',
      makeGateway: () => new FakeDirectory('x'),
      maxSessions: max,
      clock,
    });
  }

  it('reuses the session for the same person and token, and replaces it for a new token', function () {
    const s = sessions(new ManualClock(new Date(1_000_000)));
    const first = s.open(user('o1', 5000), 'a.b.signature-one');
    assert.equal(s.open(user('o1', 5000), 'a.b.signature-one'), first);
    assert.notEqual(s.open(user('o1', 5000), 'a.b.signature-two'), first);
    assert.equal(s.find('t', 'o1')?.user.aadObjectId, 'o1');
  });

  it('forgets sessions near their expiry, and the least recently used beyond the bound', function () {
    const clock = new ManualClock(new Date(1_000_000));
    const s = sessions(clock);
    s.open(user('o1', 1000 + 3600), 'x.y.z1');
    s.open(user('o2', 1000 + 3600), 'x.y.z2');
    s.find('t', 'o1');
    s.open(user('o3', 1000 + 3600), 'x.y.z3');
    assert.equal(s.find('t', 'o2'), undefined, 'o2 was least recently used');
    clock.set(new Date((1000 + 3600 - 60) * 1000));
    assert.equal(s.find('t', 'o1'), undefined, 'within the expiry margin');
  });
});

describe('audit trail', function () {
  it('keeps an after-the-fact record that the log refused and writes it once the log recovers', async function () {
    const written: AuditEntry[] = [];
    let failing = true;
    const log: AuditLog = {
      async append(entry: AuditEntry): Promise<AuditRecord> {
        if (failing) throw new StorageUnavailableError('disk full');
        written.push(entry);
        return { ...entry, seq: written.length, id: String(written.length), prevHash: '0'.repeat(64), hash: '0'.repeat(64) };
      },
      list: async () => [],
    };
    const deferred: string[] = [];
    const trail = new AuditTrail({ log, retryDelaysInMs: [1, 1], onDeferred: (e) => deferred.push(e.action), clock: new ManualClock() });
    await trail.after({ tenantId: 't', action: 'revocation.succeeded', outcome: 'ok' });
    assert.equal(trail.pending, 1);
    assert.deepEqual(deferred, ['revocation.succeeded']);
    failing = false;
    await trail.close();
    assert.equal(trail.pending, 0);
    assert.deepEqual(
      written.map((e) => e.action),
      ['revocation.succeeded'],
    );
  });

  it('refuses to go ahead when a before-the-fact record cannot be written', async function () {
    const log: AuditLog = {
      append: async () => {
        throw new Error('disk full');
      },
      list: async () => [],
    };
    await assert.rejects(
      new AuditTrail({ log, clock: new ManualClock() }).before({ tenantId: 't', action: 'revocation.started', outcome: 'info' }),
    );
  });
});
