/**
 * The emulated Microsoft Teams: the channel that signs and posts activities to the bot, the
 * Bot Connector the bot answers through, and the client behaviours of the people in the
 * conversations (sending, clicking Action.Execute buttons, silent SSO and visible sign-in,
 * card refresh). The protocol: docs/teams-protocol.md; the SDKs on loopback: docs/sdk-endpoints.md.
 */
import { randomUUID } from 'node:crypto';
import type { Directory, DirectoryUser } from '../directory';
import type { EmulatedEntra } from '../entra';
import { EmulatedServer } from '../httpServer';
import type { PemPair } from '../tls';
import { invokeActivity, messageActivity, userAccount, type ActivityContext } from './activities';
import {
  classifyActionAnswer,
  describeAnswer,
  findExecuteAction,
  initialInputValues,
  inputIds,
  refreshOf,
  semanticStatus,
  signInUrlOf,
  supportsUniversalActions,
  type ExecuteAction,
} from './cards';
import { CHANNEL_ISSUER, ChannelAuthority } from './channelAuth';
import { registerConnector, type BotTokenCheck } from './connector';
import { ConversationRegistry } from './conversations';
import { obj, parseBody, str, type JsonObject } from './json';
import { Transcript } from './transcript';
import type { ChannelTokenOptions, ConnectorCall, Conversation, InvokeResult, PostedMessage, Team, TurnResult } from './types';

/** The audience of the bot's connector token (ToChannelFromBotOAuthScope). */
export const CONNECTOR_AUDIENCE = 'https://api.botframework.com';
/** Teams gives up on a bot request after about this long ("unable to reach app", or a retry). */
export const TEAMS_WAIT_IN_MS = 15_000;
const SERVICE_PATH = '/teams';

/** What the emulated Teams uses of the emulated Entra: SSO tokens for the client, token checks for the connector. */
export type TeamsEntra = Pick<EmulatedEntra, 'issueSsoToken' | 'checkIssuedToken'>;

export interface EmulatedTeamsOptions {
  readonly tls: PemPair;
  readonly directory: Directory;
  readonly entra: TeamsEntra;
  readonly botAppId: string;
  /** e.g. http://127.0.0.1:3978/api/messages */
  readonly botEndpoint: string;
  readonly tenantId: string;
  /** The bot's display name in Teams. Default 'Session Revoker'. */
  readonly botName?: string;
  /** The visible sign-in: the person opens the sign-in URL, signs in and gets a magic code. */
  readonly signIn?: (user: DirectoryUser, signInUrl: string) => Promise<string>;
  /** How long the client waits for the bot (never less than Teams' 15 s). Default 60 s. */
  readonly requestTimeoutInMs?: number;
  /** Listen on this port (default: a free one). */
  readonly port?: number;
}

export interface SendOptions {
  readonly mentions?: readonly DirectoryUser[];
  /** Default: true outside personal chats (the bot only gets channel/group messages that mention it). */
  readonly mentionBot?: boolean;
  /** Reply in the thread of this channel post instead of starting a new one. */
  readonly inThreadOf?: PostedMessage;
  /** Do the visible sign-in (through the signIn hook) when silent SSO is not possible. */
  readonly signIn?: boolean;
}

export interface ClickOptions {
  /** Input values by input id (merged over the inputs' initial values). */
  readonly inputs?: Readonly<Record<string, string>>;
  /** Do the visible sign-in (through the signIn hook) when silent SSO is not possible. */
  readonly signIn?: boolean;
}

interface BotAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly elapsedInMs: number;
}

interface SignInFlow {
  readonly steps: string[];
  signInRequired: boolean;
}

export class EmulatedTeams {
  /** ToBotFromChannelTokenIssuer. */
  readonly issuer = CHANNEL_ISSUER;
  /** Every connector call the bot made (that reached a handler), with its token check. */
  readonly connectorLog: ConnectorCall[] = [];
  /** Settable: the bot may restart on another port. */
  botEndpoint: string;

  private readonly registry: ConversationRegistry;
  /** Distinguishes this instance's metadata URL (see openIdMetadataUrl). */
  private readonly instanceId = randomUUID();
  private readonly transcript = new Transcript();
  private readonly context: ActivityContext;

  private constructor(
    readonly server: EmulatedServer,
    private readonly authority: ChannelAuthority,
    private readonly options: EmulatedTeamsOptions,
  ) {
    this.botEndpoint = options.botEndpoint;
    this.registry = new ConversationRegistry(options.directory, options.tenantId);
    const serviceUrl = (): string => this.serviceUrl;
    this.context = {
      get serviceUrl(): string {
        return serviceUrl();
      },
      botAppId: options.botAppId,
      botName: options.botName ?? 'Session Revoker',
      tenantId: options.tenantId,
    };
  }

