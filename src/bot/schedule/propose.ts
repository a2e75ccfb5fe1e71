/**
 * `revoke adele at 17:00 friday`, `revoke adele on 2026-12-18 17:00`,
 * `revoke group "Contractors" every monday 09:00`, `revoke selection "…" every day 08:00`:
 * the time is read in the person's own time zone (Teams' localTimezone; UTC when absent), the
 * target is read with their own sign-in, their rights are checked as advice (the same as doing
 * it now), and the schedule is shown back to them before anything is armed.
 */
import type { ScheduleTarget } from '../../domain/schedule';
import { parseWhen } from '../../domain/scheduleTime';
import { describeFilter } from '../../domain/selectionFilter';
import { isTimeZone } from '../../domain/zonedTime';
import type { Command } from '../../domain/command';
import { lookUpScheduleUser } from '../../app/schedule/scheduleTarget';
import { deadlineIn } from '../../domain/clock';
import { listText } from '../../cards/text';
import { answerDirectoryFailure, sessionFor } from '../signIn/commandSession';
import { resolveTarget } from '../revocation/revoke';
import type { CommandTurn } from '../turn';
import { actingFor, sendCard, toPersonRef } from '../turnHelpers';
import { proposalView } from './scheduleViews';
import { rememberRequester } from '../approval/requesterConversations';
import { NAMESPACE } from '../../app/ports/namespaces';
import { CONVERSATION_KEPT_IN_MS } from './manage';

type ScheduleCommand = Extract<Command, { kind: 'schedule' }>;

export async function proposeSchedule(turn: CommandTurn<ScheduleCommand>): Promise<void> {
  const { bot, context, command } = turn;
  const notice = async (title: string, message: string, tone: 'info' | 'warning'): Promise<void> => {
    await sendCard(context, bot.presenter.notice(title, message, tone));
  };
  const schedules = bot.schedules;
  if (!schedules) return notice('Scheduling isn’t available here', 'This bot was started without scheduled revocations.', 'info');
  const typedZone = context.activity.localTimezone;
  const zone = typeof typedZone === 'string' && isTimeZone(typedZone) ? typedZone : 'UTC';
  const when = parseWhen(command.whenText, zone, bot.clock.now());
  if (!when.ok) return notice('I can’t schedule that', when.error.detail, 'warning');
  const notes: string[] = [];
  if (zone === 'UTC' && typedZone !== 'UTC') notes.push('Teams didn’t say your time zone, so I read the time as UTC.');

  const session = await sessionFor(turn, { command });
  if (!session) return;
  const person = toPersonRef(turn.person);
  let target: ScheduleTarget;
  const subject = command.subject;
  if (subject.kind === 'user') {
    const resolved = await resolveTarget(turn, subject.target);
    if (!resolved) return;
    const acting = actingFor(turn.person, session);
    const found = await lookUpScheduleUser(acting, resolved, { deadline: deadlineIn(bot.budgets.invokeInMs) });
    if (found.kind === 'failed') return answerDirectoryFailure(turn, found.failure, { command });
    if (found.kind === 'none')
      return notice('No one found', 'No one in your directory matches that. Use their email address (UPN).', 'info');
    if (found.kind === 'several')
      return notice('Several people match', 'More than one person matches that name. Use their email address (UPN) to schedule.', 'info');
    if (found.advice?.kind === 'cannot')
      return notice(
        'You couldn’t revoke them now',
        `Arming needs the same rights as revoking now. Entra would let ${listText(
          found.advice.needed.map((r) => r.displayName),
          'or',
        )} revoke ${found.user.displayName}${
          found.advice.eligible.length > 0
            ? `; you could activate ${listText(
                found.advice.eligible.map((r) => r.displayName),
                'or',
              )} in PIM first`
            : ''
        }.`,
        'warning',
      );
    if (found.advice?.kind === 'can')
      notes.push(
        `You could revoke them now (as ${found.advice.via.displayName}); at the due time, whoever clicks acts with their own rights.`,
      );
    if (!found.advice) notes.push('I couldn’t read your roles to check; Entra decides when someone clicks at the due time.');
    target = { kind: 'user', id: found.user.id, displayName: found.user.displayName, userPrincipalName: found.user.userPrincipalName };
  } else {
    const source = subject.source;
    if (source.kind === 'group')
      target = { kind: 'group', group: source.ref, label: source.ref.kind === 'objectId' ? source.ref.id : source.ref.name };
    else if (source.kind === 'department')
      target = {
        kind: 'selection',
        filter: { kind: 'compare', property: 'department', op: 'eq', value: source.name },
        label: `department ${source.name}`,
      };
    else if (source.kind === 'where') target = { kind: 'selection', filter: source.filter, label: describeFilter(source.filter) };
    else {
      const saved = await bot.selections?.get(person.tenantId, source.name);
      if (!saved) return notice('No such selection', `No selection is saved as “${source.name}”.`, 'info');
      target = { kind: 'selection', filter: saved.filter, label: saved.name };
    }
    notes.push(
      'Who it covers is read afresh at each due time, with the sign-in of whoever clicks; the card shows who matches then and what changed.',
    );
  }
  const proposed = await schedules.service.propose(person, target, when.value);
  if ('kind' in proposed)
    return notice(
      'Too many schedules',
      'Your organisation has as many schedules armed as one bot keeps. Cancel one first (scheduled lists them).',
      'warning',
    );
  const sent = await sendCard(context, bot.presenter.schedule(proposalView(proposed, notes, bot.approvals !== undefined)));
  // Due cards for the person who set it up come to this conversation (kept as long as the schedule may run).
  await rememberRequester(
    bot,
    NAMESPACE.scheduleConversations,
    proposed.id,
    context,
    sent,
    new Date(Date.parse(proposed.nextDueAt ?? proposed.createdAt) + CONVERSATION_KEPT_IN_MS).toISOString(),
  );
}
