/**
 * `bulk.refresh`: the run's card as this person sees it now. A run no instance is executing (a
 * restart, an expired sign-in) continues when the person whose token runs it clicks.
 */
import { cardResponse, messageResponse } from '../cardUpdates';
import { explainDecision } from '../explain';
import type { CardHandler } from '../turn';
import { bulkActingFor, toPersonRef } from '../turnHelpers';
import { NO_BULK, reportWhenFinished, runCard, watchProgress } from './runCards';

/** The run's card now; resumes a paused run when the person whose token runs it clicks. */
export const refresh: CardHandler = async (turn) => {
  const { bot, context, person } = turn;
  const bulk = bot.bulk;
  if (!bulk) return messageResponse(NO_BULK);
  const run = await bulk.service.get(turn.subjectId);
  if (!run) return cardResponse(bot.presenter.failure(explainDecision('not_found')));
  if (bulk.service.awaitsResumeBy(run, toPersonRef(person))) {
    const session = await bot.signIn.forClick(context, person);
    if ('status' in session) return session;
    const acting = bulkActingFor(person, session);
    if (acting) {
      const adapter = context.adapter;
      const resumed = await bulk.service.resume(run.id, () => acting.directory, watchProgress(bot, bulk, adapter));
      if (resumed.kind === 'resumed') reportWhenFinished(bot, bulk, adapter, resumed.finished);
    }
  }
  return cardResponse(runCard(turn, bulk, (await bulk.service.get(run.id)) ?? run));
};
