/**
 * `revocation.methods`: the requester's "Review sign-in methods" on their lookup card. The
 * target's authentication methods are read with their own delegated token and kept on the
 * request; the card then lists them with a toggle for each one that can be removed.
 */
import { cardResponse, messageResponse } from '../cardUpdates';
import { explainDecision } from '../explain';
import type { CardHandler } from '../turn';
import { actingFor, toPersonRef } from '../turnHelpers';
import { adviceForCard } from './advice';
import { deadlineIn } from '../../domain/clock';
import { requestCard } from '../revocation/requestCard';

export const NO_EVIDENCE = 'This isn’t available in this deployment of Session Revoker.';

export const reviewMethods: CardHandler = async (turn) => {
  const { bot, context, person } = turn;
  const evidence = bot.evidence;
  if (!evidence) return messageResponse(NO_EVIDENCE);
  // Nobody signs in for a click that cannot read anything.
  const check = await evidence.methods.check(toPersonRef(person), turn.subjectId);
  if (check.kind === 'refused') {
    if (!check.request) return cardResponse(bot.presenter.failure(explainDecision(check.problem)));
    if (check.problem === 'not_requester' || check.problem === 'wrong_tenant')
      return messageResponse(`Only ${check.request.requester.name} can review sign-in methods on this request.`);
    return cardResponse(await requestCard(turn, check.request));
  }
  const session = await bot.signIn.forClick(context, person);
  if ('status' in session) return session;
  const reviewed = await evidence.methods.review(actingFor(person, session), turn.subjectId, {
    deadline: deadlineIn(bot.budgets.invokeInMs),
  });
  if (!reviewed.request)
    return cardResponse(bot.presenter.failure(explainDecision(reviewed.kind === 'refused' ? reviewed.problem : 'not_found')));
  const advice = await adviceForCard(turn, session, reviewed.request);
  return cardResponse(await requestCard(turn, reviewed.request, advice ? { advice } : {}));
};