  /** Starts the channel (metadata, keys) and the connector on 127.0.0.1 over HTTPS. */
  static async start(options: EmulatedTeamsOptions): Promise<EmulatedTeams> {
    const authority = await ChannelAuthority.create();
    const server = new EmulatedServer({ name: 'teams', tls: options.tls });
    const teams = new EmulatedTeams(server, authority, options);
    authority.register(server);
    registerConnector(server, {
      basePath: SERVICE_PATH,
      registry: teams.registry,
      transcript: teams.transcript,
      log: teams.connectorLog,
      botAppId: options.botAppId,
      botName: teams.context.botName,
      tenantId: options.tenantId,
      checkBotToken: (token) => teams.checkBotToken(token),
      serviceUrl: () => teams.serviceUrl,
    });
    await server.listen(options.port);
    return teams;
  }

  /**
   * ToBotFromChannelOpenIdMetadataUrl. The query names this instance: botbuilder caches channel
   * keys per metadata URL for the whole process and refetches on an unknown kid at most once an
   * hour, so a later emulator on a reused port must not share an earlier one's cache entry (its
   * new keys would be refused with 401).
   */
  get openIdMetadataUrl(): string {
    return `${ChannelAuthority.metadataUrl(this.server)}?instance=${this.instanceId}`;
  }

  /** The connector's base URL, with a trailing slash (activities' serviceUrl and the token's serviceurl claim). */
  get serviceUrl(): string {
    return `${this.server.baseUrl}${SERVICE_PATH}/`;
  }

  /** The channel's signing keys (tests can inspect the published kid). */
  get channelKeys(): ChannelAuthority['keys'] {
    return this.authority.keys;
  }

  async stop(): Promise<void> {
    await this.server.close();
  }

  // ----- conversations -----

  personalChat(user: DirectoryUser): Conversation {
    return this.registry.personalChat(user);
  }

  groupChat(members: DirectoryUser[], topic?: string): Conversation {
    return this.registry.groupChat(members, topic);
  }

  /** A team; with botInstalled false the bot is not in it until installBot (default: installed). */
  team(name: string, members: DirectoryUser[], options: { botInstalled?: boolean } = {}): Team {
    return this.registry.team(name, members, options);
  }

  /**
   * Adds the bot to a team as Teams does: the bot is then in the roster and receives a
   * conversationUpdate (membersAdded: the bot) in the team's General channel, from `by`.
   */
  async installBot(team: Team, by: DirectoryUser): Promise<{ status: number; body: unknown }> {
    team.botInstalled = true;
    const base = this.messageActivity(by, team.general, 'install', { mentionBot: false });
    const { text: _text, entities: _entities, textFormat: _format, ...rest } = base as Record<string, unknown>;
    return this.postActivity({
      ...rest,
      type: 'conversationUpdate',
      membersAdded: [{ id: `28:${this.options.botAppId}` }],
      channelData: {
        ...(rest.channelData as object),
        eventType: 'teamMemberAdded',
        team: { id: team.id, name: team.name, aadGroupId: team.aadGroupId },
      },
    });
  }

  /** What the client shows in the conversation now, in order; cards as `viewer` sees them (user-specific views). */
  messages(conversation: Conversation, viewer?: DirectoryUser): PostedMessage[] {
    return this.transcript.list(conversation.id, viewer?.id);
  }

