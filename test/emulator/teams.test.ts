import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import restify from 'restify';
import {
  CloudAdapter,
  TeamsActivityHandler,
  TeamsInfo,
  TurnContext,
  type Activity,
  type AdaptiveCardInvokeResponse,
  type AdaptiveCardInvokeValue,
  type ConversationReference,
  type SigninStateVerificationQuery,
} from 'botbuilder';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import sinon from 'sinon';
import { BotFrameworkConfigError, createBotFrameworkAuthentication } from '../../src/bot/botFrameworkAuth';
import { DEMO_TENANT_ID as DEMO_TENANT, seedDirectory, type Directory, type DirectoryUser } from '../../emulator/directory';
import { EmulatedEntra } from '../../emulator/entra';
import { EmulatedTeams, LOGIN_REQUEST, CARD_RESPONSE, type Conversation, type PostedMessage } from '../../emulator/teams';
import { testTls } from '../helpers/tls';

const MAGIC_CODE = '482913';
const SIGN_IN_URL = 'https://127.0.0.1:9/signin';
const SLOW_ANSWER_IN_MS = 300;

function card(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body: [{ type: 'TextBlock', text, wrap: true }],
    ...extra,
  };
}

function loginRequest(appId: string): AdaptiveCardInvokeResponse {
  return {
    statusCode: 401,
    type: LOGIN_REQUEST,
    value: {
      text: 'Sign in to continue',
      connectionName: 'sso',
      tokenExchangeResource: { id: randomUUID(), uri: `api://botid-${appId}` },
      buttons: [{ type: 'signin', title: 'Sign in', value: SIGN_IN_URL }],
    },
  };
}

/** A small bot on the real botbuilder stack; what it saw is recorded for the assertions. */
class TestBot extends TeamsActivityHandler {
  turns = 0;
  lastMessage?: Activity;
  lastText?: string;
  lastReference?: Partial<ConversationReference>;
  readonly ssoOids: string[] = [];
  readonly triggers: string[] = [];
  readonly verifiedStates: string[] = [];
  readonly turnErrors: string[] = [];

  constructor(
    private readonly appId: string,
    private readonly verifySso: (token: string) => Promise<string>,
  ) {
    super();
    this.onTurn(async (context, next) => {
      this.turns += 1;
      await next();
    });
    this.onMessage(async (context, next) => {
      this.lastMessage = context.activity;
      this.lastReference = TurnContext.getConversationReference(context.activity);
      this.lastText = context.activity.text;
      // removeRecipientMention rewrites activity.text in place.
      const text = (TurnContext.removeRecipientMention(context.activity) ?? '').trim();
      await this.command(context, text);
      await next();
    });
  }

