/**
 * DEMO ONLY. The relay between the Microsoft 365 Agents Playground and the demo bot, doing what
 * Teams and the Bot Connector do and the Playground does not:
 *
 *  - Playground → bot: each activity is re-signed with the emulated Teams channel's key (its
 *    `serviceurl` claim is the activity's serviceUrl, which is this relay's connector URL), and
 *    sent as the demo person the newcomer chose (`/as paul`), with their directory ids.
 *  - bot → Playground: the bot answers at the activity's serviceUrl, i.e. here; its bearer token
 *    is checked like the real connector checks it, then the call is passed on to the Playground's
 *    own mocked connector.
 *  - sign-in: the Playground has no Teams SSO. For an OAuthCard the bot posts, the relay answers
 *    like the Teams client does — `signin/tokenExchange` with an SSO token for the demo person
 *    from the emulated Entra ID in chats, the visible sign-in's magic code (`signin/verifyState`)
 *    in channels — and for a 401 `loginRequest` on a click it re-sends the click with the token
 *    (or the code). The bot checks every one of those tokens as it would in production.
 *
 * It never runs when MicrosoftAppId is set: it exists only in the demo process, and only the
 * emulated cloud trusts what it signs.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EmulatedCloud } from '../emulator/cloud';
import { ROLE_NAMES, type DirectoryUser } from '../emulator/directory';
import { CONNECTOR_AUDIENCE, LOGIN_REQUEST, OAUTH_CARD } from '../emulator/teams';

const MAX_BODY_IN_BYTES = 1024 * 1024;
const CONNECTOR_PATH = '/connector';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The conversation id without a `;messageid=` thread suffix. */
function baseConversationId(id: string): string {
  return id.split(';')[0] ?? id;
}

export interface RelayOptions {
  readonly cloud: EmulatedCloud;
  /** The demo person the Playground's own user stands for at first. */
  readonly initialUser: DirectoryUser;
  /** The Playground's currentUser id (its config file): activities from it are sent as the acting person. */
  readonly playgroundUserId: string;
  /** The environment of this process: the relay refuses to start when MicrosoftAppId is set. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where relay events go (never a token). */
  readonly log?: (line: string) => void;
  readonly port?: number;
}

interface PendingSignIn {
  readonly card: Json;
}

/** The relay's refusal to run outside the demo. */
export class DemoOnlyError extends Error {
  override readonly name = 'DemoOnlyError';
}

export class PlaygroundRelay {
  /** The person the Playground's user acts as; `/as NAME` in any chat changes it. */
  acting: DirectoryUser;
  /** The Playground's mocked connector, e.g. http://127.0.0.1:56150/_connector (set once it runs). */
  playgroundConnector: string | undefined;
  private readonly pending = new Map<string, PendingSignIn>();
  private readonly log: (line: string) => void;

  private constructor(
    private readonly server: Server,
    private readonly options: RelayOptions,
  ) {
    this.acting = options.initialUser;
    this.log = options.log ?? (() => undefined);
  }

