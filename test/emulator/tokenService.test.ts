import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { ConfidentialClientApplication } from '@azure/msal-node';
import type { Activity } from 'botbuilder';
import { ClaimsIdentity, MsalAppCredentials, TokenApiClient, type UserTokenClient } from 'botframework-connector';
import { createBotFrameworkAuthentication } from '../../src/bot/botFrameworkAuth';
import { seedDirectory, type Directory, type DirectoryUser } from '../../emulator/directory';
import { BOTFRAMEWORK_TENANT_ID, EmulatedEntra } from '../../emulator/entra';
import { EmulatedSignInError, EmulatedTokenService } from '../../emulator/tokenService';
import { testTls } from '../helpers/tls';

const CONNECTION = 'graph-conn';
const CHANNEL_ID = 'msteams';
const BOT_FRAMEWORK = 'https://api.botframework.com';
const MINUTE_IN_MS = 60_000;

describe('emulated Bot Framework Token Service', function () {
  let directory: Directory;
  let entra: EmulatedEntra;
  let service: EmulatedTokenService;
  let client: UserTokenClient;
  let botAppId: string;
  let botAppSecret: string;
  let helen: DirectoryUser;
  let adele: DirectoryUser;
  /** Added to the token service's clock, to move it without fake timers. */
  let clockOffsetInMs: number;

  /** A Teams channel message from `user`, as the bot would get it. */
  function channelMessage(user: DirectoryUser): Activity {
    return {
      type: 'message',
      id: '1700000000002',
      channelId: CHANNEL_ID,
      serviceUrl: 'https://127.0.0.1:1/teams/',
      from: { id: user.teamsId, name: user.displayName, aadObjectId: user.id },
      recipient: { id: `28:${botAppId}`, name: 'RevokeBot' },
      conversation: {
        id: '19:helpdesk@thread.tacv2;messageid=1700000000002',
        conversationType: 'channel',
        isGroup: true,
        tenantId: directory.tenantId,
        name: '',
      },
      text: '<at>RevokeBot</at> revoke adele',
    } as Activity;
  }

  /** The bot's own token for Bot Framework services, fetched by botframework-connector's MSAL credentials. */
  function botCredentials(): MsalAppCredentials {
    const authority = `${entra.authorityHost}/${directory.tenantId}`;
    const msal = new ConfidentialClientApplication({
      auth: { clientId: botAppId, clientSecret: botAppSecret, authority, knownAuthorities: [new URL(authority).host] },
    });
    return new MsalAppCredentials(msal, botAppId, authority, BOT_FRAMEWORK);
  }

  async function signInLinkFor(user: DirectoryUser): Promise<string> {
    const resource = await client.getSignInResource(CONNECTION, channelMessage(user), '');
    assert.ok(resource.signInLink);
    return resource.signInLink;
  }

  async function magicCodeFor(user: DirectoryUser): Promise<string> {
    return service.signInAs(user, await signInLinkFor(user));
  }

  beforeEach(async function () {
    const { server: tls } = await testTls();
    directory = seedDirectory();
    helen = directory.user('helen');
    adele = directory.user('adele');
    // A fresh app id per test: botframework-connector caches the bot's token process-wide by app id + scope.
    botAppId = randomUUID();
    botAppSecret = randomBytes(24).toString('base64url');
    const app = {
      appId: botAppId,
      secret: botAppSecret,
      displayName: 'Session Revoker',
      appIdUri: `api://botid-${botAppId}`,
      consentedGraphScopes: ['User.Read.All', 'User.RevokeSessions.All'],
      redirectUris: [] as string[],
    };
    entra = await EmulatedEntra.start({ tls, directory, apps: [app] });
    clockOffsetInMs = 0;
    service = await EmulatedTokenService.start({
      tls,
      entra,
      tenantId: directory.tenantId,
      botAppId,
      botAppSecret,
      connections: [{ name: CONNECTION, scope: `api://botid-${botAppId}/access_as_user` }],
      now: () => Date.now() + clockOffsetInMs,
    });
    // Entra reads registrations live: the callback's port is known only now.
    app.redirectUris.push(service.redirectUri);
    const auth = createBotFrameworkAuthentication({
      MicrosoftAppId: botAppId,
      MicrosoftAppPassword: botAppSecret,
      MicrosoftAppType: 'SingleTenant',
      MicrosoftAppTenantId: directory.tenantId,
      ToChannelFromBotLoginUrl: `${entra.authorityHost}/${directory.tenantId}`,
      ToChannelFromBotOAuthScope: BOT_FRAMEWORK,
      ToBotFromChannelTokenIssuer: BOT_FRAMEWORK,
      ToBotFromChannelOpenIdMetadataUrl: `${entra.authorityHost}/${directory.tenantId}/v2.0/.well-known/openid-configuration`,
      ToBotFromEmulatorOpenIdMetadataUrl: `${entra.authorityHost}/${directory.tenantId}/v2.0/.well-known/openid-configuration`,
      OAuthUrl: service.url,
      CallerId: 'urn:botframework:azure',
      ValidateAuthority: 'false',
    });
    // As CloudAdapterBase.createClaimsIdentity builds it for the bot's own turns.
    client = await auth.createUserTokenClient(
      new ClaimsIdentity([
        { type: 'aud', value: botAppId },
        { type: 'appid', value: botAppId },
      ]),
    );
  });

  afterEach(async function () {
    await service.stop();
    await entra.stop();
  });

  it("when the bot asks for a sign-in resource, then it gets a sign-in link here and the connection's App ID URI", async function () {
    const resource = await client.getSignInResource(CONNECTION, channelMessage(helen), '');
    assert.ok(resource.signInLink?.startsWith(`${service.url}/signin?`));
    assert.equal(resource.tokenExchangeResource?.uri, `api://botid-${botAppId}`);
    assert.ok(resource.tokenExchangeResource?.id);
    assert.ok(resource.tokenPostResource?.sasUrl?.startsWith(service.url));
    assert.equal(service.server.count('getSignInResource', botAppId), 1);
  });

  it('when the person signs in through the link, then the magic code gets the bot a token Entra issued to the bot for that person', async function () {
    const code = await magicCodeFor(helen);
    assert.match(code, /^\d{6}$/);

    const response = await client.getUserToken(helen.teamsId, CONNECTION, CHANNEL_ID, code);
    assert.equal(response?.connectionName, CONNECTION);
    assert.equal(response?.channelId, CHANNEL_ID);
    assert.ok(response?.token);
    assert.ok(Date.parse(response.expiration) > Date.now());
    const claims = await entra.verifyIssuedToken(response.token, { audience: botAppId });
    assert.equal(claims.aud, botAppId);
    assert.equal(claims.oid, helen.id);
    assert.equal(claims.azp, botAppId);
    assert.equal(claims.scp, 'access_as_user');
  });

  it("when the link is opened without a login hint, then the sign-in goes to Entra's authorize endpoint for the connection's scope", async function () {
    const link = await signInLinkFor(helen);
    const res = await fetch(link, { redirect: 'manual' });
    assert.equal(res.status, 302);
    const location = new URL(res.headers.get('location') ?? '');
    assert.equal(`${location.origin}${location.pathname}`, `${entra.authorityHost}/${directory.tenantId}/oauth2/v2.0/authorize`);
    assert.equal(location.searchParams.get('client_id'), botAppId);
    assert.equal(location.searchParams.get('redirect_uri'), service.redirectUri);
    assert.equal(location.searchParams.get('scope'), `api://botid-${botAppId}/access_as_user`);
    assert.equal(location.searchParams.get('login_hint'), null);
    assert.ok((location.searchParams.get('state') ?? '').length >= 32);
    assert.equal(location.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(location.searchParams.get('code_challenge'));
  });

  it('when the code has been used, then the bot keeps getting the token without a code until it expires', async function () {
    const code = await magicCodeFor(helen);
    const first = await client.getUserToken(helen.teamsId, CONNECTION, CHANNEL_ID, code);
    const again = await client.getUserToken(helen.teamsId, CONNECTION, CHANNEL_ID, '');
    assert.ok(first?.token);
    assert.equal(again?.token, first.token);

    clockOffsetInMs = Date.parse(first.expiration) - Date.now() + 1000;
    assert.equal((await client.getUserToken(helen.teamsId, CONNECTION, CHANNEL_ID, ''))?.token, undefined);
  });

  it('when nobody has signed in, then the bot gets no token', async function () {
    const response = await client.getUserToken(helen.teamsId, CONNECTION, CHANNEL_ID, '');
    assert.equal(response, undefined);
    assert.equal(service.server.calls.at(-1)?.status, 404);
  });

  it('when the sign-in completes, then the page shows the code but not the token', async function () {
    let url = new URL(await signInLinkFor(helen));
    url.searchParams.set('login_hint', helen.userPrincipalName);
    let res = await fetch(url, { redirect: 'manual' });
    for (let hop = 0; hop < 5 && res.status === 302; hop += 1) {
      url = new URL(res.headers.get('location') ?? '', url);
      res = await fetch(url, { redirect: 'manual' });
    }
    const html = await res.text();
    assert.equal(`${url.origin}${url.pathname}`, service.redirectUri);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    const code = /<output id="magic-code">(\d{6})<\/output>/.exec(html)?.[1] ?? '';
    assert.match(html, /Enter this code in Teams/);
    const response = await client.getUserToken(helen.teamsId, CONNECTION, CHANNEL_ID, code);
    assert.ok(response?.token);
    assert.ok(!html.includes(response.token));
    assert.ok(!html.includes(response.token.split('.')[1] ?? 'no payload'));
  });

  it('when the code is wrong, then the bot gets no token', async function () {
    const code = await magicCodeFor(helen);
    const wrong = code === '000000' ? '000001' : '000000';
    assert.equal(await client.getUserToken(helen.teamsId, CONNECTION, CHANNEL_ID, wrong), undefined);
    // One slip does not burn the sign-in.
    assert.ok((await client.getUserToken(helen.teamsId, CONNECTION, CHANNEL_ID, code))?.token);
  });

  it('when a code is guessed wrong five times, then even the right code is refused', async function () {
    const code = await magicCodeFor(helen);
    const wrong = code === '000000' ? '000001' : '000000';
    for (let i = 0; i < 5; i += 1) await client.getUserToken(helen.teamsId, CONNECTION, CHANNEL_ID, wrong);
    assert.equal(await client.getUserToken(helen.teamsId, CONNECTION, CHANNEL_ID, code), undefined);
  });

  it('when a code is used a second time, then it gets no token', async function () {
    const code = await magicCodeFor(helen);
    assert.ok((await client.getUserToken(helen.teamsId, CONNECTION, CHANNEL_ID, code))?.token);
    assert.equal(await client.getUserToken(helen.teamsId, CONNECTION, CHANNEL_ID, code), undefined);
  });

  it('when another Teams user sends the code, then it gets no token', async function () {
    const code = await magicCodeFor(helen);
    assert.equal(await client.getUserToken(adele.teamsId, CONNECTION, CHANNEL_ID, code), undefined);
    assert.ok((await client.getUserToken(helen.teamsId, CONNECTION, CHANNEL_ID, code))?.token);
  });

  it('when the code is older than five minutes, then it gets no token', async function () {
    const code = await magicCodeFor(helen);
    clockOffsetInMs = 5 * MINUTE_IN_MS + 1000;
    assert.equal(await client.getUserToken(helen.teamsId, CONNECTION, CHANNEL_ID, code), undefined);
  });

  it("when someone else signs in through Helen's link, then the token is theirs but only Helen's Teams id can redeem it", async function () {
    // The magic code is what binds the sign-in to the chat: whoever signs in, the code goes to the requester.
    const code = await service.signInAs(adele, await signInLinkFor(helen));
    const response = await client.getUserToken(helen.teamsId, CONNECTION, CHANNEL_ID, code);
    assert.ok(response?.token);
    const claims = await entra.verifyIssuedToken(response.token, { audience: botAppId });
    assert.equal(claims.oid, adele.id);
  });

  it('when a sign-in link is opened a second time after signing in, then it is refused', async function () {
    const link = await signInLinkFor(helen);
    await service.signInAs(helen, link);
    await assert.rejects(service.signInAs(helen, link), (error: unknown) => error instanceof EmulatedSignInError && error.status === 400);
  });

  it('when the sign-in link has expired, then it is refused', async function () {
    const link = await signInLinkFor(helen);
    clockOffsetInMs = 16 * MINUTE_IN_MS;
    await assert.rejects(service.signInAs(helen, link), (error: unknown) => error instanceof EmulatedSignInError && error.status === 400);
  });

  it('when Entra sends back an error, then the page shows it escaped and no code', async function () {
    const res = await fetch(await signInLinkFor(helen), { redirect: 'manual' });
    const state = new URL(res.headers.get('location') ?? '').searchParams.get('state') ?? '';
    const callback = new URL(service.redirectUri);
    callback.searchParams.set('state', state);
    callback.searchParams.set('error', '<script>alert("x")</script>');
    const page = await fetch(callback);
    const html = await page.text();
    assert.equal(page.status, 400);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.ok(!html.includes('<script>'));
    assert.ok(html.includes('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;'));
    assert.ok(!html.includes('magic-code'));
  });

  it('when the callback carries a state it never issued, then it is refused', async function () {
    const page = await fetch(`${service.redirectUri}?code=anything&state=${randomBytes(32).toString('base64url')}`);
    assert.equal(page.status, 400);
    assert.ok(!(await page.text()).includes('magic-code'));
  });

  it('when a call carries no token, then it is 401', async function () {
    const res = await fetch(
      `${service.url}/api/usertoken/GetToken?userId=${encodeURIComponent(helen.teamsId)}&connectionName=${CONNECTION}&channelId=${CHANNEL_ID}`,
    );
    assert.equal(res.status, 401);
  });

  it('when a call carries a token for another audience, then it is 401', async function () {
    const sso = await entra.issueSsoToken(helen.id, { appId: botAppId });
    const res = await fetch(`${service.url}/api/botsignin/GetSignInResource?state=x`, { headers: { authorization: `Bearer ${sso}` } });
    assert.equal(res.status, 401);
  });

  it("when a call carries the bot's own token, then it is served (the negative tests above are not vacuous)", async function () {
    const token = await botCredentials().getToken();
    const res = await fetch(
      `${service.url}/api/usertoken/GetTokenStatus?userId=${encodeURIComponent(helen.teamsId)}&channelId=${CHANNEL_ID}`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    assert.equal(res.status, 200);
  });

  it('when a call carries a Bot Framework token of another app, another tenant, a forged signature or past its expiry, then it is 401', async function () {
    const status = async (token: string): Promise<number> =>
      (
        await fetch(`${service.url}/api/usertoken/GetTokenStatus?userId=x&channelId=${CHANNEL_ID}`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).status;
    assert.equal(await status(await entra.issueAppToken(randomUUID(), { audience: BOT_FRAMEWORK })), 401);
    assert.equal(await status(await entra.issueAppToken(botAppId, { audience: BOT_FRAMEWORK, tenantId: randomUUID() })), 401);
    assert.equal(await status(await entra.issueAppToken(botAppId, { audience: BOT_FRAMEWORK, forge: true })), 401);
    assert.equal(await status(await entra.issueAppToken(botAppId, { audience: BOT_FRAMEWORK, expired: true })), 401);
    // The same token, well made, is served: in the bot's tenant and at botframework.com (MultiTenant bots).
    assert.equal(await status(await entra.issueAppToken(botAppId, { audience: BOT_FRAMEWORK })), 200);
    assert.equal(await status(await entra.issueAppToken(botAppId, { audience: BOT_FRAMEWORK, tenantId: BOTFRAMEWORK_TENANT_ID })), 200);
  });

  it('when the state names an unknown connection, then the SDK call fails', async function () {
    await assert.rejects(client.getSignInResource('no-such-connection', channelMessage(helen), ''), (error: unknown) => {
      return typeof error === 'object' && error !== null && 'statusCode' in error && error.statusCode === 400;
    });
  });

  it('when the bot signs the user out, then the token is forgotten', async function () {
    const code = await magicCodeFor(helen);
    assert.ok((await client.getUserToken(helen.teamsId, CONNECTION, CHANNEL_ID, code))?.token);
    assert.deepEqual(
      (await client.getTokenStatus(helen.teamsId, CHANNEL_ID, '')).map((s) => [s.connectionName, s.hasToken]),
      [[CONNECTION, true]],
    );

    await client.signOutUser(helen.teamsId, CONNECTION, CHANNEL_ID);

    assert.equal(await client.getUserToken(helen.teamsId, CONNECTION, CHANNEL_ID, ''), undefined);
    assert.deepEqual(
      (await client.getTokenStatus(helen.teamsId, CHANNEL_ID, '')).map((s) => [s.connectionName, s.hasToken]),
      [[CONNECTION, false]],
    );
  });

  it("when the bot asks for AAD tokens, then it gets the signed-in token for the connection's own resource only", async function () {
    const code = await magicCodeFor(helen);
    const signedIn = await client.getUserToken(helen.teamsId, CONNECTION, CHANNEL_ID, code);
    const tokens = await client.getAadTokens(
      helen.teamsId,
      CONNECTION,
      [`api://botid-${botAppId}`, 'https://graph.microsoft.com'],
      CHANNEL_ID,
    );
    assert.deepEqual(Object.keys(tokens), [`api://botid-${botAppId}`]);
    assert.equal(tokens[`api://botid-${botAppId}`]?.token, signedIn?.token);
  });

  it('when the bot asks the Token Service to exchange an SSO token, then it gets no token (the bot does OBO itself)', async function () {
    const sso = await entra.issueSsoToken(helen.id, { appId: botAppId });
    const response = await client.exchangeToken(helen.teamsId, CONNECTION, CHANNEL_ID, { token: sso });
    assert.equal(response?.token, undefined);
    assert.equal(service.server.calls.at(-1)?.status, 400);
  });

  it('when the bot asks for the sign-in URL alone, then it gets the link as a string', async function () {
    const api = new TokenApiClient(botCredentials(), { baseUri: service.url });
    const state = Buffer.from(
      JSON.stringify({
        connectionName: CONNECTION,
        msAppId: botAppId,
        conversation: { channelId: CHANNEL_ID, user: { id: helen.teamsId } },
      }),
    ).toString('base64');
    const result = await api.botSignIn.getSignInUrl(state);
    assert.equal(typeof result._response.parsedBody, 'string');
    assert.ok(String(result._response.parsedBody).startsWith(`${service.url}/signin?session=`));
  });
});