  private async command(context: TurnContext, text: string): Promise<void> {
    const [verb = ''] = text.split(/\s+/);
    switch (verb) {
      case 'card': {
        const refresh = { action: { type: 'Action.Execute', verb: 'refresh', data: { req: 'r-1' } }, userIds: [context.activity.from.id] };
        const content = card('Revoke?', {
          refresh,
          body: [
            { type: 'TextBlock', text: 'Revoke?' },
            { type: 'Input.Text', id: 'reason', value: 'lost laptop' },
            { type: 'ActionSet', actions: [{ type: 'Action.Execute', title: 'Note', verb: 'toast' }] },
          ],
          actions: [
            { type: 'Action.Execute', title: 'Confirm', verb: 'confirm', data: { req: 'r-1' } },
            { type: 'Action.Execute', title: 'Confirm (HTTP 200 style)', verb: 'confirm200', data: { req: 'r-1' } },
            { type: 'Action.Execute', title: 'Wait', verb: 'slow' },
          ],
        });
        await context.sendActivity({ attachments: [{ contentType: CARD_RESPONSE, content }] });
        return;
      }
      case 'oldcard':
        await context.sendActivity({
          attachments: [
            {
              contentType: CARD_RESPONSE,
              content: { ...card('old'), version: '1.2', actions: [{ type: 'Action.Execute', title: 'Confirm', verb: 'confirm' }] },
            },
          ],
        });
        return;
      case 'signin':
        await context.sendActivity({
          attachments: [{ contentType: 'application/vnd.microsoft.card.oauth', content: loginRequest(this.appId).value }],
        });
        return;
      case 'whois': {
        const bot = context.activity.recipient.id;
        for (const mention of TurnContext.getMentions(context.activity).filter((m) => m.mentioned.id !== bot)) {
          const member = await TeamsInfo.getMember(context, mention.mentioned.id);
          await context.sendActivity(`${member.name}: ${member.aadObjectId ?? '-'} ${member.userPrincipalName ?? '-'}`);
        }
        return;
      }
      case 'update': {
        const sent = await context.sendActivity('version 1');
        await context.updateActivity({ id: sent?.id, type: 'message', text: 'version 2' });
        return;
      }
      case 'update-missing':
        try {
          await context.updateActivity({ id: '1', type: 'message', text: 'nope' });
        } catch (error) {
          const status = (error as { statusCode?: number }).statusCode;
          await context.sendActivity(`update failed: ${status ?? 'no status'}`);
        }
        return;
      case 'lookup': {
        // By UPN or Entra object id instead of the 29: id.
        const member = await TeamsInfo.getMember(context, text.split(/\s+/)[1] ?? '');
        await context.sendActivity(`found ${member.id} ${member.aadObjectId ?? '-'}`);
        return;
      }
      case 'roster': {
        const names: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const page = await TeamsInfo.getPagedMembers(context, 2, token);
          names.push(...page.members.map((m) => m.name));
          token = page.continuationToken;
          pages += 1;
        } while (token);
        await context.sendActivity(`${pages} pages: ${names.join(', ')}`);
        return;
      }
      case 'teaminfo': {
        const details = await TeamsInfo.getTeamDetails(context);
        const channels = await TeamsInfo.getTeamChannels(context);
        await context.sendActivity(
          `${String(details.name)} ${details.aadGroupId ?? '-'} channels: ${channels.map((c) => c.name ?? '(General)').join(', ')}`,
        );
        return;
      }
      case 'channelpost': {
        const channelId = text.split(/\s+/)[1] ?? '';
        const [, conversationId] = await TeamsInfo.sendMessageToTeamsChannel(
          context,
          { type: 'message', text: 'new post' } as Activity,
          channelId,
          this.appId,
        );
        await context.sendActivity(`posted ${conversationId}`);
        return;
      }
      default:
        await context.sendActivity(`you said: ${text}`);
    }
  }

  protected override async onAdaptiveCardInvoke(context: TurnContext, value: AdaptiveCardInvokeValue): Promise<AdaptiveCardInvokeResponse> {
    const trigger = (context.activity.value as { trigger?: string }).trigger ?? '(none)';
    this.triggers.push(`${value.action.verb}:${trigger}`);
    if (value.action.verb === 'refresh') return { statusCode: 200, type: CARD_RESPONSE, value: card('Refreshed') };
    if (value.action.verb === 'toast')
      return {
        statusCode: 200,
        type: 'application/vnd.microsoft.activity.message',
        value: 'Noted',
      } as unknown as AdaptiveCardInvokeResponse;
    if (value.action.verb === 'slow') {
      await new Promise((resolve) => setTimeout(resolve, SLOW_ANSWER_IN_MS));
      return { statusCode: 200, type: CARD_RESPONSE, value: card('Finally') };
    }
    if (value.action.verb === 'confirm200') {
      // The teams-ai / TeamsFx convention: HTTP 200, the semantic status only in the body (the first invokeResponse wins).
      const answer = value.authentication?.token
        ? { statusCode: 200, type: CARD_RESPONSE, value: card(`Done for ${await this.verifySso(value.authentication.token)}`) }
        : loginRequest(this.appId);
      await context.sendActivity({ type: 'invokeResponse', value: { status: 200, body: answer } });
      return answer;
    }
    if (value.state !== undefined) {
      this.verifiedStates.push(value.state);
      return value.state === MAGIC_CODE
        ? { statusCode: 200, type: CARD_RESPONSE, value: card('Signed in with a code') }
        : {
            statusCode: 401,
            type: 'application/vnd.microsoft.error.invalidAuthCode',
            value: { code: 'InvalidAuthCode', message: 'Wrong code' },
          };
    }
    const token = value.authentication?.token;
    if (!token) return loginRequest(this.appId);
    try {
      const oid = await this.verifySso(token);
      this.ssoOids.push(oid);
      return { statusCode: 200, type: CARD_RESPONSE, value: card(`Done for ${oid}`, { data: value.action.data }) };
    } catch {
      return {
        statusCode: 412,
        type: 'application/vnd.microsoft.error.preconditionFailed',
        value: { code: '412', message: 'SSO token refused' },
      };
    }
  }

  protected override async handleTeamsSigninTokenExchange(context: TurnContext): Promise<void> {
    const token = (context.activity.value as { token?: string }).token ?? '';
    try {
      this.ssoOids.push(await this.verifySso(token));
    } catch {
      await context.sendActivity({ type: 'invokeResponse', value: { status: 412, body: { failureDetail: 'SSO token refused' } } });
    }
  }

  protected override async handleTeamsSigninVerifyState(_context: TurnContext, query: SigninStateVerificationQuery): Promise<void> {
    this.verifiedStates.push(query.state ?? '');
  }
}

