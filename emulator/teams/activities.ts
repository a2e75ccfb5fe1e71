/**
 * The activities the Teams client sends to the bot, shaped like Teams' own
 * (docs/teams-protocol.md): Teams ids, tenant, team and channel data, clientInfo, mentions, and the
 * invokes of a card click and of sign-in.
 */
import type { DirectoryUser } from '../directory';
import type { JsonObject } from './json';
import type { ChannelAccountRef, Conversation } from './types';

let lastActivityId = 0;

/** A new activity id: numeric and increasing, like Teams' message ids. */
export function newActivityId(): string {
  lastActivityId = Math.max(lastActivityId + 1, Date.now());
  return String(lastActivityId);
}

/** What every activity of one emulated channel has in common. */
export interface ActivityContext {
  readonly serviceUrl: string;
  readonly botAppId: string;
  readonly botName: string;
  readonly tenantId: string;
}

export function userAccount(user: DirectoryUser): ChannelAccountRef {
  return { id: user.teamsId, name: user.displayName, aadObjectId: user.id };
}

export function botAccount(context: ActivityContext): ChannelAccountRef {
  return { id: `28:${context.botAppId}`, name: context.botName };
}

function conversationAccount(conversation: Conversation, conversationId: string): JsonObject {
  return {
    id: conversationId,
    conversationType: conversation.conversationType,
    tenantId: conversation.tenantId,
    isGroup: conversation.isGroup,
    ...(conversation.conversationType === 'groupChat' && conversation.name ? { name: conversation.name } : {}),
  };
}

function channelData(conversation: Conversation): Record<string, unknown> {
  const data: Record<string, unknown> = { tenant: { id: conversation.tenantId } };
  const team = conversation.team;
  if (team) {
    data.team = { id: team.id, name: team.name, aadGroupId: team.aadGroupId };
    data.channel = {
      id: conversation.id,
      name: conversation.name,
      ...(conversation.membershipType === 'private' ? { membershipType: 'private' } : {}),
    };
    // Deprecated duplicates Teams still sends.
    data.teamsTeamId = team.id;
    data.teamsChannelId = conversation.id;
  }
  return data;
}

function clientInfo(): Record<string, unknown> {
  return { type: 'clientInfo', locale: 'en-US', country: 'US', platform: 'Web', timezone: 'Europe/Berlin' };
}

function common(context: ActivityContext, from: DirectoryUser, conversation: Conversation, conversationId: string): JsonObject {
  const now = new Date();
  return {
    id: newActivityId(),
    timestamp: now.toISOString(),
    localTimestamp: now.toISOString(),
    localTimezone: 'Europe/Berlin',
    serviceUrl: context.serviceUrl,
    channelId: 'msteams',
    from: userAccount(from),
    conversation: conversationAccount(conversation, conversationId),
    recipient: botAccount(context),
    locale: 'en-US',
    channelData: channelData(conversation),
  };
}

export interface MentionOptions {
  readonly mentions?: readonly DirectoryUser[];
  readonly mentionBot: boolean;
}

/**
 * Puts `<at>Name</at>` into the text for each mention (replacing `@Name` when the text has it,
 * else appending) and builds the mention entities; the bot's mention comes first.
 */
export function composeMentions(context: ActivityContext, text: string, options: MentionOptions): { text: string; entities: unknown[] } {
  const entities: unknown[] = [];
  let composed = text;
  for (const user of options.mentions ?? []) {
    const tag = `<at>${user.displayName}</at>`;
    if (!composed.includes(tag)) {
      const plain = `@${user.displayName}`;
      composed = composed.includes(plain) ? composed.replace(plain, tag) : `${composed} ${tag}`.trim();
    }
    entities.push({ type: 'mention', text: tag, mentioned: { id: user.teamsId, name: user.displayName } });
  }
  if (options.mentionBot) {
    const bot = botAccount(context);
    const tag = `<at>${context.botName}</at>`;
    if (!composed.includes(tag)) composed = `${tag} ${composed}`.trim();
    entities.unshift({ type: 'mention', text: tag, mentioned: { id: bot.id, name: bot.name } });
  }
  return { text: composed, entities };
}

/** A message from a user. `conversationId` may carry a `;messageid=` thread suffix. */
export function messageActivity(
  context: ActivityContext,
  from: DirectoryUser,
  conversation: Conversation,
  conversationId: string,
  text: string,
  mentions: MentionOptions,
): JsonObject {
  const composed = composeMentions(context, text, mentions);
  return {
    type: 'message',
    ...common(context, from, conversation, conversationId),
    textFormat: 'plain',
    text: composed.text,
    entities: [...composed.entities, clientInfo()],
  };
}

/** An invoke (adaptiveCard/action, signin/tokenExchange, signin/verifyState). */
export function invokeActivity(
  context: ActivityContext,
  from: DirectoryUser,
  conversation: Conversation,
  conversationId: string,
  name: string,
  value: unknown,
  replyToId?: string,
): JsonObject {
  return {
    type: 'invoke',
    name,
    ...common(context, from, conversation, conversationId),
    ...(replyToId ? { replyToId } : {}),
    entities: [clientInfo()],
    value,
  };
}
