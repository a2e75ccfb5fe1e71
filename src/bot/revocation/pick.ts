/**
 * `revocation.pick`: the requester chose one person from a pick list (data: the list's id and the
 * choice's index). The lookup runs again with their delegated session, by object id.
 */
import { cardResponse, messageResponse, replaceForEveryone } from '../cardUpdates';
import { explainDecision, explainDirectoryFailure } from '../explain';
import type { CardHandler } from '../turn';
import { actingFor } from '../turnHelpers';
import { adviceForCard } from '../evidence/advice';

/** Opens a request for the chosen person, replacing the pick list for everyone. */
export const pick: CardHandler = async (turn) => {
  const { bot, context, person, data } = turn;
  const choice = typeof data.choice === 'number' ? data.choice : typeof data.choice === 'string' ? Number(data.choice) : Number.NaN;
  const session = await bot.signIn.forClick(context, person);
  if ('status' in session) return session;
  const outcome = await bot.revocations.pick(actingFor(person, session), turn.subjectId, choice);
  switch (outcome.kind) {
    case 'refused':
      if (outcome.problem === 'not_requester') return messageResponse('Only the person who searched can choose from this list.');
      return cardResponse(bot.presenter.failure(explainDecision(outcome.problem)));
    case 'found': {
      const card = bot.presenter.request(outcome.request, { advice: await adviceForCard(turn, session, outcome.request) });
      if (context.activity.replyToId) await replaceForEveryone(context, context.activity.replyToId, card, bot.logger);
      return cardResponse(card);
    }
    case 'several':
    case 'none':
      return cardResponse(bot.presenter.notice('No longer found', 'That person could not be found any more.', 'info'));
    case 'failed':
      return cardResponse(
        bot.presenter.failure(explainDirectoryFailure(outcome.failure.code), { graphRequestId: outcome.failure.graphRequestId }),
      );
  }
};
