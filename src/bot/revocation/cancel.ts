/**
 * `revocation.cancel`: the requester cancels their pending request — or, once it waits for
 * approval, withdraws it (the four-eyes workflow's, which also updates the channel's card).
 */
import { cardResponse, messageResponse, replaceForEveryone } from '../cardUpdates';
import { explainDecision } from '../explain';
import { withdrawRequest } from '../approval/handlers';
import type { CardHandler } from '../turn';
import { toPersonRef } from '../turnHelpers';

/** Cancels the requester's pending request, or withdraws it from the security channel. */
export const cancel: CardHandler = async (turn) => {
  const { bot, context } = turn;
  if (bot.approvals && (await bot.revocations.get(turn.subjectId))?.state === 'awaitingApproval') return withdrawRequest(turn);
  const outcome = await bot.revocations.cancel(toPersonRef(turn.person), turn.subjectId);
  if (outcome.kind === 'refused') {
    if (outcome.problem === 'not_requester')
      return messageResponse(explainDecision('not_requester', { requesterName: outcome.request?.requester.name }).message);
    return cardResponse(outcome.request ? bot.presenter.request(outcome.request) : bot.presenter.failure(explainDecision(outcome.problem)));
  }
  const card = bot.presenter.request(outcome.request);
  if (context.activity.replyToId) await replaceForEveryone(context, context.activity.replyToId, card, bot.logger);
  return cardResponse(card);
};