  /** Starts the relay on 127.0.0.1. Throws DemoOnlyError when MicrosoftAppId is set. */
  static async start(options: RelayOptions): Promise<PlaygroundRelay> {
    if (options.env.MicrosoftAppId?.trim()) {
      throw new DemoOnlyError(
        'The demo sign-in relay runs only in the local demo (MicrosoftAppId unset); a real deployment signs people in through Teams SSO.',
      );
    }
    // Requests arrive once the server listens, after `relay` below exists.
    const server = createServer((req, res) => {
      void relay.handle(req, res).catch((error: unknown) => {
        relay.log(`relay error: ${error instanceof Error ? error.message : String(error)}`);
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'RelayError', message: 'The demo relay failed.' } }));
      });
    });
    const relay = new PlaygroundRelay(server, options);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    return relay;
  }

  private get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Where the Playground posts activities (its --app-endpoint). */
  get messagesUrl(): string {
    return `${this.baseUrl}/api/messages`;
  }

  /** The service URL the Playground puts in activities (its --service-url): the bot answers here. */
  get serviceUrl(): string {
    return `${this.baseUrl}${CONNECTOR_PATH}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Tells the bot it was added to a team, as Teams does when a team owner adds the app (the bot then learns the team's channels). */
  async announceTeamInstall(team: { id: string; name: string; aadGroupId: string }, by: DirectoryUser): Promise<number> {
    const answer = await this.options.cloud.teams.postActivity({
      type: 'conversationUpdate',
      id: randomUUID(),
      timestamp: new Date().toISOString(),
      serviceUrl: this.serviceUrl,
      channelId: 'msteams',
      from: this.account(by),
      recipient: this.botAccount(),
      conversation: { id: team.id, conversationType: 'channel', isGroup: true, tenantId: this.tenantId },
      membersAdded: [this.botAccount()],
      channelData: { tenant: { id: this.tenantId }, eventType: 'teamMemberAdded', team, channel: { id: team.id } },
    });
    this.log(`demo: told the bot it was added to team ${team.name} → HTTP ${answer.status}`);
    return answer.status;
  }

  // ---- routing ------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    if (url.pathname === '/api/messages') {
      // The Playground probes the endpoint with HEAD before it connects.
      if (req.method !== 'POST') {
        send(res, 200, undefined);
        return;
      }
      const activity = await readJson(req);
      if (!isObject(activity)) {
        send(res, 400, { error: { code: 'BadRequest', message: 'Expected an activity.' } });
        return;
      }
      const answer = await this.fromPlayground(activity);
      send(res, answer.status, answer.body);
      return;
    }
    if (url.pathname === CONNECTOR_PATH || url.pathname.startsWith(`${CONNECTOR_PATH}/`)) {
      const answer = await this.fromBot(req, url);
      send(res, answer.status, answer.body);
      return;
    }
    send(res, 404, { error: { code: 'NotFound', message: 'Not a relay route.' } });
  }

  // ---- Playground → bot ---------------------------------------------------------------------

  private async fromPlayground(activity: Json): Promise<{ status: number; body: unknown }> {
    const command = demoCommand(activity);
    if (command !== undefined) {
      await this.reply(activity, this.runDemoCommand(command));
      return { status: 200, body: undefined };
    }
    const from = isObject(activity.from) ? activity.from : {};
    if (str(from.id) === this.options.playgroundUserId) activity.from = this.account(this.acting);
    const person = this.personOf(activity);
    const conversationKey = baseConversationId(str(isObject(activity.conversation) ? activity.conversation.id : undefined) ?? '');
    this.pending.delete(conversationKey);

    let answer = await this.options.cloud.teams.postActivity(activity);
    if (activity.type === 'message') {
      const pending = this.pending.get(conversationKey);
      if (pending && person) {
        this.pending.delete(conversationKey);
        await this.signInAfterOAuthCard(activity, person, pending.card);
      }
      return answer;
    }
    if (activity.type === 'invoke' && activity.name === 'adaptiveCard/action' && person) {
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const login = loginRequestOf(answer.status, answer.body);
        if (!login) break;
        const value = isObject(activity.value) ? { ...activity.value } : {};
        delete value.authentication;
        delete value.state;
        if (isChannel(activity)) {
          value.state = await this.visibleSignIn(person, login);
        } else {
          value.authentication = {
            id: str(isObject(login.tokenExchangeResource) ? login.tokenExchangeResource.id : undefined) ?? '',
            connectionName: str(login.connectionName) ?? '',
            token: await this.ssoToken(person),
          };
        }
        answer = await this.options.cloud.teams.postActivity({ ...activity, id: randomUUID(), value });
        this.log(
          `demo sign-in: ${person.displayName} — ${isChannel(activity) ? 'sign-in code' : 'SSO token'} from the emulated Entra ID, click re-sent → HTTP ${answer.status}`,
        );
      }
    }
    return answer;
  }

  /** What Teams does with an OAuthCard: token exchange in chats, the sign-in button's flow in channels. */
  private async signInAfterOAuthCard(activity: Json, person: DirectoryUser, card: Json): Promise<void> {
    const base = { ...pick(activity), type: 'invoke', id: randomUUID(), timestamp: new Date().toISOString() };
    if (isChannel(activity)) {
      const state = await this.visibleSignIn(person, card);
      const answer = await this.options.cloud.teams.postActivity({ ...base, name: 'signin/verifyState', value: { state } });
      this.log(
        `demo sign-in: ${person.displayName} — signed in through the emulated token service (channels have no silent SSO) → signin/verifyState HTTP ${answer.status}`,
      );
      return;
    }
    const exchange = isObject(card.tokenExchangeResource) ? card.tokenExchangeResource : {};
    const value = { id: str(exchange.id) ?? '', connectionName: str(card.connectionName) ?? '', token: await this.ssoToken(person) };
    const answer = await this.options.cloud.teams.postActivity({ ...base, name: 'signin/tokenExchange', value });
    this.log(`demo sign-in: ${person.displayName} — SSO token from the emulated Entra ID → signin/tokenExchange HTTP ${answer.status}`);
  }

  private ssoToken(person: DirectoryUser): Promise<string> {
    return this.options.cloud.entra.issueSsoToken(person.id, { appId: this.options.cloud.app.appId });
  }

  private async visibleSignIn(person: DirectoryUser, card: Json): Promise<string> {
    const buttons = Array.isArray(card.buttons) ? card.buttons : [];
    const link = buttons.map((b) => (isObject(b) ? str(b.value) : undefined)).find((v) => v !== undefined);
    if (!link) throw new Error('the sign-in card has no sign-in link');
    return this.options.cloud.tokenService.signInAs(person, link);
  }

  /** The directory person an activity comes from (by Entra object id). */
  private personOf(activity: Json): DirectoryUser | undefined {
    const from = isObject(activity.from) ? activity.from : {};
    const oid = str(from.aadObjectId);
    return oid ? this.options.cloud.directory.findUser(oid) : undefined;
  }

  // ---- demo commands ------------------------------------------------------------------------

  private runDemoCommand(command: string): string {
    const [verb = '', ...rest] = command.split(/\s+/);
    const directory = this.options.cloud.directory;
    if (verb === 'as' && rest.length > 0) {
      const wanted = rest.join(' ');
      const user =
        directory.findUser(wanted) ??
        [...directory.users.values()].find(
          (u) =>
            u.displayName.toLowerCase().startsWith(wanted.toLowerCase()) ||
            u.userPrincipalName.toLowerCase().startsWith(wanted.toLowerCase()),
        );
      if (!user) return `[demo] There is no ${wanted} in the demo directory. Type /users for the list.`;
      this.acting = user;
      this.log(`demo: the Playground user now acts as ${user.displayName}`);
      return `[demo] You are now ${user.displayName} (${rolesOf(user)}). Messages and clicks from this browser are sent as ${user.userPrincipalName}.`;
    }
    if (verb === 'users') {
      const lines = [...directory.users.values()].filter((u) => u.userType === 'Member').map((u) => `${u.displayName} — ${rolesOf(u)}`);
      return `[demo] You are ${this.acting.displayName}. Switch with /as NAME:\n\n${lines.join('\n\n')}`;
    }
    return `[demo] You are ${this.acting.displayName} (${rolesOf(this.acting)}). Demo commands: /as NAME (e.g. /as paul, /as priya), /users.`;
  }

  /** Posts a message from the bot into the Playground conversation the activity came from. */
  private async reply(activity: Json, text: string): Promise<void> {
    const connector = this.playgroundConnector;
    const conversationId = str(isObject(activity.conversation) ? activity.conversation.id : undefined);
    if (!connector || !conversationId) return;
    await fetch(`${connector}/v3/conversations/${encodeURIComponent(conversationId)}/activities`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'message',
        text,
        textFormat: 'markdown',
        from: this.botAccount(),
        recipient: activity.from,
        conversation: activity.conversation,
        replyToId: activity.id,
      }),
    });
  }

  // ---- bot → Playground ---------------------------------------------------------------------

  private async fromBot(req: IncomingMessage, url: URL): Promise<{ status: number; body: unknown }> {
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const checked = token ? await this.options.cloud.entra.checkIssuedToken(token, { audience: CONNECTOR_AUDIENCE }) : undefined;
    const appId = checked?.ok ? (str(checked.claims.azp) ?? str(checked.claims.appid)) : undefined;
    if (!checked?.ok || appId !== this.options.cloud.app.appId) {
      return { status: 401, body: { error: { code: 'Unauthorized', message: 'Authorization has been denied for this request.' } } };
    }
    const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readJson(req);
    const path = url.pathname.slice(CONNECTOR_PATH.length);
    const postTo = /^\/v3\/conversations\/([^/]+)\/activities(?:\/[^/]+)?$/.exec(path);
    if (req.method === 'POST' && postTo?.[1] && isObject(body) && oauthCardOf(body)) {
      // Teams does not show an OAuthCard it can answer itself: the relay answers it after the turn.
      this.pending.set(baseConversationId(decodeURIComponent(postTo[1])), { card: oauthCardOf(body) ?? {} });
      return { status: 201, body: { id: String(Date.now()) } };
    }
    if (!this.playgroundConnector)
      return { status: 503, body: { error: { code: 'ServiceUnavailable', message: 'The Playground is not running.' } } };
    const response = await fetch(`${this.playgroundConnector}${path}${url.search}`, {
      method: req.method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = { error: { code: 'BadGateway', message: text.slice(0, 200) } };
    }
    return { status: response.status, body: parsed };
  }

  // ---- helpers ------------------------------------------------------------------------------

  private get tenantId(): string {
    return this.options.cloud.directory.tenantId;
  }

  private account(user: DirectoryUser): Json {
    return { id: user.teamsId, name: user.displayName, aadObjectId: user.id };
  }

  private botAccount(): Json {
    return { id: `28:${this.options.cloud.app.appId}`, name: 'Session Revoker' };
  }
}

/** The demo command in a message (`/as paul`, `/users`, `/who`), without the leading slash. */
function demoCommand(activity: Json): string | undefined {
  if (activity.type !== 'message') return undefined;
  const text = (str(activity.text) ?? '').replace(/<at>[^<]*<\/at>/g, '').trim();
  return /^\/(as|users|who|demo)\b/i.test(text)
    ? text
        .slice(1)
        .trim()
        .replace(/^(\w+)/, (v) => v.toLowerCase())
    : undefined;
}

function rolesOf(user: DirectoryUser): string {
  return user.roles.map((r) => ROLE_NAMES[r] ?? r).join(', ') || 'no admin role';
}

function isChannel(activity: Json): boolean {
  return isObject(activity.conversation) && activity.conversation.conversationType === 'channel';
}

/** The fields of an activity that say where and who (for invokes the relay sends in the same conversation). */
function pick(activity: Json): Json {
  const { serviceUrl, channelId, from, recipient, conversation, channelData, locale } = activity;
  return { serviceUrl, channelId, from, recipient, conversation, channelData, locale };
}

function oauthCardOf(activity: Json): Json | undefined {
  const attachments: unknown[] = Array.isArray(activity.attachments) ? activity.attachments : [];
  const found = attachments.find((a) => isObject(a) && a.contentType === OAUTH_CARD);
  return isObject(found) && isObject(found.content) ? found.content : undefined;
}

/** The OAuthCard of a 401 loginRequest invoke answer (HTTP 401, or 200 with statusCode 401 in the body). */
function loginRequestOf(status: number, body: unknown): Json | undefined {
  if (!isObject(body)) return undefined;
  const semantic = typeof body.statusCode === 'number' ? body.statusCode : status;
  return semantic === 401 && body.type === LOGIN_REQUEST && isObject(body.value) ? body.value : undefined;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_IN_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}
