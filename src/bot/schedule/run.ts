/**
 * `schedule.run`: a click on a due card. The first click takes the due time (exactly once, under
 * compare-and-set); the clicker signs in and acts with their own delegated token — a revoke for
 * one person, or, for a group or selection, the run's preview of who matches now (with what
 * changed since the last run), which they then start like any bulk run. Everyone's copy of the
 * due card then says who acted. When Graph refuses the clicker, the due time is given back so
 * someone with a role can click.
 */
import type { BotAdapter, InvokeResponse } from 'botbuilder';
import type { BulkSourceRequest } from '../../app/bulk/bulkRevocationService';
import { NAMESPACE } from '../../app/ports/namespaces';
import type { Taken } from '../../app/schedule/scheduleService';
import { deadlineIn } from '../../domain/clock';
import { matchChange, type ScheduledRevocation } from '../../domain/schedule';
import { rememberRequester } from '../approval/requesterConversations';
import { runCard } from '../bulk/runCards';
import { cardActivity, cardResponse, messageResponse } from '../cardUpdates';
import { explainDirectoryFailure, STORAGE_UNAVAILABLE } from '../explain';
import type { CardHandler, CardTurn } from '../turn';
import type { DelegatedSession } from '../../identity/delegatedSessions';
import { actingFor, bulkActingFor, toPersonRef } from '../turnHelpers';
import { updateEverywhere } from './dueCards';
import { explainSchedule } from './manage';
import { actedView, dueView } from './scheduleViews';

export const runDue: CardHandler = async (turn) => {
  const { bot, context, person } = turn;
  const schedules = bot.schedules;
  if (!schedules) return messageResponse('Scheduling isn’t available here.');
  const raw = turn.data.occurrence;
  const occurrence = typeof raw === 'string' || typeof raw === 'number' ? Number.parseInt(String(raw), 10) : Number.NaN;
  if (!Number.isInteger(occurrence) || occurrence < 1) return messageResponse('This button isn’t one Session Revoker knows.');
  const schedule = await schedules.service.get(turn.subjectId);
  if (!schedule) return messageResponse(explainSchedule('not_found'));
  const current = schedule.occurrence;
  // Answer a late or repeated click from what is stored, before anyone signs in.
  if (current?.number === occurrence && current.result && current.result.kind !== 'failed')
    return cardResponse(bot.presenter.schedule(actedView(schedule)));
  if (current?.number !== occurrence) return messageResponse(explainSchedule('stale_card'));
  if (current.taken && schedules.service.isRunning(schedule))
    return messageResponse(`${current.taken.by.name} clicked first; their revoke is running.`);
  const limited = bot.limits.forInvoke('revoke', person);
  if (limited) return limited;
  const session = await bot.signIn.forClick(context, person);
  if ('status' in session) return session;
  const adapter = context.adapter;

  if (schedule.target.kind === 'user') {
    const outcome = await schedules.service.runForUser(actingFor(person, session), schedule.id, occurrence, {
      deadline: deadlineIn(bot.budgets.invokeInMs + bot.budgets.backgroundInMs),
    });
    switch (outcome.kind) {
      case 'revoked': {
        const card = bot.presenter.schedule(actedView(outcome.schedule));
        await updateEverywhere(bot, adapter, outcome.schedule, card);
        return cardResponse(card);
      }
      case 'failed': {
        const why = explainDirectoryFailure(outcome.failure.code, schedule.target.displayName);
        return cardResponse(
          bot.presenter.schedule(
            dueView(outcome.schedule, [`Your revoke didn’t go through: ${why.message} Someone else can still click.`]),
          ),
        );
      }
      case 'storage_unavailable':
        return cardResponse(bot.presenter.failure(STORAGE_UNAVAILABLE));
      case 'refused':
        return outcome.schedule?.occurrence?.result
          ? cardResponse(bot.presenter.schedule(actedView(outcome.schedule)))
          : messageResponse(explainSchedule(outcome.problem));
    }
  }
  return preview(turn, schedule, occurrence, adapter, session);
};

/** A group or selection: who matches now, as a bulk run the clicker starts (or sends for approval). */
async function preview(
  turn: CardTurn,
  schedule: ScheduledRevocation,
  occurrence: number,
  adapter: BotAdapter,
  session: DelegatedSession,
): Promise<InvokeResponse> {
  const { bot, context, person } = turn;
  const bulk = bot.bulk;
  const schedules = bot.schedules;
  if (!bulk || !schedules) return messageResponse('Bulk revocation isn’t available here.');
  const acting = bulkActingFor(person, session);
  if (!acting) return messageResponse('This deployment cannot read groups or selections.');
  const taken = await schedules.service.take(toPersonRef(person), schedule.id, occurrence);
  if ('kind' in taken) return messageResponse(explainSchedule(taken.problem));
  const target = schedule.target;
  const request: BulkSourceRequest | undefined =
    target.kind === 'group'
      ? { kind: 'group', group: target.group }
      : target.kind === 'selection'
        ? { kind: 'selection', filter: target.filter, label: target.label }
        : undefined;
  if (!request) return giveBack(turn, taken, 'That schedule has no group or selection.');
  const prepared = await bulk.service.prepare(acting, request, { maxTargets: bulk.maxTargets });
  if (prepared.kind !== 'prepared') {
    const why =
      prepared.kind === 'empty'
        ? 'Nobody matches it now.'
        : prepared.kind === 'too_many'
          ? `It matches more than ${prepared.maxTargets} users now.`
          : prepared.kind === 'failed'
            ? explainDirectoryFailure(prepared.failure.code).message
            : 'It could not be read.';
    if (prepared.kind === 'empty') {
      const done = await schedules.service.finish(
        taken,
        { kind: 'previewed', at: bot.clock.now().toISOString(), by: toPersonRef(person) },
        [],
      );
      if (done) await updateEverywhere(bot, adapter, done, bot.presenter.schedule(actedView(done)));
      return messageResponse(`Nobody matches the ${schedule.target.kind} now, so there is nothing to revoke this time.`);
    }
    return giveBack(turn, taken, why);
  }
  const ids = prepared.run.items.map((item) => item.id);
  const change = matchChange(schedule.lastMatched, ids);
  const sent = await context.sendActivity({
    ...cardActivity(runCard(turn, bulk, prepared.run)),
    text: change
      ? `Matches now: ${ids.length}. Since the last run: ${change.added.length} joined, ${change.removed.length} left.`
      : `Matches now: ${ids.length}. This is the first run.`,
  });
  if (sent?.id) {
    await bulk.service.attachCard(prepared.run.id, { conversationId: context.activity.conversation.id, activityId: sent.id });
    await rememberRequester(bot, NAMESPACE.bulkRequesterConversations, prepared.run.id, context, sent.id, prepared.run.expiresAt);
  }
  const done = await schedules.service.finish(
    taken,
    { kind: 'previewed', at: bot.clock.now().toISOString(), by: toPersonRef(person), detail: prepared.run.id },
    ids,
  );
  const card = bot.presenter.schedule(actedView(done ?? schedule));
  if (done) await updateEverywhere(bot, adapter, done, card);
  return cardResponse(card);
}

async function giveBack(turn: CardTurn, taken: Taken, why: string): Promise<InvokeResponse> {
  await turn.bot.schedules?.service.giveBack(taken);
  return messageResponse(`${why} The due card stays open.`);
}
