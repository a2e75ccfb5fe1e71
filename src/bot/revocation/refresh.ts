/** `revocation.refresh`: a request's card as this person sees it now (Universal Actions refresh, or the Refresh button). */
import { cardResponse } from '../cardUpdates';
import { explainDecision } from '../explain';
import type { CardHandler } from '../turn';
import { requestCard } from './requestCard';
import { adviceForCard } from '../evidence/advice';

/** The request's card as this person sees it now (with the "can I?" line when they have a warm session). */
export const refresh: CardHandler = async (turn) => {
  const request = await turn.bot.revocations.get(turn.subjectId);
  if (!request) return cardResponse(turn.bot.presenter.failure(explainDecision('not_found')));
  const mine = request.requester.aadObjectId.toLowerCase() === turn.person.aadObjectId.toLowerCase();
  const advice = mine ? await adviceForCard(turn, turn.bot.signIn.warm(turn.person), request) : undefined;
  return cardResponse(await requestCard(turn, request, advice ? { advice } : {}));
};
