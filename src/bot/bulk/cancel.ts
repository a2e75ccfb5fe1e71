/** `bulk.cancel`: the requester cancels a pending run, withdraws one waiting for approval, or stops a running one. */
import { cardResponse, messageResponse, replaceForEveryone } from '../cardUpdates';
import { explainDecision } from '../explain';
import type { CardHandler } from '../turn';
import { toPersonRef } from '../turnHelpers';
import { NO_BULK, runCard, updateRunCards } from './runCards';

/** Cancels, withdraws or stops the run, and updates its cards for everyone. */
export const cancel: CardHandler = async (turn) => {
  const { bot, context } = turn;
  const bulk = bot.bulk;
  if (!bulk) return messageResponse(NO_BULK);
  const outcome = await bulk.service.cancel(toPersonRef(turn.person), turn.subjectId);
  if (outcome.kind === 'refused') {
    if (outcome.problem === 'not_requester')
      return messageResponse(explainDecision('not_requester', { requesterName: outcome.run?.requester.name }).message);
    return cardResponse(outcome.run ? runCard(turn, bulk, outcome.run) : bot.presenter.failure(explainDecision(outcome.problem)));
  }
  const card = runCard(turn, bulk, outcome.run);
  if (context.activity.replyToId) await replaceForEveryone(context, context.activity.replyToId, card, bot.logger);
  await updateRunCards(bot, bulk, context.adapter, outcome.run);
  return cardResponse(card);
};
