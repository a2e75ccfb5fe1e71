/**
 * What the Teams clients show: every message posted in every conversation, updates and deletes
 * made by the bot, and the card each user sees where an invoke response replaced it for them
 * only (Universal Actions' user-specific views).
 */
import { EventEmitter } from 'node:events';
import { arr, clone, isObject, str, type JsonObject } from './json';
import type { AttachmentJson, ChannelAccountRef, PostedMessage } from './types';

export const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';
export const OAUTH_CARD = 'application/vnd.microsoft.card.oauth';

interface StoredMessage {
  readonly seq: number;
  readonly id: string;
  /** The conversation id without thread suffix: what messages(conversation) filters on. */
  readonly baseConversationId: string;
  readonly conversationId: string;
  readonly from: ChannelAccountRef;
  readonly fromBot: boolean;
  readonly replyToId?: string;
  readonly postedAt: number;
  text?: string;
  attachments: AttachmentJson[];
  entities?: unknown[];
  updatedCount: number;
  deleted: boolean;
  /** userId (Entra object id) → the card that user sees instead of the shared one. */
  readonly views: Map<string, JsonObject>;
}

export interface NewMessage {
  readonly id: string;
  readonly baseConversationId: string;
  readonly conversationId: string;
  readonly from: ChannelAccountRef;
  readonly fromBot: boolean;
  readonly replyToId?: string;
  /** The activity as posted (text, attachments, entities are read from it). */
  readonly activity: JsonObject;
}

function attachmentsOf(activity: JsonObject): AttachmentJson[] {
  return arr(activity.attachments)
    .filter(isObject)
    .map((a) => ({
      contentType: str(a.contentType) ?? '',
      ...(a.content !== undefined ? { content: clone(a.content) } : {}),
      ...(str(a.contentUrl) ? { contentUrl: str(a.contentUrl) } : {}),
      ...(str(a.name) ? { name: str(a.name) } : {}),
    }));
}

function firstContent(attachments: readonly AttachmentJson[], contentType: string): JsonObject | undefined {
  const found = attachments.find((a) => a.contentType === contentType && isObject(a.content));
  return found && isObject(found.content) ? found.content : undefined;
}

export class Transcript {
  private readonly messages: StoredMessage[] = [];
  private readonly events = new EventEmitter();
  private nextSeq = 0;

  /** A marker: messages created after it have a sequence number ≥ it. */
  get mark(): number {
    return this.nextSeq;
  }

  add(message: NewMessage): void {
    this.messages.push({
      seq: this.nextSeq++,
      id: message.id,
      baseConversationId: message.baseConversationId,
      conversationId: message.conversationId,
      from: message.from,
      fromBot: message.fromBot,
      ...(message.replyToId ? { replyToId: message.replyToId } : {}),
      postedAt: Date.now(),
      text: str(message.activity.text),
      attachments: attachmentsOf(message.activity),
      entities: Array.isArray(message.activity.entities) ? clone(message.activity.entities) : undefined,
      updatedCount: 0,
      deleted: false,
      views: new Map(),
    });
    this.events.emit('change');
  }

  /** A live (not deleted) message of the conversation. */
  find(baseConversationId: string, id: string): { readonly fromBot: boolean; readonly deleted: boolean } | undefined {
    return this.messages.find((m) => m.baseConversationId === baseConversationId && m.id === id);
  }

  /** Replaces a message's content, for everybody (user-specific views are dropped, as a new card version makes them stale). */
  update(baseConversationId: string, id: string, activity: JsonObject): void {
    const message = this.messages.find((m) => m.baseConversationId === baseConversationId && m.id === id);
    if (!message) return;
    message.text = str(activity.text);
    message.attachments = attachmentsOf(activity);
    message.entities = Array.isArray(activity.entities) ? clone(activity.entities) : undefined;
    message.updatedCount += 1;
    message.views.clear();
    this.events.emit('change');
  }

  delete(baseConversationId: string, id: string): void {
    const message = this.messages.find((m) => m.baseConversationId === baseConversationId && m.id === id);
    if (!message) return;
    message.deleted = true;
    this.events.emit('change');
  }

  /** Shows this card to one user in place of the message's card. */
  setView(messageId: string, userId: string, card: JsonObject): void {
    const message = this.messages.find((m) => m.id === messageId && !m.deleted);
    if (!message) return;
    message.views.set(userId, clone(card));
    this.events.emit('change');
  }

  /** The conversation's live messages in order, as the viewer (an Entra object id) sees them. */
  list(baseConversationId: string, viewerId?: string): PostedMessage[] {
    return this.messages.filter((m) => m.baseConversationId === baseConversationId && !m.deleted).map((m) => this.snapshot(m, viewerId));
  }

  /** The message as the viewer sees it now. */
  get(id: string, viewerId?: string): PostedMessage | undefined {
    const message = this.messages.find((m) => m.id === id && !m.deleted);
    return message ? this.snapshot(message, viewerId) : undefined;
  }

  /** Bot messages created since the mark, in order, as the viewer sees them. */
  botMessagesSince(mark: number, viewerId?: string): PostedMessage[] {
    return this.messages.filter((m) => m.seq >= mark && m.fromBot && !m.deleted).map((m) => this.snapshot(m, viewerId));
  }

  /** Calls back on every change until the returned function is called. */
  onChange(listener: () => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  private snapshot(m: StoredMessage, viewerId?: string): PostedMessage {
    const view = viewerId ? m.views.get(viewerId) : undefined;
    const card = view ?? firstContent(m.attachments, ADAPTIVE_CARD);
    const oauthCard = firstContent(m.attachments, OAUTH_CARD);
    return {
      id: m.id,
      conversationId: m.conversationId,
      from: { ...m.from },
      fromBot: m.fromBot,
      ...(m.text !== undefined ? { text: m.text } : {}),
      attachments: clone(m.attachments),
      ...(card ? { card: clone(card) } : {}),
      ...(oauthCard ? { oauthCard: clone(oauthCard) } : {}),
      ...(m.entities ? { entities: clone(m.entities) } : {}),
      ...(m.replyToId ? { replyToId: m.replyToId } : {}),
      updatedCount: m.updatedCount,
      postedAt: m.postedAt,
    };
  }
}
