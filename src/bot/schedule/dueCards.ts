/**
 * Where due cards go and how everyone's copy is updated: to the person who armed the schedule,
 * in the conversation they armed it from, and to the security channel when there is one.
 */
import { TurnContext, type BotAdapter, type ConversationReference } from 'botbuilder';
import { NAMESPACE } from '../../app/ports/namespaces';
import type { AdaptiveCard } from '../../cards/render';
import type { DueCardPlace, ScheduledRevocation } from '../../domain/schedule';
import { requesterConversation } from '../approval/requesterConversations';
import { referenceFor } from '../bulk/runCards';
import { cardActivity, publish } from '../cardUpdates';
import type { BotServices } from '../turn';

/** Posts a new due card (or a reminder line) everywhere it goes; returns where the cards are. */
export async function postEverywhere(
  bot: BotServices,
  adapter: BotAdapter,
  schedule: ScheduledRevocation,
  card: AdaptiveCard,
  text?: string,
): Promise<DueCardPlace[]> {
  const places: DueCardPlace[] = [];
  const armer = await requesterConversation(bot, NAMESPACE.scheduleConversations, schedule.id);
  if (!armer) bot.logger.warn({ scheduleId: schedule.id }, 'no conversation is known for the person who armed this schedule');
  if (armer) {
    try {
      await adapter.continueConversationAsync(bot.appId, armer.reference, async (context) => {
        const sent = await context.sendActivity({ ...cardActivity(card), ...(text ? { text } : {}) });
        const conversationId = TurnContext.getConversationReference(context.activity).conversation?.id ?? armer.reference.conversation?.id;
        if (sent?.id && conversationId) places.push({ where: 'armer', conversationId, activityId: sent.id });
      });
    } catch (error) {
      bot.logger.warn({ err: error, scheduleId: schedule.id }, 'could not post the due card to the person who armed it');
    }
  }
  const channel = bot.approvals?.channel;
  if (channel) {
    const posted = await channel.post(adapter, { ...cardActivity(card), ...(text ? { text } : {}) });
    if (posted.ok) places.push({ where: 'channel', conversationId: posted.conversationId, activityId: posted.activityId });
  }
  return places;
}

/** Replaces every copy of the due card (everyone sees what happened); a copy that cannot be updated is logged. */
export async function updateEverywhere(
  bot: BotServices,
  adapter: BotAdapter,
  schedule: ScheduledRevocation,
  card: AdaptiveCard,
): Promise<void> {
  const armer = await requesterConversation(bot, NAMESPACE.scheduleConversations, schedule.id);
  for (const place of schedule.occurrence?.cards ?? []) {
    const reference: Partial<ConversationReference> | undefined = await referenceFor(bot, place.conversationId, armer?.reference);
    if (!reference) continue;
    try {
      await publish(adapter, bot.appId, reference, place.activityId, card, bot.logger);
    } catch (error) {
      bot.logger.warn({ err: error, scheduleId: schedule.id }, 'could not update a due card');
    }
  }
}
