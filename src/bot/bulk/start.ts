/**
 * `bulk.start`: the requester starts their run with their own token (when no approver is
 * needed). The run goes on in the background; its cards follow its progress.
 */
import { cardResponse, messageResponse, replaceForEveryone } from '../cardUpdates';
import { explainDecision, STORAGE_UNAVAILABLE } from '../explain';
import type { CardHandler } from '../turn';
import { bulkActingFor, toPersonRef } from '../turnHelpers';
import { NO_BULK, reportWhenFinished, runCard, runCardForEveryone, watchProgress } from './runCards';

/** Starts the run with the requester's own token, when no approver is needed. */
export const start: CardHandler = async (turn) => {
  const { bot, context, person } = turn;
  const bulk = bot.bulk;
  if (!bulk) return messageResponse(NO_BULK);
  // Nobody signs in for a click that cannot start the run.
  const check = await bulk.service.checkStart(toPersonRef(person), turn.subjectId);
  if (check.kind === 'refused') {
    if (!check.run) return cardResponse(bot.presenter.failure(explainDecision(check.problem)));
    if (check.problem === 'not_requester' || check.problem === 'wrong_tenant')
      return messageResponse(explainDecision('not_requester', { requesterName: check.run.requester.name }).message);
    return cardResponse(runCard(turn, bulk, check.run));
  }
  const session = await bot.signIn.forClick(context, person);
  if ('status' in session) return session;
  const acting = bulkActingFor(person, session);
  if (!acting) return messageResponse('Bulk revocation isn’t available in this deployment.');
  const adapter = context.adapter;
  const started = await bulk.service.start(acting, turn.subjectId, watchProgress(bot, bulk, adapter));
  if (started.kind === 'storage_unavailable') return cardResponse(bot.presenter.failure(STORAGE_UNAVAILABLE));
  if (started.kind === 'refused')
    return cardResponse(started.run ? runCard(turn, bulk, started.run) : bot.presenter.failure(explainDecision(started.problem)));
  reportWhenFinished(bot, bulk, adapter, started.finished);
  const card = runCardForEveryone(bot, bulk, started.run);
  if (context.activity.replyToId) await replaceForEveryone(context, context.activity.replyToId, card, bot.logger);
  return cardResponse(card);
};
