/**
 * Arming, cancelling and listing schedules: `schedule.arm` on the card shown back, `schedule.cancel`
 * on any schedule card (or `cancel schedule <id>`), and `scheduled`. No Graph call: arming was
 * checked when it was proposed, and the due card's click is where anyone acts.
 */
import type { InvokeResponse } from 'botbuilder';
import { NAMESPACE } from '../../app/ports/namespaces';
import type { ScheduleRefusal } from '../../app/schedule/scheduleService';
import type { Command } from '../../domain/command';
import type { ScheduledRevocation, ScheduleProblem } from '../../domain/schedule';
import { rememberRequester } from '../approval/requesterConversations';
import { cardResponse, messageResponse } from '../cardUpdates';
import type { CardHandler, CommandTurn, Turn } from '../turn';
import { sendCard, toPersonRef } from '../turnHelpers';
import { armedView, cancelledView, listView } from './scheduleViews';

/** Due cards for the armer go to the conversation they armed in; kept this long after the schedule's first due time. */
export const CONVERSATION_KEPT_IN_MS = 400 * 24 * 3600_000;

const PROBLEM_TEXT: Readonly<Record<ScheduleProblem, string>> = {
  not_found: 'That schedule no longer exists.',
  not_armer: 'Only the person who set up this schedule can change it.',
  wrong_tenant: 'That schedule belongs to another organisation.',
  expired: 'This proposal is too old to arm, or its time has passed. Schedule it again.',
  already_armed: 'This schedule is already armed.',
  cancelled: 'This schedule was cancelled.',
  finished: 'This schedule has already run.',
  not_due: 'Nothing is due yet.',
  leased: 'Someone else is changing this schedule right now. Try again in a moment.',
  stale_card: 'This due card is out of date: a newer one was posted.',
  taken: 'Someone else clicked first; their revoke is running.',
  done: 'This was already done.',
  too_many: 'Too many schedules are armed.',
  approval_required: 'With four eyes, a schedule is armed by an approver: use Request approval.',
};

/** In words, for a refusal. */
export function explainSchedule(problem: ScheduleProblem): string {
  return PROBLEM_TEXT[problem];
}

function unavailable(): InvokeResponse {
  return messageResponse('Scheduling isn’t available here.');
}

/** `schedule.arm`: its author arms the proposal; due cards will come to this conversation. */
export const armSchedule: CardHandler = async (turn) => {
  const schedules = turn.bot.schedules;
  if (!schedules) return unavailable();
  const armed = await schedules.service.arm(toPersonRef(turn.person), turn.subjectId);
  if ('kind' in armed) return refusal(turn, armed);
  await rememberRequester(
    turn.bot,
    NAMESPACE.scheduleConversations,
    armed.id,
    turn.context,
    undefined,
    new Date(Date.parse(armed.nextDueAt ?? armed.createdAt) + CONVERSATION_KEPT_IN_MS).toISOString(),
  );
  return cardResponse(turn.bot.presenter.schedule(armedView(armed)));
};

/** `schedule.cancel`: its author cancels it (a proposal is discarded the same way). */
export const cancelScheduleClick: CardHandler = async (turn) => {
  const schedules = turn.bot.schedules;
  if (!schedules) return unavailable();
  const cancelled = await schedules.service.cancel(toPersonRef(turn.person), turn.subjectId);
  if ('kind' in cancelled) return refusal(turn, cancelled);
  return cardResponse(turn.bot.presenter.schedule(cancelledView(cancelled)));
};

/** `cancel schedule <id>`. */
export async function cancelScheduleCommand(turn: CommandTurn<Extract<Command, { kind: 'cancelSchedule' }>>): Promise<void> {
  const { bot, context } = turn;
  const schedules = bot.schedules;
  if (!schedules) {
    await sendCard(context, bot.presenter.notice('Scheduling isn’t available here', 'This bot was started without scheduled revocations.'));
    return;
  }
  const cancelled = await schedules.service.cancel(toPersonRef(turn.person), turn.command.id);
  await sendCard(
    context,
    'kind' in cancelled
      ? bot.presenter.notice('Not cancelled', explainSchedule(cancelled.problem), 'warning')
      : bot.presenter.schedule(cancelledView(cancelled)),
  );
}

/** `scheduled`: what is armed in the person's organisation, each with a cancel button. */
export async function listSchedules(turn: CommandTurn<Extract<Command, { kind: 'scheduled' }>>): Promise<void> {
  const { bot, context } = turn;
  const schedules = bot.schedules;
  if (!schedules) {
    await sendCard(context, bot.presenter.notice('Scheduling isn’t available here', 'This bot was started without scheduled revocations.'));
    return;
  }
  const armed: ScheduledRevocation[] = await schedules.service.armedFor(turn.person.tenantId);
  await sendCard(context, bot.presenter.schedule(listView(armed)));
}

function refusal(turn: Turn, refused: ScheduleRefusal): InvokeResponse {
  if (refused.problem === 'cancelled' && refused.schedule)
    return cardResponse(turn.bot.presenter.schedule(cancelledView(refused.schedule)));
  if (refused.problem === 'already_armed' && refused.schedule)
    return cardResponse(turn.bot.presenter.schedule(armedView(refused.schedule)));
  return messageResponse(explainSchedule(refused.problem));
}
