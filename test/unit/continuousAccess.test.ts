import assert from 'node:assert/strict';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import type { DirectoryGateway } from '../../src/app/ports/directory';
import { claimsFromChallenge, parseChallenges } from '../../src/graph/claimsChallenge';
import { ContinuousAccessCredential } from '../../src/identity/continuousAccessCredential';
import { DelegatedSessions } from '../../src/identity/delegatedSessions';
import type { VerifiedUser } from '../../src/identity/ssoTokenValidator';
import { ManualClock } from '../helpers/clock';

const REVOCATION_CLAIMS = '{"access_token":{"nbf":{"essential":true, "value":"1748940000"}}}';
const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
/** Graph's challenge as SDK test fixtures replay it. */
const GRAPH_CHALLENGE = `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000", error_description="Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp", error="insufficient_claims", claims="${base64(REVOCATION_CLAIMS)}"`;

describe('Graph’s claims challenge', function () {
  it('when Graph challenges a revoked token, then the claims are read back as the JSON a token request passes on', function () {
    assert.equal(claimsFromChallenge(GRAPH_CHALLENGE), REVOCATION_CLAIMS);
  });

  it('when the header holds another challenge first (e.g. a PoP nonce), then the Bearer one is still found', function () {
    assert.equal(claimsFromChallenge(`PoP realm="", nonce="eyJhbGciOi", ${GRAPH_CHALLENGE}`), REVOCATION_CLAIMS);
    assert.deepEqual(
      parseChallenges('PoP nonce="a\\"b", Bearer error="insufficient_claims", claims=abc').map((c) => [
        c.scheme,
        Object.fromEntries(c.params),
      ]),
      [
        ['pop', { nonce: 'a"b' }],
        ['bearer', { error: 'insufficient_claims', claims: 'abc' }],
      ],
    );
  });

  it('when the 401 is an ordinary one (no insufficient_claims), or its claims are not base64 JSON, then there is nothing to redeem', function () {
    assert.equal(
      claimsFromChallenge(
        'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
      ),
      undefined,
    );
    assert.equal(claimsFromChallenge(`Bearer error="invalid_token", claims="${base64(REVOCATION_CLAIMS)}"`), undefined);
    assert.equal(claimsFromChallenge('Bearer error="insufficient_claims", claims="not base64!"'), undefined);
    assert.equal(claimsFromChallenge(`Bearer error="insufficient_claims", claims="${base64('[1,2]')}"`), undefined);
    assert.equal(claimsFromChallenge(null), undefined);
  });

  it('a hostile WWW-Authenticate header (huge, unterminated quotes, endless commas) is read in one pass and yields nothing', function () {
    const hostile = [
      `Bearer error="insufficient_claims", claims="${'A'.repeat(20_000)}"`,
      `Bearer ${'a="'.repeat(5000)}`,
      ','.repeat(15_000),
      '='.repeat(15_000),
    ];
    for (const header of hostile) assert.equal(claimsFromChallenge(header), undefined);
  });
});

/** A credential that records what it was asked for. */
class RecordingCredential implements TokenCredential {
  readonly requests: GetTokenOptions[] = [];
  failNext = false;

