import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  AuthenticationRequiredError,
  OnBehalfOfCredential,
  type AuthorityValidationOptions,
  type MultiTenantTokenCredentialOptions,
  type OnBehalfOfCredentialSecretOptions,
} from '@azure/identity';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { decodeJwt, type JWTPayload } from 'jose';
import { DEFAULT_USER_ROLE, ROLE, seedDirectory, type Directory, type DirectoryUser } from '../../emulator/directory';
import {
  BOTFRAMEWORK_TENANT_ID,
  EmulatedEntra,
  ENTRA_ROUTE,
  GRAPH_RESOURCE,
  TEAMS_DESKTOP_CLIENT_ID,
  type AppRegistration,
} from '../../emulator/entra';
import { testTls } from '../helpers/tls';

const BOT_FRAMEWORK = 'https://api.botframework.com';
const CALLBACK = 'https://127.0.0.1:3978/auth/callback';
const REVOKE = `${GRAPH_RESOURCE}/User.RevokeSessions.All`;
const READ_ALL = `${GRAPH_RESOURCE}/User.Read.All`;
/** The Entra error_description format: "AADSTS<code>: <text> Trace ID: <guid> Correlation ID: <guid> Timestamp: <yyyy-mm-dd hh:mm:ssZ>". */
const DESCRIPTION =
  /^AADSTS(\d+): .+ Trace ID: [0-9a-f-]{36} Correlation ID: [0-9a-f-]{36} Timestamp: \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/;

