/** `revocation.refresh`: a request's card as this person sees it now (Universal Actions refresh, or the Refresh button). */
import { cardResponse } from '../cardUpdates';
import { explainDecision } from '../explain';
import type { CardHandler } from '../turn';
import { requestCard } from './requestCard';

/** The request's card as this person sees it now. */
export const refresh: CardHandler = async (turn) => {
  const request = await turn.bot.revocations.get(turn.subjectId);
  return cardResponse(request ? await requestCard(turn, request) : turn.bot.presenter.failure(explainDecision('not_found')));
};