  async getToken(_scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken | null> {
    this.requests.push(options);
    if (this.failNext) {
      this.failNext = false;
      throw new Error('AADSTS50173: The provided grant has expired due to it being revoked.');
    }
    return { token: `token-${this.requests.length}`, expiresOnTimestamp: 0 };
  }
}

describe('the on-behalf-of credential as a CAE client', function () {
  it('when it asks for a token, then it always declares CAE capability (cp1) and carries no claims of its own', async function () {
    const inner = new RecordingCredential();
    const credential = new ContinuousAccessCredential(inner);
    await credential.getToken(['https://graph.microsoft.com/.default']);
    assert.deepEqual(inner.requests, [{ enableCae: true }]);
    assert.equal(credential.challenged, false);
  });

  it('when it owes claims from a challenged sign-in, then its first token request redeems them and later ones do not', async function () {
    const inner = new RecordingCredential();
    const credential = new ContinuousAccessCredential(inner, REVOCATION_CLAIMS);
    await credential.getToken('https://graph.microsoft.com/.default');
    await credential.getToken('https://graph.microsoft.com/.default');
    assert.deepEqual(inner.requests, [{ enableCae: true, claims: REVOCATION_CLAIMS }, { enableCae: true }]);
  });

  it('when Entra refuses to redeem the claims, then they are still owed by the next request', async function () {
    const inner = new RecordingCredential();
    const credential = new ContinuousAccessCredential(inner, REVOCATION_CLAIMS);
    inner.failNext = true;
    await assert.rejects(credential.getToken('https://graph.microsoft.com/.default'), /AADSTS50173/);
    await credential.getToken('https://graph.microsoft.com/.default');
    assert.deepEqual(
      inner.requests.map((r) => r.claims),
      [REVOCATION_CLAIMS, REVOCATION_CLAIMS],
    );
  });

  it('stale token reuse after a claims challenge: every later request carries the claims, so msal never serves the challenged token from its cache', async function () {
    const inner = new RecordingCredential();
    const credential = new ContinuousAccessCredential(inner);
    await credential.getToken('https://graph.microsoft.com/.default');
    credential.claimsChallenged(REVOCATION_CLAIMS);
    assert.equal(credential.challenged, true);
    await credential.getToken('https://graph.microsoft.com/.default');
    await credential.getToken('https://graph.microsoft.com/User.EnableDisableAccount.All');
    assert.deepEqual(
      inner.requests.map((r) => r.claims),
      [undefined, REVOCATION_CLAIMS, REVOCATION_CLAIMS],
    );
  });
});

describe('delegated sessions after a claims challenge', function () {
  const TENANT = '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10';
  const HELEN: VerifiedUser = {
    tenantId: TENANT,
    aadObjectId: '3b4c5d6e-7f80-4a9b-8c1d-2e3f4a5b6c88',
    name: 'Helen Helpdesk',
    userPrincipalName: 'helen@contoso.onmicrosoft.com',
    expiresAt: Date.parse('2026-11-22T11:00:00Z') / 1000,
  };
  let credentials: ContinuousAccessCredential[];
  let sessions: DelegatedSessions;

  beforeEach(function () {
    credentials = [];
    sessions = new DelegatedSessions({
      authorityHost: 'https://login.invalid',
      appId: '3f1e2d4c-5b6a-4978-8a9b-0c1d2e3f4a5b',
      appPassword: 'not-used-offline',
      clock: new ManualClock('2026-11-22T10:00:00Z'),
      makeGateway: (credential) => {
        assert.ok(credential instanceof ContinuousAccessCredential, 'gateways get the CAE credential');
        credentials.push(credential);
        return {} as DirectoryGateway;
      },
    });
  });

  it('warm session after its own revocation: once Graph challenged its token, the session is no longer warm and the next sign-in redeems the claims', function () {
    const first = sessions.open(HELEN, 'header.payload.signature-of-the-first-sso-token-000000000000000');
    assert.equal(sessions.find(TENANT, HELEN.aadObjectId), first);
    credentials[0]!.claimsChallenged(REVOCATION_CLAIMS);
    assert.equal(first.challenged(), true);
    assert.equal(sessions.find(TENANT, HELEN.aadObjectId), undefined, 'the person must sign in again');
    const second = sessions.open(HELEN, 'header.payload.signature-of-the-first-sso-token-000000000000000');
    assert.notEqual(second, first, 'not even the same SSO token brings the challenged session back');
    assert.equal(credentials[1]!.owedClaims, REVOCATION_CLAIMS);
    assert.equal(second.challenged(), false);
  });

  it('when a challenged session is forgotten (the bot asked to sign in again), then its claims still go to the next session', function () {
    sessions.open(HELEN, 'header.payload.signature-one-000000000000000000000000000000000');
    credentials[0]!.claimsChallenged(REVOCATION_CLAIMS);
    sessions.forget(TENANT, HELEN.aadObjectId);
    sessions.open(HELEN, 'header.payload.signature-two-000000000000000000000000000000000');
    assert.equal(credentials[1]!.owedClaims, REVOCATION_CLAIMS);
  });
});
