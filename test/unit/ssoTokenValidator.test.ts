import assert from 'node:assert/strict';
import type { JWTPayload } from 'jose';
import { EmulatedServer, json } from '../../emulator/httpServer';
import { SigningKeySet } from '../../emulator/signingKeys';
import { SsoTokenValidator } from '../../src/identity/ssoTokenValidator';
import { ManualClock } from '../helpers/clock';
import { testTls } from '../helpers/tls';

const TENANT = '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10';
const OTHER_TENANT = '11111111-2222-4333-8444-555555555555';
const APP = '3f1e2d4c-5b6a-4978-8a9b-0c1d2e3f4a5b';
const USER = '6e7b768e-07e2-4810-8459-485f84f8f204';

describe('SSO token validator', function () {
  let server: EmulatedServer;
  let keys: SigningKeySet;
  let validator: SsoTokenValidator;
  // Tokens are stamped and checked on one fixed clock: the calendar plays no part.
  const clock = new ManualClock();
  const epochSeconds = (): number => Math.floor(clock.now().getTime() / 1000);

  before(async function () {
    const { server: cert } = await testTls();
    keys = await SigningKeySet.create();
    server = new EmulatedServer({ name: 'keys', tls: cert });
    server.route('keys', 'GET', '/:tenant/discovery/v2.0/keys', () => json(200, keys.jwks()));
    await server.listen();
    validator = new SsoTokenValidator({
      authorityHost: server.baseUrl,
      appId: APP,
      ssoAppIdUri: `api://botid-${APP}`,
      allowedTenants: [TENANT],
      clock,
    });
  });

  after(async function () {
    await server.close();
  });

  function claims(overrides: JWTPayload = {}): JWTPayload {
    const now = epochSeconds();
    return {
      iss: `${server.baseUrl}/${TENANT}/v2.0`,
      aud: APP,
      tid: TENANT,
      oid: USER,
      scp: 'access_as_user',
      preferred_username: 'adele@contoso.onmicrosoft.com',
      name: 'Adele Vance',
      ver: '2.0',
      iat: now,
      nbf: now,
      exp: now + 3600,
      ...overrides,
    };
  }

  const expected = { tenantId: TENANT, aadObjectId: USER };

  it('accepts a token for this app, tenant and person, and says who it is', async function () {
    const result = await validator.verify(await keys.sign(claims()), expected);
    assert.equal(result.ok, true);
    if (result.ok) {
      assert.equal(result.user.aadObjectId, USER);
      assert.equal(result.user.userPrincipalName, 'adele@contoso.onmicrosoft.com');
    }
  });

  it('accepts the Application ID URI as audience (v1-style aud)', async function () {
    const result = await validator.verify(await keys.sign(claims({ aud: `api://botid-${APP}` })), expected);
    assert.equal(result.ok, true);
  });

  const refusals: [string, () => Promise<string>, typeof expected, string][] = [
    ['a token of another person', async () => keys.sign(claims({ oid: 'e3d0513b-449e-4198-ba6f-bd97ae7cae85' })), expected, 'subject'],
    ['a token for another app', async () => keys.sign(claims({ aud: '00000003-0000-0000-c000-000000000000' })), expected, 'audience'],
    [
      'an expired token',
      async () => keys.sign(claims({ exp: epochSeconds() - 3600, iat: epochSeconds() - 7200, nbf: epochSeconds() - 7200 })),
      expected,
      'expired',
    ],
    [
      'a token from another issuer',
      async () => keys.sign(claims({ iss: `https://login.microsoftonline.com/${TENANT}/v2.0` })),
      expected,
      'issuer',
    ],
    ['a forged signature under a genuine key id', async () => keys.sign(claims(), { forge: true }), expected, 'signature'],
    ['an app-only token (no scp)', async () => keys.sign(claims({ scp: undefined, idtyp: 'app' })), expected, 'not_user_token'],
    ['a token whose tid differs from the conversation', async () => keys.sign(claims({ tid: OTHER_TENANT })), expected, 'tenant'],
    [
      'a conversation from a tenant that is not served',
      async () => keys.sign(claims()),
      { tenantId: OTHER_TENANT, aadObjectId: USER },
      'tenant',
    ],
    [
      'an unsigned token (alg none)',
      async () => {
        const [, body] = (await keys.sign(claims())).split('.');
        return `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${String(body)}.`;
      },
      expected,
      'malformed',
    ],
    ['text that is not a JWT', async () => 'not-a-token', expected, 'malformed'],
  ];

  for (const [what, make, who, problem] of refusals) {
    it(`refuses ${what} (${problem})`, async function () {
      const result = await validator.verify(await make(), who);
      assert.deepEqual(result, { ok: false, problem });
    });
  }
});
