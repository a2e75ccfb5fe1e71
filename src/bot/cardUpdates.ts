/**
 * Shapes invoke answers, and replaces cards for everyone — in the current turn or proactively
 * later — falling back to a new message so a result is never lost.
 */
import type { Activity, BotAdapter, ConversationAccount, ConversationReference, InvokeResponse, TurnContext } from 'botbuilder';
import { asAttachment, type AdaptiveCard } from '../cards/render';
import type { Logger } from '../observability/logger';

const CARD = 'application/vnd.microsoft.card.adaptive';
const MESSAGE = 'application/vnd.microsoft.activity.message';

/** An Action.Execute answer that shows this card to the clicker. */
export function cardResponse(card: AdaptiveCard): InvokeResponse {
  return { status: 200, body: { statusCode: 200, type: CARD, value: card } };
}

/** An Action.Execute answer that shows a short message to the clicker (the card stays). */
export function messageResponse(text: string): InvokeResponse {
  return { status: 200, body: { statusCode: 200, type: MESSAGE, value: text } };
}

export function cardActivity(card: AdaptiveCard): Partial<Activity> {
  return { type: 'message', attachments: [asAttachment(card)] };
}

/** Updates a card message for everyone; if that fails, posts the card as a new message. */
export async function replaceForEveryone(context: TurnContext, activityId: string, card: AdaptiveCard, logger: Logger): Promise<void> {
  try {
    await context.updateActivity({ id: activityId, ...cardActivity(card) });
  } catch (error) {
    logger.warn({ err: error }, 'card update failed; posting the result instead');
    try {
      await context.sendActivity(cardActivity(card));
    } catch (postError) {
      // The outcome is already stored and audited; the clicker still gets it in the invoke answer.
      logger.error({ err: postError }, 'posting the result failed too; it stays in the audit trail and on the clicker’s card');
    }
  }
}

/** The proactive form: replaces a card in another conversation (or posts it), optionally with a message after it. */
/**
 * `reference` pointed at conversation `id` (a thread of the same channel, or the requester's chat).
 * Only the id is needed to reach it: botbuilder's type asks for the other account fields too.
 */
export function atConversation(reference: Partial<ConversationReference>, id: string): Partial<ConversationReference> {
  return { ...reference, conversation: { ...reference.conversation, id } as ConversationAccount };
}

export async function publish(
  adapter: BotAdapter,
  appId: string,
  reference: Partial<ConversationReference>,
  activityId: string | undefined,
  card: AdaptiveCard,
  logger: Logger,
  followUp?: string,
): Promise<void> {
  await adapter.continueConversationAsync(appId, reference, async (context) => {
    if (activityId) await replaceForEveryone(context, activityId, card, logger);
    else await context.sendActivity(cardActivity(card));
    if (followUp) await context.sendActivity({ type: 'message', text: followUp });
  });
}