interface RunningBot {
  readonly bot: TestBot;
  readonly adapter: CloudAdapter;
  readonly endpoint: string;
  close(): Promise<void>;
}

async function startBot(env: Record<string, string>, bot: TestBot): Promise<RunningBot> {
  const adapter = new CloudAdapter(createBotFrameworkAuthentication(env));
  adapter.onTurnError = async (context, error) => {
    bot.turnErrors.push(`${(error as { statusCode?: number }).statusCode ?? ''} ${error.message}`.trim());
    if (context.activity.type === 'message') await context.sendActivity('Sorry, something went wrong.').catch(() => undefined);
  };
  const server = restify.createServer();
  server.use(restify.plugins.bodyParser());
  server.post('/api/messages', async (req, res) => {
    await adapter.process(req, res, (context) => bot.run(context));
  });
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address();
  return {
    bot,
    adapter,
    endpoint: `http://127.0.0.1:${port}/api/messages`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
  };
}

describe('emulated Teams with the real CloudAdapter', function () {
  // A fresh app id per run: botbuilder caches connector tokens process-wide by app id + scope.
  const botAppId = randomUUID();
  const botSecret = randomBytes(24).toString('base64url');
  let directory: Directory;
  let entra: EmulatedEntra;
  let teams: EmulatedTeams;
  let running: RunningBot;
  let helen: DirectoryUser;
  let adele: DirectoryUser;
  let alex: DirectoryUser;
  const signInCalls: string[] = [];

  before(async function () {
    const { server: tls } = await testTls();
    directory = seedDirectory();
    helen = directory.user('helen');
    adele = directory.user('adele');
    alex = directory.user('alex');
    entra = await EmulatedEntra.start({
      tls,
      directory,
      apps: [
        {
          appId: botAppId,
          secret: botSecret,
          displayName: 'Session Revoker',
          appIdUri: `api://botid-${botAppId}`,
          consentedGraphScopes: [],
          redirectUris: [],
        },
      ],
    });
    teams = await EmulatedTeams.start({
      tls,
      directory,
      entra,
      botAppId,
      botEndpoint: 'http://127.0.0.1:9/api/messages',
      tenantId: directory.tenantId,
      signIn: async (user, url) => {
        signInCalls.push(`${user.userPrincipalName} ${url}`);
        return MAGIC_CODE;
      },
    });
    const tenantId = directory.tenantId;
    const jwks = createRemoteJWKSet(new URL(`${entra.authorityHost}/${tenantId}/discovery/v2.0/keys`));
    const verifySso = async (token: string): Promise<string> => {
      const { payload } = await jwtVerify(token, jwks, { issuer: `${entra.authorityHost}/${tenantId}/v2.0`, audience: botAppId });
      return String(payload.oid);
    };
    running = await startBot(
      {
        MicrosoftAppId: botAppId,
        MicrosoftAppPassword: botSecret,
        MicrosoftAppTenantId: tenantId,
        MicrosoftAppType: 'SingleTenant',
        ToBotFromChannelOpenIdMetadataUrl: teams.openIdMetadataUrl,
        ToBotFromChannelTokenIssuer: teams.issuer,
        ToBotFromEmulatorOpenIdMetadataUrl: `${entra.authorityHost}/common/v2.0/.well-known/openid-configuration`,
        ToChannelFromBotLoginUrl: `${entra.authorityHost}/${tenantId}`,
        ToChannelFromBotOAuthScope: 'https://api.botframework.com',
        OAuthUrl: `${teams.server.baseUrl}/no-token-service`,
        ValidateAuthority: 'true',
        CallerId: 'urn:botframework:azure',
      },
      new TestBot(botAppId, verifySso),
    );
    teams.botEndpoint = running.endpoint;
  });

  after(async function () {
    await running?.close();
    await teams?.stop();
    await entra?.stop();
  });

  describe('inbound authentication', function () {
    let chat: Conversation;
    let turnsBefore: number;
    let connectorCallsBefore: number;

    let consoleError: sinon.SinonStub;

    beforeEach(function () {
      chat = teams.personalChat(helen);
      turnsBefore = running.bot.turns;
      connectorCallsBefore = teams.connectorLog.length;
      // botbuilder console.errors every refused request; keep the output readable and check what it logs.
      consoleError = sinon.stub(console, 'error');
    });

    afterEach(function () {
      consoleError.restore();
    });

    function assertNothingProcessed(): void {
      assert.equal(running.bot.turns, turnsBefore, 'the bot ran a turn');
      assert.equal(teams.connectorLog.length, connectorCallsBefore, 'the bot called the connector');
      const logged = consoleError
        .getCalls()
        .map((c) => c.args.map(String).join(' '))
        .join('\n');
      assert.doesNotMatch(logged, /eyJ[\w-]+\.eyJ/, 'botbuilder logged a token');
    }

    it('when the channel posts a message, then the bot accepts it and its echo reaches the connector with a valid bot token', async function () {
      const result = await teams.send(helen, chat, 'hello');
      assert.equal(result.status, 200);
      assert.deepEqual(
        result.posted.map((m) => m.text),
        ['you said: hello'],
      );
      const call = teams.connectorLog.at(-1);
      assert.equal(call?.operation, 'reply');
      assert.equal(call?.authorized, true);
      assert.equal(call?.appId, botAppId);
      assert.equal(call?.conversationId, chat.id);
      const incoming = running.bot.lastMessage;
      assert.equal(incoming?.channelId, 'msteams');
      assert.equal(incoming?.from.id, helen.teamsId);
      assert.equal(incoming?.from.aadObjectId, helen.id);
      assert.equal(incoming?.recipient.id, `28:${botAppId}`);
      assert.equal(incoming?.conversation.conversationType, 'personal');
      assert.equal(incoming?.conversation.tenantId, directory.tenantId);
      assert.equal(incoming?.serviceUrl, teams.serviceUrl);
    });

    it('when the activity is posted raw with a genuine token, then it is processed (the control for the refusals below)', async function () {
      const response = await teams.postActivity(teams.messageActivity(helen, chat, 'raw hello'));
      assert.equal(response.status, 200);
      assert.equal(running.bot.turns, turnsBefore + 1);
    });

    it('when the signature is forged under the genuine kid, then nothing is processed (CloudAdapter answers 500, not 401)', async function () {
      const response = await teams.postActivity(teams.messageActivity(helen, chat, 'forged'), { forge: true });
      assert.equal(response.status, 500);
      assertNothingProcessed();
    });

    it('when the token is for another audience, then it is refused with 401', async function () {
      const response = await teams.postActivity(teams.messageActivity(helen, chat, 'x'), { audience: randomUUID() });
      assert.equal(response.status, 401);
      assertNothingProcessed();
    });

    it('when the token has expired, then it is refused with 401', async function () {
      const response = await teams.postActivity(teams.messageActivity(helen, chat, 'x'), { expired: true });
      assert.equal(response.status, 401);
      assertNothingProcessed();
    });

    it('when the token names another issuer, then it is refused with 401', async function () {
      const response = await teams.postActivity(teams.messageActivity(helen, chat, 'x'), { issuer: 'https://api.botframework.example' });
      assert.equal(response.status, 401);
      assertNothingProcessed();
    });

    it("when the token's serviceurl differs from the activity's, then it is refused with 401", async function () {
      const response = await teams.postActivity(teams.messageActivity(helen, chat, 'x'), { serviceUrl: 'https://127.0.0.1:1/elsewhere/' });
      assert.equal(response.status, 401);
      assertNothingProcessed();
    });

    it('when there is no Authorization header, then it is refused with 401', async function () {
      const response = await teams.postActivity(teams.messageActivity(helen, chat, 'x'), { omit: true });
      assert.equal(response.status, 401);
      assertNothingProcessed();
    });
  });

  describe('connector', function () {
    it('when a call carries no token or a user token instead of the bot token, then it is refused with 401', async function () {
      const chat = teams.personalChat(helen);
      const url = `${teams.serviceUrl}v3/conversations/${encodeURIComponent(chat.id)}/activities`;
      const body = JSON.stringify({ type: 'message', text: 'sneaky' });
      const userToken = await entra.issueSsoToken(helen.id, { appId: botAppId });
      const bare = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const withUserToken = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${userToken}` },
        body,
      });
      assert.deepEqual([bare.status, withUserToken.status], [401, 401]);
      assert.equal(
        teams.messages(chat).some((m) => m.text === 'sneaky'),
        false,
      );
      assert.deepEqual(
        teams.connectorLog.slice(-2).map((c) => c.authorized),
        [false, false],
      );
    });

    it('when the bot updates its message, then every client shows the new version', async function () {
      const chat = teams.personalChat(adele);
      const result = await teams.send(adele, chat, 'update');
      assert.equal(result.status, 200);
      const shown = teams.messages(chat).filter((m) => m.fromBot);
      assert.deepEqual(
        shown.map((m) => [m.text, m.updatedCount]),
        [['version 2', 1]],
      );
      assert.equal(teams.connectorLog.at(-1)?.operation, 'update');
    });

    it('when the bot updates a message that does not exist, then it gets a 404', async function () {
      const result = await teams.send(adele, teams.personalChat(adele), 'update-missing');
      assert.deepEqual(
        result.posted.map((m) => m.text),
        ['update failed: 404'],
      );
      const update = teams.connectorLog.filter((c) => c.operation === 'update').at(-1);
      assert.equal(update?.status, 404);
    });

    it('when the connector throttles a reply with Retry-After, then the SDK retries it by itself and the message arrives', async function () {
      const chat = teams.personalChat(alex);
      const repliesBefore = teams.server.count('reply');
      teams.server.injectFault({
        route: 'reply',
        status: 429,
        headers: { 'Retry-After': '1' },
        body: { error: { code: 'Throttled', message: 'Too many requests' } },
      });
      const result = await teams.send(alex, chat, 'hi there');
      assert.deepEqual(
        result.posted.map((m) => m.text),
        ['you said: hi there'],
      );
      assert.equal(teams.server.count('reply') - repliesBefore, 2);
    });

    it('when the throttling persists, then the SDK gives up after 3 retries and the turn fails with the 429', async function () {
      const chat = teams.personalChat(alex);
      const repliesBefore = teams.server.count('reply');
      const errorsBefore = running.bot.turnErrors.length;
      teams.server.injectFault({
        route: 'reply',
        status: 429,
        headers: { 'Retry-After': '0' },
        times: 4,
        body: { error: { code: 'Throttled', message: 'Too many requests' } },
      });
      const result = await teams.send(alex, chat, 'are you there');
      // 1 try + 3 retries, all throttled, then onTurnError's apology (which goes through).
      assert.equal(teams.server.count('reply') - repliesBefore, 5);
      assert.deepEqual(running.bot.turnErrors.slice(errorsBefore), ['429 Too many requests']);
      assert.deepEqual(
        result.posted.map((m) => m.text),
        ['Sorry, something went wrong.'],
      );
    });

    it('when the bot is not in the roster any more, then its reply fails with 403 and nothing is shown', async function () {
      const chat = teams.personalChat(alex);
      const errorsBefore = running.bot.turnErrors.length;
      const shownBefore = teams.messages(chat).length;
      teams.server.injectFault({
        route: 'reply',
        status: 403,
        times: 2,
        body: { error: { code: 'BotNotInConversationRoster', message: 'The bot is not part of the conversation roster.' } },
      });
      await teams.send(alex, chat, 'hello?');
      assert.match(running.bot.turnErrors[errorsBefore] ?? '', /^403/);
      // The user's own message is shown; the bot's reply and its apology were both refused.
      assert.deepEqual(
        teams
          .messages(chat)
          .slice(shownBefore)
          .map((m) => m.fromBot),
        [false],
      );
    });

    it('when the bot continues a conversation later, then its message arrives through the reply path with any reply-to id', async function () {
      const chat = teams.personalChat(helen);
      await teams.send(helen, chat, 'remember me');
      const reference = running.bot.lastReference;
      assert.ok(reference);
      await running.adapter.continueConversationAsync(botAppId, reference, async (context) => {
        await context.sendActivity('proactive hello');
      });
      const message = await teams.waitForMessage(chat, (m) => m.text === 'proactive hello');
      assert.ok(message.replyToId);
      assert.equal(teams.connectorLog.at(-1)?.operation, 'reply');
    });

    it('when the bot starts a new channel post, then it gets a thread id with the message id', async function () {
      const team = teams.team('IT Ops', [helen, adele]);
      const channel = team.channel('Helpdesk');
      const result = await teams.send(helen, team.general, `channelpost ${channel.id}`);
      const reply = result.posted.find((m) => m.text?.startsWith('posted '));
      const post = teams.messages(channel).find((m) => m.text === 'new post');
      assert.ok(post);
      assert.equal(reply?.text, `posted ${channel.id};messageid=${post.id}`);
      assert.equal(post.conversationId, `${channel.id};messageid=${post.id}`);
    });
  });

  describe('mentions', function () {
    it('when someone is mentioned in a channel, then the bot gets the entities and <at> text and resolves the person through the roster', async function () {
      const team = teams.team('Service Desk', [helen, adele]);
      const channel = team.channel('Requests');
      const result = await teams.send(helen, channel, 'whois', { mentions: [adele] });
      const incoming = running.bot.lastMessage;
      assert.equal(running.bot.lastText, `<at>Session Revoker</at> whois <at>${adele.displayName}</at>`);
      assert.equal(incoming?.text, `whois <at>${adele.displayName}</at>`);
      const mentions = TurnContext.getMentions(incoming).map((m) => m.mentioned.id);
      assert.deepEqual(mentions, [`28:${botAppId}`, adele.teamsId]);
      const channelData = incoming?.channelData as { team?: { id?: string }; channel?: { id?: string } };
      assert.equal(channelData.team?.id, team.id);
      assert.equal(channelData.channel?.id, channel.id);
      assert.deepEqual(
        result.posted.map((m) => m.text),
        [`${adele.displayName}: ${adele.id} ${adele.userPrincipalName}`],
      );
      const lookup = teams.connectorLog.find((c) => c.operation === 'getMember' && c.memberId === adele.teamsId);
      assert.equal(lookup?.conversationId, team.id);
      assert.equal(lookup?.authorized, true);
    });

    it('when the mentioned person is not in the team, then the roster lookup fails with 404 and the bot reports the error', async function () {
      const team = teams.team('Small Team', [helen]);
      const errorsBefore = running.bot.turnErrors.length;
      await teams.send(helen, team.general, 'whois', { mentions: [alex] });
      assert.match(running.bot.turnErrors[errorsBefore] ?? '', /^404/);
      const lookup = teams.connectorLog.filter((c) => c.operation === 'getMember').at(-1);
      assert.equal(lookup?.status, 404);
    });

    it('when the bot looks a member up by UPN or object id, then the roster answers with the same person', async function () {
      const chat = teams.groupChat([helen, adele], 'Lookup');
      const byUpn = await teams.send(helen, chat, `lookup ${adele.userPrincipalName.toUpperCase()}`);
      const byOid = await teams.send(helen, chat, `lookup ${adele.id}`);
      assert.deepEqual(
        [...byUpn.posted, ...byOid.posted].map((m) => m.text),
        [`found ${adele.teamsId} ${adele.id}`, `found ${adele.teamsId} ${adele.id}`],
      );
    });

    it('when the bot pages through the roster, then it gets every member once', async function () {
      const team = teams.team('Paging', [helen, adele, alex]);
      const result = await teams.send(helen, team.channel('Roster'), 'roster');
      assert.deepEqual(
        result.posted.map((m) => m.text),
        [`2 pages: ${[helen, adele, alex].map((u) => u.displayName).join(', ')}`],
      );
    });

    it('when the bot asks for the team and its channels, then it gets them', async function () {
      const team = teams.team('Details', [helen]);
      team.channel('Alerts');
      const result = await teams.send(helen, team.general, 'teaminfo');
      assert.deepEqual(
        result.posted.map((m) => m.text),
        [`Details ${team.aadGroupId} channels: (General), Alerts`],
      );
    });

    it('when someone posts in a private channel, then the channel data says so', async function () {
      const team = teams.team('Secure', [helen, adele]);
      const secret = team.privateChannel('Incidents', [helen]);
      await teams.send(helen, secret, 'psst');
      const channelData = running.bot.lastMessage?.channelData as { channel?: { id?: string; membershipType?: string } };
      assert.deepEqual(channelData.channel, { id: secret.id, name: 'Incidents', membershipType: 'private' });
      await assert.rejects(teams.send(adele, secret, 'let me in'), /not a member/);
    });

    it('when someone replies in a channel thread, then the activity and the bot answer stay in that thread', async function () {
      const team = teams.team('Threads', [helen, adele]);
      const channel = team.channel('Talk');
      const first = await teams.send(helen, channel, 'first');
      const root = teams.messages(channel).find((m) => !m.fromBot);
      assert.ok(root);
      assert.equal(root.conversationId, `${channel.id};messageid=${root.id}`);
      assert.equal(first.posted[0]?.conversationId, root.conversationId);
      const second = await teams.send(adele, channel, 'second', { inThreadOf: root });
      assert.equal(running.bot.lastMessage?.conversation.id, root.conversationId);
      assert.equal(second.posted[0]?.conversationId, root.conversationId);
      assert.equal(teams.messages(channel).length, 4);
    });

    it('when a channel message does not mention the bot, then Teams does not deliver it', async function () {
      const team = teams.team('Quiet', [helen]);
      const turnsBefore = running.bot.turns;
      const result = await teams.send(helen, team.general, 'just chatting', { mentionBot: false });
      assert.equal(result.status, 0);
      assert.equal(running.bot.turns, turnsBefore);
    });
  });

  describe('Universal Actions and sign-in', function () {
    async function postCard(user: DirectoryUser, conversation: Conversation): Promise<PostedMessage> {
      const result = await teams.send(user, conversation, 'card');
      const message = result.posted.find((m) => m.card);
      assert.ok(message, 'the bot posted no card');
      return message;
    }

    it('when a chat user clicks and the bot asks for login, then the client gets an SSO token silently and the re-sent invoke carries it', async function () {
      const chat = teams.personalChat(helen);
      const message = await postCard(helen, chat);
      const oidsBefore = running.bot.ssoOids.length;
      const result = await teams.click(helen, message, 'Confirm');
      assert.deepEqual(result.steps, ['invoke→401 loginRequest', 'sso token', 'invoke→200']);
      assert.deepEqual(running.bot.ssoOids.slice(oidsBefore), [helen.id]);
      assert.equal(result.card?.body !== undefined, true);
      assert.deepEqual(result.card?.data, { req: 'r-1', reason: 'lost laptop' });
      assert.equal(result.signInRequired, undefined);
      // Only the clicker sees the new card.
      assert.deepEqual(teams.messages(chat, helen).find((m) => m.id === message.id)?.card, result.card);
      assert.notDeepEqual(teams.messages(chat).find((m) => m.id === message.id)?.card, result.card);
    });

    it('when a channel user clicks and the bot asks for login, then Teams does no silent SSO and sign-in is required', async function () {
      const team = teams.team('Approvers', [helen, adele]);
      const message = await postCard(adele, team.channel('Approvals'));
      const result = await teams.click(adele, message, 'confirm', { inputs: { reason: 'phishing' } });
      assert.deepEqual(result.steps, ['invoke→401 loginRequest', 'no silent sso in channels']);
      assert.equal(result.signInRequired, true);
      assert.equal(result.card, undefined);
    });

    it('when a channel user clicks and signs in visibly, then the invoke is re-sent with the magic code', async function () {
      const team = teams.team('Approvers 2', [helen]);
      const message = await postCard(helen, team.channel('Approvals'));
      const result = await teams.click(helen, message, 'Confirm', { signIn: true });
      assert.deepEqual(result.steps, ['invoke→401 loginRequest', 'no silent sso in channels', 'sign-in', 'invoke→200']);
      assert.equal(signInCalls.at(-1), `${helen.userPrincipalName} ${SIGN_IN_URL}`);
      assert.equal(running.bot.verifiedStates.at(-1), MAGIC_CODE);
    });

    it('when the bot posts an OAuthCard in a personal chat, then the client exchanges an SSO token the bot can verify', async function () {
      const oidsBefore = running.bot.ssoOids.length;
      const result = await teams.send(alex, teams.personalChat(alex), 'signin');
      assert.deepEqual(result.steps, ['message→200', 'oauth card', 'sso token', 'signin/tokenExchange→200']);
      assert.deepEqual(running.bot.ssoOids.slice(oidsBefore), [alex.id]);
    });

    it('when SSO is blocked for the user, then the OAuthCard needs the visible sign-in', async function () {
      const blocked = directory.user('rita');
      blocked.ssoBlocked = true;
      try {
        const chat = teams.personalChat(blocked);
        const silent = await teams.send(blocked, chat, 'signin');
        assert.deepEqual(silent.steps, ['message→200', 'oauth card', 'sso blocked']);
        assert.equal(silent.signInRequired, true);
        const visible = await teams.send(blocked, chat, 'signin', { signIn: true });
        assert.deepEqual(visible.steps, ['message→200', 'oauth card', 'sso blocked', 'sign-in', 'signin/verifyState→200']);
        assert.equal(visible.signInRequired, undefined);
      } finally {
        blocked.ssoBlocked = false;
      }
    });

    it('when a card lists the user for refresh, then only that user gets an automatic refresh', async function () {
      const chat = teams.groupChat([helen, adele], 'Ops');
      const message = await postCard(helen, chat);
      const forHelen = await teams.refresh(helen, message);
      const forAdele = await teams.refresh(adele, message);
      assert.deepEqual(forHelen?.steps, ['invoke→200']);
      assert.equal(running.bot.triggers.at(-1), 'refresh:automatic');
      assert.equal(forAdele, undefined);
    });

    it('when the bot answers in the HTTP 200 convention, then the client follows the status in the body the same way', async function () {
      const chat = teams.groupChat([helen, adele], 'Both conventions');
      const message = await postCard(adele, chat);
      const result = await teams.click(adele, message, 'Confirm (HTTP 200 style)');
      assert.deepEqual(result.steps, ['invoke→401 loginRequest', 'sso token', 'invoke→200']);
      assert.equal(result.status, 200);
      assert.deepEqual(result.card?.body, card(`Done for ${adele.id}`).body);
    });

    it('when the bot answers with a message, then the client shows it as a toast and keeps the card', async function () {
      const chat = teams.personalChat(helen);
      const message = await postCard(helen, chat);
      const result = await teams.click(helen, message, 'Note');
      assert.equal(result.message, 'Noted');
      assert.equal(result.card, undefined);
      assert.deepEqual(teams.messages(chat, helen).find((m) => m.id === message.id)?.card, message.card);
    });

    it('when the bot answers slowly, then the client waits and records how long it took', async function () {
      const message = await postCard(helen, teams.personalChat(helen));
      const result = await teams.click(helen, message, 'Wait');
      assert.equal(result.steps.at(-1), 'invoke→200');
      assert.ok(result.elapsedInMs >= SLOW_ANSWER_IN_MS, `elapsed ${result.elapsedInMs} ms`);
      assert.equal(result.unreachable, false);
    });

    it('when a click names an input the card does not have, then the client refuses it', async function () {
      const message = await postCard(helen, teams.personalChat(helen));
      await assert.rejects(teams.click(helen, message, 'Confirm', { inputs: { comment: 'x' } }), /no inputs comment/);
    });

    it('when the card is older than version 1.4, then its Action.Execute cannot be clicked', async function () {
      const chat = teams.personalChat(helen);
      const result = await teams.send(helen, chat, 'oldcard');
      const message = result.posted[0];
      assert.ok(message);
      await assert.rejects(teams.click(helen, message, 'Confirm'), /Teams needs ≥ 1.4/);
    });
  });
});

describe('createBotFrameworkAuthentication', function () {
  const base = { MicrosoftAppId: randomUUID(), MicrosoftAppPassword: 'not-a-real-secret' };

  it('when MicrosoftAppType is unset, then it assumes SingleTenant without changing the configuration it was given', function () {
    const env: Record<string, string | undefined> = { ...base };
    // botbuilder itself insists on a tenant id for SingleTenant (it would accept this as MultiTenant).
    assert.throws(() => createBotFrameworkAuthentication(env), /MicrosoftAppTenantId is required for SingleTenant/);
    assert.equal('MicrosoftAppType' in env, false);
    assert.doesNotThrow(() => createBotFrameworkAuthentication({ ...env, MicrosoftAppType: 'MultiTenant' }));
  });

  it('when the login URL is not the public one and not https, then it refuses to build', function () {
    const env = { ...base, MicrosoftAppTenantId: DEMO_TENANT, ToChannelFromBotLoginUrl: `http://127.0.0.1:1/${DEMO_TENANT}` };
    assert.throws(() => createBotFrameworkAuthentication(env), BotFrameworkConfigError);
  });

  it('when the custom login URL names no tenant, then it refuses to build', function () {
    const env = { ...base, MicrosoftAppTenantId: DEMO_TENANT, ToChannelFromBotLoginUrl: 'https://127.0.0.1:1/' };
    assert.throws(() => createBotFrameworkAuthentication(env), /must name the tenant/);
  });

  it('when a custom login URL is set without a password, then it refuses to build', function () {
    const env = {
      MicrosoftAppId: base.MicrosoftAppId,
      MicrosoftAppTenantId: DEMO_TENANT,
      ToChannelFromBotLoginUrl: `https://127.0.0.1:1/${DEMO_TENANT}`,
    };
    assert.throws(() => createBotFrameworkAuthentication(env), /MicrosoftAppPassword is required/);
  });
});
