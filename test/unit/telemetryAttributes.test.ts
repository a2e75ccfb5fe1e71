import assert from 'node:assert/strict';
import { allowedAttributes, ATTRIBUTE_RULES, isAllowedSpanName } from '../../src/observability/attributes';
import { METRICS } from '../../src/observability/metrics';

const OBJECT_ID = '6e0a3f52-1b7c-4d3e-9f10-2a3b4c5d6e7f';
const JWT =
  'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJvaWQiOiI2ZTBhM2Y1MiIsInVwbiI6ImFkZWxlQGNvbnRvc28uY29tIn0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';
/**
 * Values that must never be exported, whatever attribute they are offered as. (Routes and codes
 * are checked by shape: their values come from the code's own closed sets, never from people.)
 */
const PERSONAL = [
  'adele.vance@contoso.onmicrosoft.com',
  'Adele Vance',
  'Vance, Adele',
  `Bearer ${JWT}`,
  JWT,
  'Xk8Q~s3cr3t.client-secret_value',
  '+1 425 555 0100',
];

describe('the telemetry attribute allow-list', function () {
  it('when attributes are well-formed and listed, then they pass unchanged', function () {
    const given = {
      'revoker.turn.kind': 'invoke',
      'revoker.turn.route': 'revocation.confirm',
      'revoker.tenant.id': OBJECT_ID,
      'enduser.id': OBJECT_ID,
      'http.request.method': 'POST',
      'url.template': '/users/{id}/revokeSignInSessions',
      'server.address': 'graph.microsoft.com',
      'server.port': 443,
      'http.response.status_code': 429,
      'error.type': '429',
      'revoker.revocation.outcome': 'failed',
      'revoker.failure.code': 'forbidden',
      'revoker.refusal.code': 'self_approval',
      'revoker.audit.action': 'request.refused',
      'revoker.bulk.status': 'remaining',
      'revoker.bulk.run.id': OBJECT_ID,
      'revoker.storage.operation': 'audit.append',
    };
    assert.deepEqual(allowedAttributes(given), given);
    assert.deepEqual(Object.keys(given).sort(), Object.keys(ATTRIBUTE_RULES).sort(), 'every rule is exercised');
    assert.deepEqual(allowedAttributes({ 'revoker.turn.route': 'revoke group', 'url.template': "/users('{id}')" }), {
      'revoker.turn.route': 'revoke group',
    });
    assert.deepEqual(allowedAttributes({ 'url.template': '/users({id})', 'error.type': 'StorageUnavailableError' }), {
      'url.template': '/users({id})',
      'error.type': 'StorageUnavailableError',
    });
  });

  it('when a UPN, a display name, a token or a secret is offered under any listed name, then it is dropped', function () {
    for (const name of Object.keys(ATTRIBUTE_RULES))
      for (const value of PERSONAL) assert.deepEqual(allowedAttributes({ [name]: value }), {}, `${name} = ${value}`);
  });

  it('when an attribute is not listed, then it is dropped whatever its value (deny by default)', function () {
    assert.deepEqual(
      allowedAttributes({
        'url.full': 'https://graph.microsoft.com/v1.0/users/adele%40contoso.com',
        'user.name': 'Adele',
        'revoker.target.upn': 'adele@contoso.com',
        'http.request.header.authorization': 'Bearer x',
        'enduser.id': undefined,
        'server.port': 0,
        'http.response.status_code': 200.5,
        'revoker.turn.kind': 'typing',
      }),
      {},
    );
  });

  it('when a span is named, then only the turn, Graph and storage shapes are allowed', function () {
    for (const name of ['turn', 'turn revoke', 'turn revoke department', 'turn signin/tokenExchange', 'GET /users/{id}', 'POST /$batch'])
      assert.ok(isAllowedSpanName(name), name);
    assert.ok(isAllowedSpanName('storage state.replace'));
    for (const name of [
      'turn revoke adele@contoso.com',
      'GET /users/adele%40contoso.com',
      'Adele Vance',
      `turn ${JWT}`,
      'GET /users/6e0a3f52',
    ])
      assert.ok(!isAllowedSpanName(name), name);
  });

  it('when a metric is defined, then it is broken down only by listed attributes, and never by an object id', function () {
    for (const [name, metric] of Object.entries(METRICS)) {
      for (const attribute of metric.attributes) assert.ok(Object.hasOwn(ATTRIBUTE_RULES, attribute), `${name}: ${attribute}`);
      for (const personal of ['enduser.id', 'revoker.tenant.id'])
        assert.ok(!(metric.attributes as readonly string[]).includes(personal), name);
    }
  });
});
