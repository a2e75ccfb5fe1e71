/**
 * The emulated Bot Connector (Teams' service URL): the REST calls a bot makes to post, update
 * and delete messages, create conversations and read rosters (docs/teams-protocol.md). Every call must
 * carry the bot's own Entra token; each call is logged with whose token it was.
 *
 * Route names (for `server.injectFault({ route })`): see CONNECTOR_ROUTES.
 */
import type { EmulatedRequest, EmulatedResponse, EmulatedServer } from '../httpServer';
import { json } from '../httpServer';
import { newActivityId } from './activities';
import { baseConversationId, teamsChannelAccount, threadRootId, type ConversationRegistry } from './conversations';
import { arr, clone, isObject, obj, str, type JsonObject } from './json';
import type { Transcript } from './transcript';
import type { ConnectorCall, ConnectorOperation, Conversation } from './types';

/** The route names of the connector, as `server.injectFault` and `server.calls` know them. */
export const CONNECTOR_ROUTES: Readonly<Record<ConnectorOperation, ConnectorOperation>> = {
  createConversation: 'createConversation',
  send: 'send',
  reply: 'reply',
  update: 'update',
  delete: 'delete',
  getMember: 'getMember',
  members: 'members',
  pagedMembers: 'pagedMembers',
  teamDetails: 'teamDetails',
  teamChannels: 'teamChannels',
};

/** The answer to a bot-token check. */
export type BotTokenCheck = { readonly ok: true; readonly appId: string } | { readonly ok: false; readonly reason: string };

export interface ConnectorOptions {
  /** Path prefix of the service URL, e.g. '/teams'. */
  readonly basePath: string;
  readonly registry: ConversationRegistry;
  readonly transcript: Transcript;
  readonly log: ConnectorCall[];
  readonly botAppId: string;
  readonly botName: string;
  readonly tenantId: string;
  /** Checks a bearer token: Entra-signed for aud https://api.botframework.com, azp/appid the bot. */
  readonly checkBotToken: (token: string) => Promise<BotTokenCheck>;
  /** The service URL, returned by createConversation. */
  readonly serviceUrl: () => string;
  /** Largest activity accepted (Teams answers 413 MessageSizeTooBig beyond ~28 KB). */
  readonly maxActivityInBytes?: number;
}

const DEFAULT_MAX_ACTIVITY_IN_BYTES = 28 * 1024;
const DEFAULT_PAGE_SIZE = 200;
const MAX_PAGE_SIZE = 500;

function error(status: number, code: string, message: string): EmulatedResponse {
  return json(status, { error: { code, message } });
}

const CONVERSATION_NOT_FOUND = (): EmulatedResponse => error(404, 'ConversationNotFound', 'Conversation not found.');

interface CallContext {
  readonly operation: ConnectorOperation;
  readonly req: EmulatedRequest;
  readonly appId: string;
}

type ConnectorHandler = (call: CallContext) => EmulatedResponse | Promise<EmulatedResponse>;

