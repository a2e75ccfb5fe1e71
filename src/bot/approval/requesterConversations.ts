/**
 * Where a requester saw their card, kept so a decision made elsewhere (in the security channel,
 * or when a bulk run ends) can update their copy and tell them in their own conversation — also
 * after a restart and on another instance.
 */
import { TurnContext, type BotAdapter, type ConversationReference } from 'botbuilder';
import type { StoreNamespace } from '../../app/ports/namespaces';
import type { AdaptiveCard } from '../../cards/render';
import { publish } from '../cardUpdates';
import type { BotServices } from '../turn';

/** Kept after the subject's own expiry, for late decisions and reports. */
const KEPT_AFTER_EXPIRY_IN_MS = 7 * 24 * 3600_000;

/** Where the requester's copy of the card is. */
export interface RequesterConversation {
  readonly reference: Partial<ConversationReference>;
  readonly activityId?: string;
}

/** Remembers this turn's conversation as the requester's, with their card `activityId` (kept if already known). */
export async function rememberRequester(
  bot: BotServices,
  namespace: StoreNamespace,
  subjectId: string,
  context: TurnContext,
  activityId: string | undefined,
  subjectExpiresAt: string,
): Promise<void> {
  const value: RequesterConversation = { reference: TurnContext.getConversationReference(context.activity), activityId };
  await bot.store.create(namespace, subjectId, value, { expiresAt: new Date(Date.parse(subjectExpiresAt) + KEPT_AFTER_EXPIRY_IN_MS) });
}

/** Where the requester's copy is, if known. */
export async function requesterConversation(
  bot: BotServices,
  namespace: StoreNamespace,
  subjectId: string,
): Promise<RequesterConversation | undefined> {
  return (await bot.store.get<RequesterConversation>(namespace, subjectId))?.value;
}

/** Updates the requester's copy and, given `text`, tells them in their own conversation; a failure is logged, never thrown. */
export async function tellRequester(
  bot: BotServices,
  adapter: BotAdapter,
  namespace: StoreNamespace,
  subjectId: string,
  card: AdaptiveCard,
  text?: string,
): Promise<void> {
  const stored = await requesterConversation(bot, namespace, subjectId);
  if (!stored) return;
  try {
    await publish(adapter, bot.appId, stored.reference, stored.activityId, card, bot.logger, text);
  } catch (error) {
    bot.logger.warn({ err: error, subjectId }, 'could not tell the requester');
  }
}