function newApp(name: string, consentedGraphScopes: string[]): AppRegistration {
  const appId = randomUUID();
  return {
    appId,
    secret: randomBytes(24).toString('base64url'),
    displayName: name,
    appIdUri: `api://botid-${appId}`,
    consentedGraphScopes,
    redirectUris: [CALLBACK],
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function jsonOf(res: Response): Promise<Record<string, unknown>> {
  const body: unknown = await res.json();
  assert.ok(isRecord(body), 'a JSON object');
  return body;
}

function stringOf(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  assert.equal(typeof value, 'string', `${key} is a string`);
  return value as string;
}

/** Reads the `AADSTS<n>` code of an error body and checks Entra's error shape on the way. */
function aadstsOf(body: Record<string, unknown>): number {
  const match = DESCRIPTION.exec(stringOf(body, 'error_description'));
  assert.ok(match, "error_description has Entra's format");
  const code = Number(match[1]);
  assert.deepEqual(body.error_codes, [code]);
  assert.match(stringOf(body, 'trace_id'), /^[0-9a-f-]{36}$/);
  assert.match(stringOf(body, 'correlation_id'), /^[0-9a-f-]{36}$/);
  assert.match(stringOf(body, 'timestamp'), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/);
  assert.match(stringOf(body, 'error_uri'), new RegExp(`error\\?code=${code}$`));
  return code;
}

describe('emulated Entra ID', function () {
  let directory: Directory;
  let entra: EmulatedEntra;
  let bot: AppRegistration;
  /** Consented for User.Read.All only. */
  let stingy: AppRegistration;
  let uma: DirectoryUser;
  let helen: DirectoryUser;
  /** Added to Entra's clock, to move it without fake timers. */
  let clockOffsetInMs = 0;
  let pristine: Map<string, Pick<DirectoryUser, 'oboFailure' | 'signInSessionsValidFromDateTime' | 'accountEnabled'>>;

  before(async function () {
    const { server: tls } = await testTls();
    directory = seedDirectory();
    uma = directory.user('uma');
    helen = directory.user('helen');
    bot = newApp('Session Revoker', ['User.Read.All', 'User.RevokeSessions.All']);
    stingy = newApp('Stingy App', ['User.Read.All']);
    entra = await EmulatedEntra.start({ tls, directory, apps: [bot, stingy], nowInMs: () => Date.now() + clockOffsetInMs });
    pristine = new Map(
      [...directory.users.values()].map((u) => [
        u.id,
        { oboFailure: u.oboFailure, signInSessionsValidFromDateTime: u.signInSessionsValidFromDateTime, accountEnabled: u.accountEnabled },
      ]),
    );
  });

  afterEach(function () {
    clockOffsetInMs = 0;
    for (const [id, fields] of pristine) Object.assign(directory.users.get(id) ?? {}, fields);
  });

  after(async function () {
    await entra.stop();
  });

  function url(pathAndQuery: string): string {
    return `${entra.authorityHost}${pathAndQuery}`;
  }

  async function postToken(form: Record<string, string>, tenant: string = directory.tenantId): Promise<Response> {
    return fetch(url(`/${tenant}/oauth2/v2.0/token`), { method: 'POST', body: new URLSearchParams(form) });
  }

  function authorizeUrl(params: Record<string, string>, tenant: string = directory.tenantId): string {
    return url(`/${tenant}/oauth2/v2.0/authorize?${new URLSearchParams(params).toString()}`);
  }

  /** Signs `user` in through /authorize and returns the code from the redirect. */
  async function codeFor(user: DirectoryUser, scope: string, extra: Record<string, string> = {}): Promise<string> {
    const res = await fetch(
      authorizeUrl({
        client_id: bot.appId,
        redirect_uri: CALLBACK,
        response_type: 'code',
        scope,
        state: 'st-1',
        login_hint: user.userPrincipalName,
        ...extra,
      }),
      { redirect: 'manual' },
    );
    assert.equal(res.status, 302);
    const location = new URL(res.headers.get('location') ?? '');
    assert.equal(`${location.origin}${location.pathname}`, CALLBACK);
    assert.equal(location.searchParams.get('state'), 'st-1');
    const code = location.searchParams.get('code');
    assert.ok(code, 'a code in the redirect');
    return code;
  }

  function redeem(code: string, extra: Record<string, string> = {}): Promise<Response> {
    return postToken({
      grant_type: 'authorization_code',
      client_id: bot.appId,
      client_secret: bot.secret,
      code,
      redirect_uri: CALLBACK,
      ...extra,
    });
  }

  describe('discovery', function () {
    it('serves v2 metadata whose issuer and endpoints are on this host, as msal-node requires', async function () {
      const res = await fetch(url(`/${directory.tenantId}/v2.0/.well-known/openid-configuration`));
      assert.equal(res.status, 200);
      const doc = await jsonOf(res);
      const base = `${entra.authorityHost}/${directory.tenantId}`;
      assert.equal(doc.issuer, `${base}/v2.0`);
      assert.equal(doc.token_endpoint, `${base}/oauth2/v2.0/token`);
      assert.equal(doc.authorization_endpoint, `${base}/oauth2/v2.0/authorize`);
      assert.equal(doc.jwks_uri, `${base}/discovery/v2.0/keys`);
      assert.equal(doc.end_session_endpoint, `${base}/oauth2/v2.0/logout`);
      assert.deepEqual(doc.id_token_signing_alg_values_supported, ['RS256']);
      assert.equal(entra.server.count(ENTRA_ROUTE.openIdConfiguration), 1);
    });

    it('for common, it publishes the {tenantid} issuer template; for botframework.com, the Bot Framework tenant', async function () {
      const common = await jsonOf(await fetch(url('/common/v2.0/.well-known/openid-configuration')));
      assert.equal(common.issuer, `${entra.authorityHost}/{tenantid}/v2.0`);
      assert.equal(common.token_endpoint, `${entra.authorityHost}/common/oauth2/v2.0/token`);
      const bf = await jsonOf(await fetch(url('/botframework.com/v2.0/.well-known/openid-configuration')));
      assert.equal(bf.issuer, `${entra.authorityHost}/${BOTFRAMEWORK_TENANT_ID}/v2.0`);
      const v1 = await jsonOf(await fetch(url(`/${directory.domain}/.well-known/openid-configuration`)));
      assert.equal(v1.issuer, `https://sts.windows.net/${directory.tenantId}/`);
      assert.equal(v1.jwks_uri, `${entra.authorityHost}/${directory.tenantId}/discovery/keys`);
    });

    it('publishes the key that signs its tokens, under both key URLs', async function () {
      for (const keysPath of [`/${directory.tenantId}/discovery/v2.0/keys`, `/${directory.tenantId}/discovery/keys`]) {
        const doc = await jsonOf(await fetch(url(keysPath)));
        assert.ok(Array.isArray(doc.keys));
        const [key] = doc.keys as unknown[];
        assert.ok(isRecord(key));
        assert.equal(key.kid, entra.keys.kid);
        assert.equal(key.kty, 'RSA');
        assert.equal(typeof key.n, 'string');
      }
    });

    it('answers instance discovery naming this host as the only alias, and refuses another host with AADSTS50049', async function () {
      const host = new URL(entra.authorityHost).host;
      const mine = encodeURIComponent(`${entra.authorityHost}/${directory.tenantId}/oauth2/v2.0/authorize`);
      const doc = await jsonOf(await fetch(url(`/common/discovery/instance?api-version=1.1&authorization_endpoint=${mine}`)));
      assert.equal(doc.tenant_discovery_endpoint, `${entra.authorityHost}/${directory.tenantId}/v2.0/.well-known/openid-configuration`);
      assert.deepEqual(doc.metadata, [{ preferred_network: host, preferred_cache: host, aliases: [host] }]);
      const other = encodeURIComponent('https://login.example.com/x/oauth2/v2.0/authorize');
      const res = await fetch(url(`/common/discovery/instance?api-version=1.1&authorization_endpoint=${other}`));
      assert.equal(res.status, 400);
      assert.equal(aadstsOf(await jsonOf(res)), 50049);
    });

    it("refuses an unknown tenant with AADSTS90002 in Entra's error shape", async function () {
      const res = await fetch(url('/contoso.example/v2.0/.well-known/openid-configuration'));
      assert.equal(res.status, 400);
      const body = await jsonOf(res);
      assert.equal(body.error, 'invalid_tenant');
      assert.equal(aadstsOf(body), 90002);
      const token = await postToken(
        { grant_type: 'client_credentials', client_id: bot.appId, client_secret: bot.secret, scope: `${BOT_FRAMEWORK}/.default` },
        'contoso.example',
      );
      assert.equal(aadstsOf(await jsonOf(token)), 90002);
    });
  });

  describe('client credentials through msal-node 2.x (the line botframework-connector uses)', function () {
    this.timeout(10_000);

    function msalFor(tenant: string, secret: string): ConfidentialClientApplication {
      return new ConfidentialClientApplication({
        auth: {
          clientId: bot.appId,
          clientSecret: secret,
          authority: `${entra.authorityHost}/${tenant}`,
          knownAuthorities: [entra.knownAuthority],
        },
      });
    }

    it('is the 2.x msal-node that the import resolves to', function () {
      const manifest: unknown = JSON.parse(
        readFileSync(path.join(path.dirname(require.resolve('@azure/msal-node')), '..', 'package.json'), 'utf8'),
      );
      assert.ok(isRecord(manifest));
      assert.equal(manifest.name, '@azure/msal-node');
      assert.match(String(manifest.version), /^2\./);
    });

    it('when a SingleTenant bot asks at its tenant, then it gets an app token for the connector that verifyIssuedToken accepts', async function () {
      const before = entra.server.count(ENTRA_ROUTE.token, bot.appId);
      const result = await msalFor(directory.tenantId, bot.secret).acquireTokenByClientCredential({
        scopes: [`${BOT_FRAMEWORK}/.default`],
      });
      assert.ok(result?.accessToken);
      const claims = await entra.verifyIssuedToken(result.accessToken, { audience: BOT_FRAMEWORK });
      assert.equal(claims.aud, BOT_FRAMEWORK);
      assert.equal(claims.iss, `${entra.authorityHost}/${directory.tenantId}/v2.0`);
      assert.equal(claims.azp, bot.appId);
      assert.equal(claims.appid, bot.appId);
      assert.equal(claims.tid, directory.tenantId);
      assert.equal(claims.idtyp, 'app');
      assert.equal(claims.ver, '2.0');
      assert.equal(claims.roles, undefined);
      assert.ok(typeof claims.exp === 'number' && typeof claims.iat === 'number' && claims.exp - claims.iat === 3600);
      assert.equal(entra.server.count(ENTRA_ROUTE.token, bot.appId) - before, 1);
    });

    it('when a MultiTenant bot asks at botframework.com, then the token is from the Bot Framework tenant', async function () {
      const result = await msalFor('botframework.com', bot.secret).acquireTokenByClientCredential({
        scopes: [`${BOT_FRAMEWORK}/.default`],
      });
      assert.ok(result?.accessToken);
      const claims = await entra.verifyIssuedToken(result.accessToken, { audience: BOT_FRAMEWORK });
      assert.equal(claims.tid, BOTFRAMEWORK_TENANT_ID);
      assert.equal(claims.iss, `${entra.authorityHost}/${BOTFRAMEWORK_TENANT_ID}/v2.0`);
    });

    it('when the secret is wrong, then it fails with AADSTS7000215', async function () {
      await assert.rejects(
        msalFor(directory.tenantId, 'not-the-secret').acquireTokenByClientCredential({ scopes: [`${BOT_FRAMEWORK}/.default`] }),
        (error: unknown) => {
          assert.ok(error instanceof Error);
          assert.match(error.message, /AADSTS7000215/);
          assert.equal((error as { errorCode?: unknown }).errorCode, 'invalid_client');
          return true;
        },
      );
    });

    it("when the scope is not a resource's /.default, then it is refused with AADSTS1002012", async function () {
      const res = await postToken({
        grant_type: 'client_credentials',
        client_id: bot.appId,
        client_secret: bot.secret,
        scope: `${BOT_FRAMEWORK}/Something`,
      });
      assert.equal(res.status, 400);
      assert.equal(aadstsOf(await jsonOf(res)), 1002012);
    });

    it('accepts the client secret by HTTP Basic authentication too', async function () {
      const basic = Buffer.from(`${encodeURIComponent(bot.appId)}:${encodeURIComponent(bot.secret)}`).toString('base64');
      const res = await fetch(url(`/${directory.tenantId}/oauth2/v2.0/token?x-client-SKU=test`), {
        method: 'POST',
        headers: { authorization: `Basic ${basic}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: `${BOT_FRAMEWORK}/.default` }),
      });
      assert.equal(res.status, 200);
      const body = await jsonOf(res);
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 3600);
      assert.equal(decodeJwt(stringOf(body, 'access_token')).appid, bot.appId);
    });
  });

  describe('on-behalf-of through @azure/identity OnBehalfOfCredential', function () {
    this.timeout(10_000);

    function credential(userAssertionToken: string, app: AppRegistration = bot, secret: string = app.secret): OnBehalfOfCredential {
      // The constructor's type omits disableInstanceDiscovery although the credential honours it.
      const options: OnBehalfOfCredentialSecretOptions & MultiTenantTokenCredentialOptions & AuthorityValidationOptions = {
        tenantId: directory.tenantId,
        clientId: app.appId,
        clientSecret: secret,
        userAssertionToken,
        authorityHost: entra.authorityHost,
        disableInstanceDiscovery: true,
      };
      return new OnBehalfOfCredential(options);
    }

    async function refusalOf(cred: OnBehalfOfCredential, scopes: string[] = [REVOKE, READ_ALL]): Promise<AuthenticationRequiredError> {
      const error = await cred.getToken(scopes).then(
        () => assert.fail('the exchange should have been refused'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof AuthenticationRequiredError, `AuthenticationRequiredError, got ${String(error)}`);
      return error;
    }

    it("when a User Administrator's SSO token is exchanged, then the Graph token names them, their scopes and roles; the second getToken is served from cache", async function () {
      const sso = await entra.issueSsoToken(uma.id, { appId: bot.appId });
      const cred = credential(sso);
      const before = entra.server.count(ENTRA_ROUTE.token);
      const first = await cred.getToken([REVOKE, READ_ALL]);
      const claims = decodeJwt(first.token);
      assert.equal(claims.aud, GRAPH_RESOURCE);
      assert.equal(claims.iss, `https://sts.windows.net/${directory.tenantId}/`);
      assert.equal(claims.oid, uma.id);
      assert.equal(claims.tid, directory.tenantId);
      assert.equal(claims.upn, uma.userPrincipalName);
      assert.equal(claims.name, uma.displayName);
      assert.equal(claims.appid, bot.appId);
      assert.equal(claims.idtyp, 'user');
      assert.equal(claims.ver, '1.0');
      assert.deepEqual(String(claims.scp).split(' ').sort(), ['User.Read.All', 'User.RevokeSessions.All']);
      assert.deepEqual(claims.wids, [ROLE.UserAdministrator, DEFAULT_USER_ROLE]);
      await entra.verifyIssuedToken(first.token, { audience: GRAPH_RESOURCE });
      assert.equal(entra.server.count(ENTRA_ROUTE.token) - before, 1);
      assert.equal(entra.server.count(ENTRA_ROUTE.token, `${bot.appId}|${uma.id}`), 1);

      const second = await cred.getToken([REVOKE, READ_ALL]);
      assert.equal(second.token, first.token);
      assert.equal(entra.server.count(ENTRA_ROUTE.token) - before, 1);
    });

    it('when the assertion is forged under the genuine key id, then it is refused with AADSTS50013', async function () {
      const error = await refusalOf(credential(await entra.issueSsoToken(uma.id, { appId: bot.appId, forge: true })));
      assert.match(error.message, /AADSTS50013/);
    });

    it('when the assertion has expired, then it is refused with AADSTS500133', async function () {
      const error = await refusalOf(credential(await entra.issueSsoToken(uma.id, { appId: bot.appId, expired: true })));
      assert.match(error.message, /AADSTS500133/);
    });

    it('when the assertion was issued to another app, then it is refused with AADSTS500131', async function () {
      const error = await refusalOf(credential(await entra.issueSsoToken(uma.id, { appId: stingy.appId })));
      assert.match(error.message, /AADSTS500131/);
    });

    it('when the client secret is wrong, then it is refused with AADSTS7000215', async function () {
      const error = await refusalOf(credential(await entra.issueSsoToken(uma.id, { appId: bot.appId }), bot, 'wrong-secret'));
      assert.match(error.message, /AADSTS7000215/);
    });

    it('when the app has no consent for a requested Graph scope, then it is refused with AADSTS65001', async function () {
      const error = await refusalOf(credential(await entra.issueSsoToken(uma.id, { appId: stingy.appId }), stingy));
      assert.match(error.message, /AADSTS65001/);
    });

    it('when a scope names no delegated Graph permission, then @azure/identity reports AADSTS70011', async function () {
      const cred = credential(await entra.issueSsoToken(uma.id, { appId: bot.appId }));
      await assert.rejects(cred.getToken(`${GRAPH_RESOURCE}/Device.ReadWrite.All`), (error: unknown) => {
        assert.match(error instanceof Error ? error.message : String(error), /AADSTS70011/);
        return true;
      });
    });

    it('when the user is switched to need consent, then it is refused with AADSTS65001', async function () {
      uma.oboFailure = 'consent_required';
      const error = await refusalOf(credential(await entra.issueSsoToken(uma.id, { appId: bot.appId })));
      assert.match(error.message, /AADSTS65001/);
    });

    it('when the user is switched to need MFA, then it is refused with AADSTS50076', async function () {
      uma.oboFailure = 'interaction_required';
      const error = await refusalOf(credential(await entra.issueSsoToken(uma.id, { appId: bot.appId })));
      assert.match(error.message, /AADSTS50076/);
    });

    it('when the user is disabled, then it is refused with AADSTS50057', async function () {
      const dan = directory.user('dan.disabled');
      const error = await refusalOf(credential(await entra.issueSsoToken(dan.id, { appId: bot.appId })));
      assert.match(error.message, /AADSTS50057/);
    });

    it("when the user's sessions were revoked after the SSO token was issued, then it is refused with AADSTS50173", async function () {
      const sso = await entra.issueSsoToken(uma.id, { appId: bot.appId });
      clockOffsetInMs = 5_000;
      uma.signInSessionsValidFromDateTime = new Date(Date.now() + clockOffsetInMs).toISOString();
      const error = await refusalOf(credential(sso));
      assert.match(error.message, /AADSTS50173/);
    });

    it('when the client declares CAE capability (enableCae → msal clientCapabilities cp1), then the Graph token records xms_cc; without it, none', async function () {
      const sso = await entra.issueSsoToken(uma.id, { appId: bot.appId });
      const cae = await credential(sso).getToken([REVOKE, READ_ALL], { enableCae: true });
      assert.deepEqual(decodeJwt(cae.token).xms_cc, ['cp1']);
      const plain = await credential(sso).getToken([REVOKE, READ_ALL]);
      assert.equal(decodeJwt(plain.token).xms_cc, undefined);
    });

    it('when a CAE client redeems a claims challenge with an assertion from after the revocation, then a fresh cp1 token is issued; with one from before it, AADSTS50173', async function () {
      const claims = JSON.stringify({ access_token: { nbf: { essential: true, value: String(Math.floor(Date.now() / 1000)) } } });
      const before = await entra.issueSsoToken(uma.id, { appId: bot.appId });
      clockOffsetInMs = 5_000;
      uma.signInSessionsValidFromDateTime = new Date(Date.now() + clockOffsetInMs).toISOString();
      const refused = await credential(before)
        .getToken([REVOKE, READ_ALL], { enableCae: true, claims })
        .catch((error: unknown) => error);
      assert.match((refused as Error).message, /AADSTS50173/);
      const after = await entra.issueSsoToken(uma.id, { appId: bot.appId });
      const fresh = await credential(after).getToken([REVOKE, READ_ALL], { enableCae: true, claims });
      assert.deepEqual(decodeJwt(fresh.token).xms_cc, ['cp1']);
    });

    it('when the assertion is an app-only token or has no scp, then it is refused with AADSTS50013', async function () {
      const appOnly = await entra.issueAppToken(TEAMS_DESKTOP_CLIENT_ID, { audience: bot.appId });
      assert.match((await refusalOf(credential(appOnly))).message, /AADSTS50013/);
      const noScp = await entra.issueSsoToken(uma.id, { appId: bot.appId, omitScp: true });
      assert.match((await refusalOf(credential(noScp))).message, /AADSTS50013/);
    });

    it('a managed identity’s token for the bot’s API is a v1 app-only token: sts.windows.net issuer, the App ID URI as audience, appid, no scp, verifiable with the v1 keys', async function () {
      const identity = 'c0ffee00-1111-4222-8333-444455556666';
      const token = await entra.issueManagedIdentityToken(identity, { audience: bot.appIdUri ?? '', roles: ['Alerts.Send'] });
      const claims = decodeJwt(token);
      assert.equal(claims.ver, '1.0');
      assert.equal(claims.iss, `https://sts.windows.net/${directory.tenantId}/`);
      assert.equal(claims.aud, bot.appIdUri);
      assert.equal(claims.appid, identity);
      assert.equal(claims.idtyp, 'app');
      assert.equal(claims.scp, undefined);
      assert.deepEqual(claims.roles, ['Alerts.Send']);
      assert.equal(Number(claims.exp) - Number(claims.iat), 24 * 3600, 'about a day');
      assert.equal((await entra.checkIssuedToken(token, { audience: bot.appIdUri ?? '' })).ok, true);
      const forged = await entra.issueManagedIdentityToken(identity, { audience: bot.appIdUri ?? '', forge: true });
      assert.equal((await entra.checkIssuedToken(forged, { audience: bot.appIdUri ?? '' })).ok, false);
    });

    it('accepts an SSO token whose audience is the App ID URI, and .default grants every consented scope', async function () {
      const sso = await entra.issueSsoToken(helen.id, { appId: bot.appId, audience: 'appIdUri' });
      assert.equal(decodeJwt(sso).aud, bot.appIdUri);
      const token = await credential(sso).getToken(`${GRAPH_RESOURCE}/.default`);
      const claims = decodeJwt(token.token);
      assert.equal(claims.oid, helen.id);
      assert.deepEqual(String(claims.scp).split(' ').sort(), ['User.Read.All', 'User.RevokeSessions.All']);
      assert.deepEqual(claims.wids, [ROLE.HelpdeskAdministrator, DEFAULT_USER_ROLE]);
    });

    describe('on the wire (what @azure/identity hides)', function () {
      function obo(assertion: string, scope: string, app: AppRegistration = bot): Promise<Response> {
        return postToken({
          grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
          requested_token_use: 'on_behalf_of',
          client_id: app.appId,
          client_secret: app.secret,
          assertion,
          scope: `${scope} openid profile offline_access`,
          client_info: '1',
        });
      }

      it('answers like Entra: scope with prefixes plus the OpenID ones, numeric lifetimes, refresh and id tokens, client_info', async function () {
        const res = await obo(await entra.issueSsoToken(uma.id, { appId: bot.appId }), READ_ALL);
        assert.equal(res.status, 200);
        const body = await jsonOf(res);
        assert.equal(body.token_type, 'Bearer');
        assert.equal(body.scope, `${READ_ALL} openid profile offline_access`);
        assert.equal(body.expires_in, 3600);
        assert.equal(body.ext_expires_in, 3600);
        assert.match(stringOf(body, 'refresh_token'), /^0\.A[\w-]{40,}$/);
        const id = await entra.verifyIssuedToken(stringOf(body, 'id_token'), { audience: bot.appId });
        assert.equal(id.oid, uma.id);
        assert.equal(id.tid, directory.tenantId);
        assert.equal(id.preferred_username, uma.userPrincipalName);
        assert.equal(id.iss, `${entra.authorityHost}/${directory.tenantId}/v2.0`);
        assert.deepEqual(JSON.parse(Buffer.from(stringOf(body, 'client_info'), 'base64url').toString('utf8')), {
          uid: uma.id,
          utid: directory.tenantId,
        });
      });

      it('a consent refusal is invalid_grant with suberror consent_required; an MFA refusal is interaction_required with a claims challenge', async function () {
        const consent = await jsonOf(await obo(await entra.issueSsoToken(uma.id, { appId: stingy.appId }), REVOKE, stingy));
        assert.equal(aadstsOf(consent), 65001);
        assert.equal(consent.error, 'invalid_grant');
        assert.equal(consent.suberror, 'consent_required');

        uma.oboFailure = 'interaction_required';
        const res = await obo(await entra.issueSsoToken(uma.id, { appId: bot.appId }), REVOKE);
        assert.equal(res.status, 400);
        const mfa = await jsonOf(res);
        assert.equal(aadstsOf(mfa), 50076);
        assert.equal(mfa.error, 'interaction_required');
        const challenge: unknown = JSON.parse(stringOf(mfa, 'claims'));
        assert.ok(isRecord(challenge) && isRecord(challenge.access_token));
      });

      it('a bad secret is 401 invalid_client; an unknown client is AADSTS700016', async function () {
        const sso = await entra.issueSsoToken(uma.id, { appId: bot.appId });
        const bad = await obo(sso, REVOKE, { ...bot, secret: 'nope' });
        assert.equal(bad.status, 401);
        const body = await jsonOf(bad);
        assert.equal(body.error, 'invalid_client');
        assert.equal(aadstsOf(body), 7000215);
        const unknown = await obo(sso, REVOKE, { ...bot, appId: randomUUID() });
        assert.equal(unknown.status, 400);
        assert.equal(aadstsOf(await jsonOf(unknown)), 700016);
      });

      it('when Device.ReadWrite.All is asked for on-behalf-of, then it is refused with invalid_scope AADSTS70011 even if the app lists it: Graph has it as an application permission only', async function () {
        const listed = bot.consentedGraphScopes.slice();
        bot.consentedGraphScopes.push('Device.ReadWrite.All', 'Directory.AccessAsUser.All');
        try {
          const sso = await entra.issueSsoToken(uma.id, { appId: bot.appId });
          const res = await obo(sso, `${GRAPH_RESOURCE}/Device.ReadWrite.All`);
          assert.equal(res.status, 400);
          const body = await jsonOf(res);
          assert.equal(body.error, 'invalid_scope');
          assert.equal(aadstsOf(body), 70011);
          assert.match(stringOf(body, 'error_description'), /Device\.ReadWrite\.All/);
          const bare = await jsonOf(await obo(sso, 'device.readwrite.all'));
          assert.equal(aadstsOf(bare), 70011, 'bare and differently cased names too');

          const documented = await obo(sso, `${GRAPH_RESOURCE}/Directory.AccessAsUser.All`);
          assert.equal(documented.status, 200, 'the delegated permission Microsoft documents for device updates is granted');
          const everything = await jsonOf(await obo(sso, `${GRAPH_RESOURCE}/.default`));
          assert.doesNotMatch(stringOf(everything, 'scope'), /Device\.ReadWrite\.All/, '.default never grants what cannot be consented');
          assert.doesNotMatch(String(decodeJwt(stringOf(everything, 'access_token')).scp), /Device\.ReadWrite\.All/);
        } finally {
          bot.consentedGraphScopes.splice(0, bot.consentedGraphScopes.length, ...listed);
        }
      });

      it('refuses an assertion from another tenant with AADSTS50013 and mixed .default with AADSTS70011', async function () {
        const foreign = await entra.issueSsoToken(uma.id, { appId: bot.appId, tenantId: randomUUID() });
        assert.equal(aadstsOf(await jsonOf(await obo(foreign, REVOKE))), 50013);
        const sso = await entra.issueSsoToken(uma.id, { appId: bot.appId });
        assert.equal(aadstsOf(await jsonOf(await obo(sso, `${GRAPH_RESOURCE}/.default ${REVOKE}`))), 70011);
      });
    });
  });

  describe('authorization-code flow over HTTP', function () {
    it('when a user signs in with login_hint, then the code redeems for an access_as_user token naming that user, once', async function () {
      const scope = `${String(bot.appIdUri)}/access_as_user openid profile offline_access`;
      const caller = `${bot.appId}|${helen.id}`;
      const [authorizeBefore, tokenBefore] = [
        entra.server.count(ENTRA_ROUTE.authorize, caller),
        entra.server.count(ENTRA_ROUTE.token, caller),
      ];
      const code = await codeFor(helen, scope);
      assert.equal(entra.server.count(ENTRA_ROUTE.authorize, caller) - authorizeBefore, 1);
      const res = await redeem(code, { scope, client_info: '1' });
      assert.equal(res.status, 200);
      const body = await jsonOf(res);
      assert.equal(body.scope, `${String(bot.appIdUri)}/access_as_user openid profile offline_access`);
      const claims = await entra.verifyIssuedToken(stringOf(body, 'access_token'), { audience: bot.appId });
      assert.equal(claims.oid, helen.id);
      assert.equal(claims.preferred_username, helen.userPrincipalName);
      assert.equal(claims.name, helen.displayName);
      assert.equal(claims.scp, 'access_as_user');
      assert.equal(claims.tid, directory.tenantId);
      assert.equal(claims.ver, '2.0');
      assert.equal(entra.server.count(ENTRA_ROUTE.token, caller) - tokenBefore, 1);

      const again = await redeem(code);
      assert.equal(again.status, 400);
      assert.equal(aadstsOf(await jsonOf(again)), 54005);
    });

    it('when Graph scopes are asked for, then the code redeems for a Graph token; the id token carries the nonce', async function () {
      const code = await codeFor(uma, `${READ_ALL} openid profile offline_access`, { nonce: 'n-0S6_WzA2Mj' });
      const body = await jsonOf(await redeem(code));
      const claims = decodeJwt(stringOf(body, 'access_token'));
      assert.equal(claims.aud, GRAPH_RESOURCE);
      assert.equal(claims.upn, uma.userPrincipalName);
      assert.equal(claims.scp, 'User.Read.All');
      assert.equal(decodeJwt(stringOf(body, 'id_token')).nonce, 'n-0S6_WzA2Mj');
    });

    it('with PKCE, a code redeems only with the matching code_verifier', async function () {
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const pkce = { code_challenge: challenge, code_challenge_method: 'S256' };
      const wrong = await redeem(await codeFor(helen, 'openid profile', pkce), { code_verifier: 'x'.repeat(43) });
      assert.equal(aadstsOf(await jsonOf(wrong)), 501481);
      const right = await redeem(await codeFor(helen, 'openid profile', pkce), { code_verifier: verifier });
      assert.equal(right.status, 200);
    });

    it('when the redirect_uri is not registered, then an error page is shown and nothing is redirected', async function () {
      const res = await fetch(
        authorizeUrl({
          client_id: bot.appId,
          redirect_uri: 'https://evil.example/cb',
          response_type: 'code',
          scope: 'openid',
          login_hint: helen.userPrincipalName,
        }),
        { redirect: 'manual' },
      );
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('location'), null);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      const html = await res.text();
      assert.match(html, /AADSTS50011/);
      assert.doesNotMatch(html, /evil\.example\/cb"/);
    });

    it('when the client is unknown, then an error page is shown with AADSTS700016', async function () {
      const res = await fetch(authorizeUrl({ client_id: randomUUID(), redirect_uri: CALLBACK, response_type: 'code', scope: 'openid' }), {
        redirect: 'manual',
      });
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('location'), null);
      assert.match(await res.text(), /AADSTS700016/);
    });

    it("without login_hint, then a page lists the tenant's users, escaped, each linking to the same request with login_hint", async function () {
      const params = { client_id: bot.appId, redirect_uri: CALLBACK, response_type: 'code', scope: 'openid', state: '<x>' };
      const res = await fetch(authorizeUrl(params), { redirect: 'manual' });
      assert.equal(res.status, 200);
      const html = await res.text();
      assert.match(html, /Uma Useradmin/);
      assert.match(html, /User Administrator/);
      assert.match(html, /Liam O&#39;Brien/);
      assert.doesNotMatch(html, /<x>/);
      const link = /href="([^"]*login_hint=uma[^"]*)"/.exec(html)?.[1];
      assert.ok(link, 'a link for Uma');
      const followed = await fetch(url(link.replace(/&#38;/g, '&').replace(/&#39;/g, "'")), { redirect: 'manual' });
      assert.equal(followed.status, 302);
      const location = new URL(followed.headers.get('location') ?? '');
      assert.ok(location.searchParams.get('code'));
      assert.equal(location.searchParams.get('state'), '<x>');
    });

    it('when the user is disabled, then it redirects with access_denied and AADSTS50057', async function () {
      const dan = directory.user('dan.disabled');
      const res = await fetch(
        authorizeUrl({
          client_id: bot.appId,
          redirect_uri: CALLBACK,
          response_type: 'code',
          scope: 'openid',
          state: 's',
          login_hint: dan.userPrincipalName.toUpperCase(),
        }),
        { redirect: 'manual' },
      );
      assert.equal(res.status, 302);
      const location = new URL(res.headers.get('location') ?? '');
      assert.equal(location.searchParams.get('error'), 'access_denied');
      assert.match(location.searchParams.get('error_description') ?? '', /^AADSTS50057:/);
      assert.equal(location.searchParams.get('code'), null);
    });

    it('when the app lacks consent for a Graph scope, then it redirects with consent_required and AADSTS65001', async function () {
      const res = await fetch(
        authorizeUrl({
          client_id: bot.appId,
          redirect_uri: CALLBACK,
          response_type: 'code',
          scope: `${GRAPH_RESOURCE}/AuditLog.Read.All`,
          login_hint: uma.userPrincipalName,
        }),
        { redirect: 'manual' },
      );
      const location = new URL(res.headers.get('location') ?? '');
      assert.equal(location.searchParams.get('error'), 'consent_required');
      assert.match(location.searchParams.get('error_description') ?? '', /^AADSTS65001:/);
    });
  });

  describe('refresh tokens', function () {
    async function refreshTokenFor(user: DirectoryUser): Promise<string> {
      const body = await jsonOf(await redeem(await codeFor(user, `${READ_ALL} openid profile offline_access`)));
      return stringOf(body, 'refresh_token');
    }

    function refresh(token: string, app: AppRegistration = bot): Promise<Response> {
      return postToken({
        grant_type: 'refresh_token',
        client_id: app.appId,
        client_secret: app.secret,
        refresh_token: token,
        scope: `${READ_ALL} openid profile offline_access`,
      });
    }

    it("when the user's sessions are revoked after the refresh token was issued, then it is refused with AADSTS50173; a new sign-in works", async function () {
      const token = await refreshTokenFor(uma);
      const ok = await refresh(token);
      assert.equal(ok.status, 200);
      assert.equal(decodeJwt(stringOf(await jsonOf(ok), 'access_token')).oid, uma.id);

      clockOffsetInMs = 5_000;
      uma.signInSessionsValidFromDateTime = new Date(Date.now() + clockOffsetInMs).toISOString();
      const refused = await refresh(token);
      assert.equal(refused.status, 400);
      const body = await jsonOf(refused);
      assert.equal(body.error, 'invalid_grant');
      assert.equal(aadstsOf(body), 50173);

      assert.equal((await refresh(await refreshTokenFor(uma))).status, 200);
    });

    it('a refresh token works only for the client it was issued to', async function () {
      const token = await refreshTokenFor(uma);
      const res = await refresh(token, stingy);
      assert.equal(res.status, 400);
      assert.equal(aadstsOf(await jsonOf(res)), 70000);
    });
  });

  describe('issueSsoToken', function () {
    it('makes a v2 user token from Teams for the app, which verifyIssuedToken accepts', async function () {
      const token = await entra.issueSsoToken(helen.userPrincipalName, { appId: bot.appId });
      const claims: JWTPayload = await entra.verifyIssuedToken(token, { audience: bot.appId });
      assert.equal(claims.iss, `${entra.authorityHost}/${directory.tenantId}/v2.0`);
      assert.equal(claims.azp, TEAMS_DESKTOP_CLIENT_ID);
      assert.equal(claims.scp, 'access_as_user');
      assert.equal(claims.oid, helen.id);
      assert.equal(claims.tid, directory.tenantId);
      assert.equal(claims.preferred_username, helen.userPrincipalName);
      assert.equal(claims.name, helen.displayName);
      assert.equal(claims.ver, '2.0');
      assert.equal(claims.wids, undefined);
    });

    it('a forged, expired, foreign-issuer or wrong-audience token is rejected by verifyIssuedToken', async function () {
      const forged = await entra.issueSsoToken(helen.id, { appId: bot.appId, forge: true });
      assert.equal(decodeJwt(forged).oid, helen.id);
      await assert.rejects(entra.verifyIssuedToken(forged, { audience: bot.appId }), /signature/);
      const expired = await entra.issueSsoToken(helen.id, { appId: bot.appId, expired: true });
      assert.ok((decodeJwt(expired).exp ?? Infinity) < Date.now() / 1000);
      await assert.rejects(entra.verifyIssuedToken(expired, { audience: bot.appId }), /exp/);
      const foreign = await entra.issueSsoToken(helen.id, {
        appId: bot.appId,
        issuer: `https://login.microsoftonline.com/${directory.tenantId}/v2.0`,
      });
      await assert.rejects(entra.verifyIssuedToken(foreign, { audience: bot.appId }), /iss/);
      const valid = await entra.issueSsoToken(helen.id, { appId: bot.appId });
      await assert.rejects(entra.verifyIssuedToken(valid, { audience: stingy.appId }), /aud/);
      assert.deepEqual(await entra.checkIssuedToken(forged, { audience: bot.appId }), {
        ok: false,
        reason: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      });
    });
  });
});
