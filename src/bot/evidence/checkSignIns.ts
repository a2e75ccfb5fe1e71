/**
 * "Check sign-ins" after a revoke: the sign-in logs since, read with the clicker's own delegated
 * token (Entra decides whether they may). On a result card the evidence comes as a new card below
 * it (the result stays); "Check again" on that card updates it in place. Slow checks (a bulk run's)
 * are answered at once and the card follows when the logs are read.
 */
import type { InvokeResponse } from 'botbuilder';
import { revokedAtOf, type CheckOutcome, type RequestEvidence, type RunEvidence } from '../../app/evidence/signInChecks';
import type { AdaptiveCard } from '../../cards/render';
import { deadlineIn } from '../../domain/clock';
import { cardActivity, cardResponse, messageResponse, publish } from '../cardUpdates';
import { explainDecision } from '../explain';
import type { CardHandler, CardTurn } from '../turn';
import { actingFor } from '../turnHelpers';
import { answerWithinBudget } from '../withinBudget';
import { runCard } from '../bulk/runCards';
import { requestCard } from '../revocation/requestCard';
import { NO_EVIDENCE } from './reviewMethods';

/** `signIns.check`: on a request's result card; the evidence card is posted below it. */
export const checkSignIns: CardHandler = (turn) => checkRequest(turn, 'post');
/** `signIns.recheck`: "Check again" on the evidence card, which is updated in place. */
export const recheckSignIns: CardHandler = (turn) => checkRequest(turn, 'replace');
/** `signIns.checkRun`: one check for every user a bulk run revoked, posted below its report. */
export const checkRunSignIns: CardHandler = (turn) => checkRun(turn, 'post');
/** `signIns.recheckRun`: "Check again" on a run's evidence card. */
export const recheckRunSignIns: CardHandler = (turn) => checkRun(turn, 'replace');

const WORKING = 'Reading the sign-in logs… the result will appear here shortly.';
const NOT_REVOKED = 'Nothing was revoked here, so there are no sign-ins since a revoke to check.';
const OTHER_TENANT = 'This belongs to another organisation.';

async function checkRequest(turn: CardTurn, mode: 'post' | 'replace'): Promise<InvokeResponse> {
  const { bot, context, person } = turn;
  const evidence = bot.evidence;
  if (!evidence) return messageResponse(NO_EVIDENCE);
  // Nobody signs in for a check that cannot run.
  const request = await bot.revocations.get(turn.subjectId);
  if (!request) return cardResponse(bot.presenter.failure(explainDecision('not_found')));
  if (request.tenantId.toLowerCase() !== person.tenantId.toLowerCase()) return messageResponse(OTHER_TENANT);
  const revokedAt = revokedAtOf(request);
  if (!revokedAt) return messageResponse(NOT_REVOKED);
  const session = await bot.signIn.forClick(context, person);
  if ('status' in session) return session;
  const work = evidence.signIns.checkRequest(actingFor(person, session), turn.subjectId, {
    deadline: deadlineIn(bot.budgets.invokeInMs + bot.budgets.backgroundInMs),
  });
  const cardOf = (outcome: CheckOutcome<RequestEvidence>): AdaptiveCard =>
    outcome.kind === 'checked'
      ? bot.presenter.signIns(outcome.evidence)
      : outcome.kind === 'failed'
        ? bot.presenter.signInsFailure(request, revokedAt, outcome.failure)
        : bot.presenter.failure(explainDecision('not_found'));
  return answer(turn, mode, work, cardOf, () => requestCard(turn, request));
}

async function checkRun(turn: CardTurn, mode: 'post' | 'replace'): Promise<InvokeResponse> {
  const { bot, context, person } = turn;
  const evidence = bot.evidence;
  const bulk = bot.bulk;
  if (!evidence || !bulk) return messageResponse(NO_EVIDENCE);
  const run = await bulk.service.get(turn.subjectId);
  if (!run) return cardResponse(bot.presenter.failure(explainDecision('not_found')));
  if (run.tenantId.toLowerCase() !== person.tenantId.toLowerCase()) return messageResponse(OTHER_TENANT);
  const revoked = run.items.filter((i) => i.status === 'revoked').length;
  if (revoked === 0) return messageResponse(NOT_REVOKED);
  const session = await bot.signIn.forClick(context, person);
  if ('status' in session) return session;
  const work = evidence.signIns.checkRun(actingFor(person, session), turn.subjectId, {
    deadline: deadlineIn(bot.budgets.invokeInMs + bot.budgets.backgroundInMs),
  });
  const cardOf = (outcome: CheckOutcome<RunEvidence>): AdaptiveCard =>
    outcome.kind === 'checked'
      ? bot.presenter.runSignIns(outcome.evidence)
      : outcome.kind === 'failed'
        ? bot.presenter.runSignInsFailure(run, revoked, outcome.failure)
        : bot.presenter.failure(explainDecision('not_found'));
  return answer(turn, mode, work, cardOf, async () => runCard(turn, bulk, run));
}

/**
 * Post: the clicked card stays as it is and the evidence card comes below it. Replace: the
 * evidence card is updated in place. Either way a slow check is answered at once and its card
 * follows.
 */
function answer<T>(
  turn: CardTurn,
  mode: 'post' | 'replace',
  work: Promise<T>,
  cardOf: (outcome: T) => AdaptiveCard,
  clickedCard: () => Promise<AdaptiveCard>,
): Promise<InvokeResponse> {
  const { bot, context } = turn;
  return answerWithinBudget(turn, work, {
    what: 'sign-in check',
    inTime: async (outcome) => {
      if (mode === 'replace') return cardResponse(cardOf(outcome));
      await context.sendActivity(cardActivity(cardOf(outcome)));
      return cardResponse(await clickedCard());
    },
    meanwhile: async () => messageResponse(WORKING),
    later: (outcome, clicked) =>
      publish(
        clicked.adapter,
        bot.appId,
        clicked.reference,
        mode === 'replace' ? clicked.activityId : undefined,
        cardOf(outcome),
        bot.logger,
      ),
  });
}