export function registerConnector(server: EmulatedServer, options: ConnectorOptions): void {
  const { registry, transcript, log } = options;
  const maxActivityInBytes = options.maxActivityInBytes ?? DEFAULT_MAX_ACTIVITY_IN_BYTES;
  const base = options.basePath.replace(/\/+$/, '');

  const add = (operation: ConnectorOperation, method: string, path: string, handler: ConnectorHandler): void => {
    server.route(operation, method, `${base}${path}`, async (req) => {
      const body = req.body.length > 0 ? safeJson(req) : undefined;
      const record = (status: number, extra: Partial<ConnectorCall>): void => {
        log.push({
          operation,
          method: req.method,
          path: req.rawPath,
          ...(req.params.conversationId ? { conversationId: req.params.conversationId } : {}),
          ...(req.params.activityId ? { activityId: req.params.activityId } : {}),
          ...(req.params.memberId ? { memberId: req.params.memberId } : {}),
          status,
          authorized: false,
          ...(body !== undefined ? { body: clone(body) } : {}),
          at: Date.now(),
          ...extra,
        });
      };
      const header = req.headers.authorization ?? '';
      const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
      const check: BotTokenCheck = token ? await options.checkBotToken(token) : { ok: false, reason: 'no bearer token' };
      if (!check.ok) {
        record(401, { authError: check.reason });
        return error(401, 'Unauthorized', 'Authorization has been denied for this request.');
      }
      req.caller = check.appId;
      const response = await handler({ operation, req, appId: check.appId });
      record(response.status, { authorized: true, appId: check.appId });
      return response;
    });
  };

  const postMessage = (conversation: Conversation, conversationId: string, activity: JsonObject, replyToId?: string): EmulatedResponse => {
    const type = str(activity.type);
    if (type === 'typing') return json(200, {});
    if (type !== 'message') return error(400, 'BadArgument', `Unsupported activity type: ${type ?? '(none)'}`);
    if (Buffer.byteLength(JSON.stringify(activity)) > maxActivityInBytes) return error(413, 'MessageSizeTooBig', 'Message size too big.');
    const id = newActivityId();
    // In a channel a post to the bare channel id starts a new thread rooted at itself.
    const threaded =
      conversation.conversationType === 'channel' ? `${conversation.id};messageid=${threadRootId(conversationId) ?? id}` : conversation.id;
    transcript.add({
      id,
      baseConversationId: conversation.id,
      conversationId: threaded,
      from: { id: `28:${options.botAppId}`, name: options.botName },
      fromBot: true,
      ...(replyToId ? { replyToId } : {}),
      activity,
    });
    return json(201, { id });
  };

  add('createConversation', 'POST', '/v3/conversations', ({ req }) => {
    const params = obj(safeJson(req));
    const activity = isObject(params.activity) ? params.activity : undefined;
    const channelId = str(obj(obj(params.channelData).channel).id);
    if (channelId) {
      // A new post in a channel (TeamsInfo.sendMessageToTeamsChannel).
      const channel = registry.find(channelId);
      if (channel?.conversationType !== 'channel') return CONVERSATION_NOT_FOUND();
      if (channel.team && !channel.team.botInstalled)
        return error(403, 'BotNotInConversationRoster', 'The bot is not part of the conversation roster.');
      if (!activity) return error(400, 'BadArgument', 'An activity is required to start a channel conversation.');
      const posted = postMessage(channel, channel.id, activity);
      if (posted.status >= 300) return posted;
      const activityId = str(obj(posted.body).id) ?? '';
      return json(201, { id: `${channel.id};messageid=${activityId}`, activityId, serviceUrl: options.serviceUrl() });
    }
    const members = arr(params.members).filter(isObject);
    if (params.isGroup === true || members.length !== 1) {
      return error(400, 'BadArgument', 'Bots can only create one-on-one conversations or channel posts.');
    }
    const tenantId = str(params.tenantId) ?? str(obj(obj(params.channelData).tenant).id);
    if (!tenantId) return error(400, 'BadArgument', 'Tenant id is required for a one-on-one conversation.');
    if (tenantId.toLowerCase() !== options.tenantId.toLowerCase()) return error(403, 'Forbidden', 'The user is not in this tenant.');
    const user = registry.findUser(str(members[0]?.id) ?? '');
    if (!user) return error(404, 'MemberNotFoundInConversation', 'The member was not found.');
    const chat = registry.personalChat(user);
    if (!activity) return json(201, { id: chat.id, serviceUrl: options.serviceUrl() });
    const posted = postMessage(chat, chat.id, activity);
    if (posted.status >= 300) return posted;
    return json(201, { id: chat.id, activityId: str(obj(posted.body).id), serviceUrl: options.serviceUrl() });
  });

  const sendOrReply: ConnectorHandler = ({ req }) => {
    const conversationId = req.params.conversationId ?? '';
    const conversation = registry.find(conversationId);
    if (!conversation) return CONVERSATION_NOT_FOUND();
    const activity = obj(safeJson(req));
    // Any reply-to id is accepted: continueConversation replies to a random one.
    const replyToId = req.params.activityId ?? str(activity.replyToId);
    return postMessage(conversation, conversationId, activity, replyToId);
  };
  add('send', 'POST', '/v3/conversations/:conversationId/activities', sendOrReply);
  add('reply', 'POST', '/v3/conversations/:conversationId/activities/:activityId', sendOrReply);

  const findOwnMessage = (req: EmulatedRequest): EmulatedResponse | { conversation: Conversation; activityId: string } => {
    const conversation = registry.find(req.params.conversationId ?? '');
    if (!conversation) return CONVERSATION_NOT_FOUND();
    const activityId = req.params.activityId ?? '';
    const message = transcript.find(conversation.id, activityId);
    if (!message) return error(404, 'ActivityNotFoundInConversation', 'Message does not exist in the thread.');
    // Teams answers an update of a deleted message with an opaque 403 (BotFramework-Services#269).
    if (message.deleted) return error(403, 'ServiceError', 'Unknown');
    if (!message.fromBot) return error(403, 'Forbidden', 'A bot can only change its own messages.');
    return { conversation, activityId };
  };

  add('update', 'PUT', '/v3/conversations/:conversationId/activities/:activityId', ({ req }) => {
    const found = findOwnMessage(req);
    if ('status' in found) return found;
    const activity = obj(safeJson(req));
    if (str(activity.type) !== 'message') return error(400, 'BadArgument', 'Only message activities can be updated.');
    if (Buffer.byteLength(JSON.stringify(activity)) > maxActivityInBytes) return error(413, 'MessageSizeTooBig', 'Message size too big.');
    transcript.update(found.conversation.id, found.activityId, activity);
    return json(200, { id: found.activityId });
  });

  add('delete', 'DELETE', '/v3/conversations/:conversationId/activities/:activityId', ({ req }) => {
    const found = findOwnMessage(req);
    if ('status' in found) return found;
    transcript.delete(found.conversation.id, found.activityId);
    return json(200, {});
  });

  add('pagedMembers', 'GET', '/v3/conversations/:conversationId/pagedmembers', ({ req }) => {
    const roster = registry.rosterOf(req.params.conversationId ?? '');
    if (!roster) return CONVERSATION_NOT_FOUND();
    const requested = Number.parseInt(req.query.get('pageSize') ?? '', 10);
    const pageSize = Number.isFinite(requested) && requested > 0 ? Math.min(requested, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
    const token = req.query.get('continuationToken');
    const start = token ? Number.parseInt(Buffer.from(token, 'base64url').toString('utf8'), 10) : 0;
    if (!Number.isFinite(start) || start < 0 || start > roster.length) return error(400, 'BadArgument', 'Invalid continuation token.');
    const page = roster.slice(start, start + pageSize).map((u) => teamsChannelAccount(u, options.tenantId));
    const next = start + pageSize < roster.length ? Buffer.from(String(start + pageSize)).toString('base64url') : undefined;
    return json(200, { ...(next ? { continuationToken: next } : {}), members: page });
  });

  add('getMember', 'GET', '/v3/conversations/:conversationId/members/:memberId', ({ req }) => {
    const roster = registry.rosterOf(req.params.conversationId ?? '');
    if (!roster) return CONVERSATION_NOT_FOUND();
    const member = registry.findMember(roster, req.params.memberId ?? '');
    if (!member) return error(404, 'MemberNotFoundInConversation', 'The member is not part of the conversation.');
    return json(200, teamsChannelAccount(member, options.tenantId));
  });

  add('members', 'GET', '/v3/conversations/:conversationId/members', ({ req }) => {
    const roster = registry.rosterOf(req.params.conversationId ?? '');
    if (!roster) return CONVERSATION_NOT_FOUND();
    return json(
      200,
      roster.map((u) => teamsChannelAccount(u, options.tenantId)),
    );
  });

  add('teamDetails', 'GET', '/v3/teams/:teamId', ({ req }) => {
    const team = registry.findTeam(baseConversationId(req.params.teamId ?? ''));
    if (!team) return error(404, 'NotFound', 'Team not found.');
    return json(200, {
      id: team.id,
      name: team.name,
      aadGroupId: team.aadGroupId,
      tenantId: team.tenantId,
      channelCount: team.channels.length,
      memberCount: team.members.length,
      type: 'standard',
    });
  });

  add('teamChannels', 'GET', '/v3/teams/:teamId/conversations', ({ req }) => {
    const team = registry.findTeam(baseConversationId(req.params.teamId ?? ''));
    if (!team) return error(404, 'NotFound', 'Team not found.');
    // The General channel comes without a name, as in Teams.
    return json(200, {
      conversations: team.channels.map((c) =>
        c.id === team.id ? { id: c.id } : { id: c.id, name: c.name, membershipType: c.membershipType ?? 'standard' },
      ),
    });
  });
}

function safeJson(req: EmulatedRequest): unknown {
  try {
    return req.json();
  } catch {
    return undefined;
  }
}