  /** Resolves with the first message (existing or new or updated) that matches; rejects after the timeout. */
  waitForMessage(conversation: Conversation, predicate: (m: PostedMessage) => boolean, timeoutInMs = 5_000): Promise<PostedMessage> {
    return new Promise((resolve, reject) => {
      const check = (): PostedMessage | undefined => this.messages(conversation).find(predicate);
      const found = check();
      if (found) {
        resolve(found);
        return;
      }
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`No matching message in ${conversation.id} within ${timeoutInMs} ms`));
      }, timeoutInMs);
      const unsubscribe = this.transcript.onChange(() => {
        const match = check();
        if (!match) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(match);
      });
    });
  }

  // ----- client behaviours -----

  /** An invoke activity as the client would post it about a message (for replays and forged values with postActivity). */
  invokeActivityFor(from: DirectoryUser, conversation: Conversation, message: PostedMessage, name: string, value: unknown): JsonObject {
    return invokeActivity(this.context, from, conversation, message.conversationId, name, value, message.id);
  }

  /** The activity the client would post for this message (for postActivity variants in auth tests). */
  messageActivity(from: DirectoryUser, conversation: Conversation, text: string, options: SendOptions = {}): JsonObject {
    return this.buildMessage(from, conversation, text, options).activity;
  }

  /**
   * The user sends a message. Resolves when the bot's HTTP turn is over, with what the bot
   * posted; an OAuthCard the bot posts is handled like Teams does (silent SSO in chats, the
   * visible sign-in when asked for).
   */
  async send(from: DirectoryUser, conversation: Conversation, text: string, options: SendOptions = {}): Promise<TurnResult> {
    this.assertMember(from, conversation);
    const startedAt = Date.now();
    const mark = this.transcript.mark;
    const { activity, id, conversationId, mentionBot } = this.buildMessage(from, conversation, text, options);
    this.transcript.add({ id, baseConversationId: conversation.id, conversationId, from: userAccount(from), fromBot: false, activity });

    const flow: SignInFlow = { steps: [], signInRequired: false };
    if (conversation.conversationType !== 'personal' && !mentionBot) {
      // Without RSC permissions Teams delivers channel and group messages only when they mention the bot.
      flow.steps.push('not delivered (bot not mentioned)');
      return { status: 0, body: undefined, posted: [], steps: flow.steps, elapsedInMs: Date.now() - startedAt };
    }
    const answer = await this.post(activity);
    flow.steps.push(answer.status === 0 ? 'message→unreachable' : `message→${answer.status}`);

    const oauth = this.transcript.botMessagesSince(mark).find((m) => m.oauthCard && m.conversationId.startsWith(conversation.id));
    if (oauth?.oauthCard) {
      flow.steps.push('oauth card');
      await this.signInFromOAuthCard(from, conversation, oauth, oauth.oauthCard, options.signIn ?? false, flow);
    }
    return {
      status: answer.status,
      body: answer.body,
      posted: this.transcript.botMessagesSince(mark, from.id),
      steps: flow.steps,
      ...(flow.signInRequired ? { signInRequired: true } : {}),
      elapsedInMs: Date.now() - startedAt,
    };
  }

  /**
   * The user clicks an Action.Execute (by title or verb) on the card as they see it now; the
   * client merges input values into its data and sends the adaptiveCard/action invoke, then
   * handles a loginRequest (silent SSO in chats, visible sign-in when asked for).
   */
  async click(from: DirectoryUser, message: PostedMessage, action: string, options: ClickOptions = {}): Promise<InvokeResult> {
    const current = this.transcript.get(message.id, from.id);
    if (!current) throw new Error(`Message ${message.id} is no longer shown (deleted?)`);
    const conversation = this.conversationOf(current);
    this.assertMember(from, conversation);
    const card = current.card;
    if (!card) throw new Error(`Message ${message.id} shows no Adaptive Card`);
    const found = supportsUniversalActions(card) ? findExecuteAction(card, action) : undefined;
    if (!found) {
      const version = str(card.version) ?? '(none)';
      throw new Error(`No Action.Execute "${action}" on the card of message ${message.id} (card version ${version}; Teams needs ≥ 1.4)`);
    }
    const known = inputIds(card);
    const unknown = Object.keys(options.inputs ?? {}).filter((id) => !known.has(id));
    if (unknown.length > 0) throw new Error(`The card has no inputs ${unknown.join(', ')}`);
    const data = { ...found.data, ...initialInputValues(card), ...options.inputs };
    return this.universalAction(from, conversation, current, { ...found, data }, 'manual', options.signIn ?? false);
  }

  /**
   * The card's automatic refresh for this user, as Teams runs it when it shows the card: only
   * when the user is in refresh.userIds (or userIds is absent and the conversation has at most
   * 60 members). Otherwise undefined.
   */
  async refresh(from: DirectoryUser, message: PostedMessage): Promise<InvokeResult | undefined> {
    const current = this.transcript.get(message.id, from.id);
    const card = current?.card;
    if (!current || !card || !supportsUniversalActions(card)) return undefined;
    const refresh = refreshOf(card);
    if (!refresh) return undefined;
    const conversation = this.conversationOf(current);
    const eligible = refresh.userIds ? refresh.userIds.includes(from.teamsId) : conversation.members.length <= 60;
    if (!eligible) return undefined;
    return this.universalAction(from, conversation, current, refresh.action, 'automatic', false);
  }

  /** Posts an activity as given, with a channel token shaped by `token` (raw access for auth tests). */
  async postActivity(activity: JsonObject | object, token: ChannelTokenOptions = {}): Promise<{ status: number; body: unknown }> {
    const answer = await this.post(activity as JsonObject, token);
    return { status: answer.status, body: answer.body };
  }

  // ----- internals -----

  private buildMessage(
    from: DirectoryUser,
    conversation: Conversation,
    text: string,
    options: SendOptions,
  ): { activity: JsonObject; id: string; conversationId: string; mentionBot: boolean } {
    const mentionBot = options.mentionBot ?? conversation.conversationType !== 'personal';
    const activity = messageActivity(this.context, from, conversation, conversation.id, text, { mentions: options.mentions, mentionBot });
    const id = str(activity.id) ?? '';
    if (conversation.conversationType !== 'channel') return { activity, id, conversationId: conversation.id, mentionBot };
    // Channel activities name the thread they belong to; a new post is its own root.
    const root = options.inThreadOf ? threadRootOf(options.inThreadOf) : id;
    const conversationId = `${conversation.id};messageid=${root}`;
    activity.conversation = { ...obj(activity.conversation), id: conversationId };
    return { activity, id, conversationId, mentionBot };
  }

  private conversationOf(message: PostedMessage): Conversation {
    const conversation = this.registry.find(message.conversationId);
    if (!conversation) throw new Error(`Unknown conversation ${message.conversationId}`);
    return conversation;
  }

  private assertMember(user: DirectoryUser, conversation: Conversation): void {
    if (!conversation.members.some((m) => m.id === user.id)) {
      throw new Error(`${user.displayName} is not a member of ${conversation.name ?? conversation.id}`);
    }
  }

  private async universalAction(
    from: DirectoryUser,
    conversation: Conversation,
    message: PostedMessage,
    action: ExecuteAction,
    trigger: 'manual' | 'automatic',
    visibleSignIn: boolean,
  ): Promise<InvokeResult> {
    const startedAt = Date.now();
    const mark = this.transcript.mark;
    const flow: SignInFlow = { steps: [], signInRequired: false };
    let unreachable = false;
    const value: JsonObject = {
      action: { type: 'Action.Execute', ...(action.id ? { id: action.id } : {}), verb: action.verb, data: action.data },
      trigger,
    };
    let triedSso = false;
    let triedVisible = false;
    let lastLogin: JsonObject | undefined;
    for (;;) {
      const activity = invokeActivity(this.context, from, conversation, message.conversationId, 'adaptiveCard/action', value, message.id);
      const answer = await this.post(activity);
      unreachable ||= answer.status === 0 || answer.elapsedInMs > TEAMS_WAIT_IN_MS;
      const outcome = classifyActionAnswer(answer.status, answer.body);
      flow.steps.push(describeAnswer('invoke', answer.status, outcome));
      const done = (extra: Partial<InvokeResult>): InvokeResult => ({
        status: answer.status,
        body: answer.body,
        steps: flow.steps,
        elapsedInMs: Date.now() - startedAt,
        unreachable,
        posted: this.transcript.botMessagesSince(mark, from.id),
        ...(flow.signInRequired ? { signInRequired: true } : {}),
        ...extra,
      });

      if (outcome.kind === 'loginRequest' || outcome.kind === 'preconditionFailed') {
        if (outcome.kind === 'loginRequest') lastLogin = outcome.oauthCard;
        const exchange = obj(lastLogin?.tokenExchangeResource);
        const exchangeId = str(exchange.id);
        if (outcome.kind === 'loginRequest' && !triedSso && this.canSilentSso(from, conversation, exchangeId, flow)) {
          triedSso = true;
          const token = await this.options.entra.issueSsoToken(from.id, { appId: this.options.botAppId });
          flow.steps.push('sso token');
          delete value.state;
          value.authentication = { id: exchangeId, connectionName: str(lastLogin?.connectionName) ?? '', token };
          continue;
        }
        const url = lastLogin ? signInUrlOf(lastLogin) : undefined;
        if (visibleSignIn && !triedVisible && url && this.options.signIn) {
          triedVisible = true;
          const code = await this.options.signIn(from, url);
          flow.steps.push('sign-in');
          delete value.authentication;
          value.state = code;
          continue;
        }
        flow.signInRequired = true;
        return done(outcome.kind === 'preconditionFailed' ? { error: outcome.error } : {});
      }
      switch (outcome.kind) {
        case 'card':
          this.transcript.setView(message.id, from.id, outcome.card);
          return done({ card: outcome.card });
        case 'message':
          return done({ message: outcome.text });
        case 'empty':
          return done({});
        case 'error':
          return done({ error: outcome.error });
      }
    }
  }

  /**
   * Teams gets a token silently only in personal and group chats, only when the card names a
   * token exchange resource, and not for users who must consent first. Records why not.
   */
  private canSilentSso(
    user: DirectoryUser,
    conversation: Conversation,
    exchangeId: string | undefined,
    flow: SignInFlow,
  ): exchangeId is string {
    if (conversation.conversationType === 'channel') {
      flow.steps.push('no silent sso in channels');
      return false;
    }
    if (!exchangeId) {
      flow.steps.push('no token exchange resource');
      return false;
    }
    if (user.ssoBlocked) {
      flow.steps.push('sso blocked');
      return false;
    }
    return true;
  }

  /** Teams' handling of an OAuthCard the bot posted: token exchange, then the sign-in button. */
  private async signInFromOAuthCard(
    user: DirectoryUser,
    conversation: Conversation,
    message: PostedMessage,
    card: JsonObject,
    visibleSignIn: boolean,
    flow: SignInFlow,
  ): Promise<void> {
    const connectionName = str(card.connectionName) ?? '';
    const exchangeId = str(obj(card.tokenExchangeResource).id);
    if (this.canSilentSso(user, conversation, exchangeId, flow)) {
      const token = await this.options.entra.issueSsoToken(user.id, { appId: this.options.botAppId });
      flow.steps.push('sso token');
      const answer = await this.invoke(user, conversation, message.conversationId, 'signin/tokenExchange', {
        id: exchangeId,
        connectionName,
        token,
      });
      flow.steps.push(`signin/tokenExchange→${answer.status === 0 ? 'unreachable' : semanticStatus(answer.status, answer.body)}`);
      if (answer.status >= 200 && answer.status < 300 && semanticStatus(answer.status, answer.body) === 200) return;
    }
    const url = signInUrlOf(card);
    if (visibleSignIn && url && this.options.signIn) {
      const code = await this.options.signIn(user, url);
      flow.steps.push('sign-in');
      const answer = await this.invoke(user, conversation, message.conversationId, 'signin/verifyState', { state: code });
      flow.steps.push(`signin/verifyState→${answer.status === 0 ? 'unreachable' : answer.status}`);
      if (answer.status >= 200 && answer.status < 300) return;
    }
    flow.signInRequired = true;
  }

  private invoke(
    user: DirectoryUser,
    conversation: Conversation,
    conversationId: string,
    name: string,
    value: unknown,
  ): Promise<BotAnswer> {
    return this.post(invokeActivity(this.context, user, conversation, conversationId, name, value));
  }

  /** POSTs an activity to the bot with a channel token, like the Bot Connector service does. */
  private async post(activity: JsonObject, tokenOptions: ChannelTokenOptions = {}): Promise<BotAnswer> {
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    if (tokenOptions.raw !== undefined) headers.authorization = tokenOptions.raw;
    else if (!tokenOptions.omit) {
      const serviceUrl = str(activity.serviceUrl) ?? this.serviceUrl;
      headers.authorization = `Bearer ${await this.authority.mint(this.options.botAppId, serviceUrl, tokenOptions)}`;
    }
    const conversation = obj(activity.conversation);
    if (str(conversation.id)) headers['x-ms-conversation-id'] = str(conversation.id) ?? '';
    if (str(conversation.tenantId)) headers['x-ms-tenant-id'] = str(conversation.tenantId) ?? '';
    const startedAt = Date.now();
    const timeoutInMs = Math.max(this.options.requestTimeoutInMs ?? 60_000, TEAMS_WAIT_IN_MS);
    try {
      const response = await fetch(this.botEndpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify(activity),
        signal: AbortSignal.timeout(timeoutInMs),
      });
      const body = parseBody(await response.text());
      return { status: response.status, body, elapsedInMs: Date.now() - startedAt };
    } catch (error) {
      return { status: 0, body: error instanceof Error ? error.message : String(error), elapsedInMs: Date.now() - startedAt };
    }
  }

  /** The connector's check of the bot's bearer token: Entra-issued, aud https://api.botframework.com, azp/appid the bot. */
  private async checkBotToken(token: string): Promise<BotTokenCheck> {
    const checked = await this.options.entra.checkIssuedToken(token, { audience: CONNECTOR_AUDIENCE });
    if (!checked.ok) return { ok: false, reason: checked.reason };
    const appId = str(checked.claims.azp) ?? str(checked.claims.appid);
    if (appId !== this.options.botAppId) return { ok: false, reason: `token is for app ${appId ?? '(none)'}, not the bot` };
    return { ok: true, appId };
  }
}

function threadRootOf(message: PostedMessage): string {
  const at = message.conversationId.indexOf(';messageid=');
  return at < 0 ? message.id : message.conversationId.slice(at + ';messageid='.length);
}
