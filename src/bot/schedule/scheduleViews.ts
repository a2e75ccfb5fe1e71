/** How a schedule looks on its cards: shown back before arming, armed, due, done, and the `scheduled` list. */
import { describeTarget } from '../../app/schedule/scheduleService';
import type { ScheduleView } from '../../cards/views';
import type { ScheduledRevocation } from '../../domain/schedule';
import { describeWhen } from '../../domain/scheduleTime';
import { clockText, describeInstant, wallTimeOf } from '../../domain/zonedTime';

const STEPS = 'Revoke sign-in sessions';

function whenFacts(schedule: ScheduledRevocation): { title: string; value: string }[] {
  const facts = [{ title: 'When', value: describeWhen(schedule.when, schedule.zone) }];
  if (schedule.when.kind !== 'once' && schedule.nextDueAt)
    facts.push({ title: 'Next', value: describeInstant(new Date(schedule.nextDueAt), schedule.zone) });
  return facts;
}

/** Shown back to the person before anything is armed; with four eyes they ask for approval instead of arming. */
export function proposalView(schedule: ScheduledRevocation, notes: readonly string[], fourEyes = false): ScheduleView {
  return {
    tone: 'warning',
    title: 'Schedule this revocation?',
    headline: describeTarget(schedule),
    facts: [...whenFacts(schedule), { title: 'Steps', value: STEPS }],
    lines: fourEyes ? [...notes, 'An approver in the security channel arms it; you can’t approve your own.'] : notes,
    scheduleId: schedule.id,
    actions: fourEyes ? { request: true, cancel: 'Discard' } : { arm: true, cancel: 'Discard' },
  };
}

/** Four eyes: the schedule as the approval workflow sees it (the channel's card, and the requester's copy). */
export function approvalView(schedule: ScheduledRevocation, forRequester: boolean, notice?: string): ScheduleView {
  const lines = notice ? [notice] : [];
  switch (schedule.state) {
    case 'pending':
      return proposalView(schedule, lines, true);
    case 'awaitingApproval':
      return {
        tone: 'warning',
        title: 'Approval needed: scheduled revocation',
        headline: describeTarget(schedule),
        facts: [...whenFacts(schedule), { title: 'Steps', value: STEPS }, { title: 'Asked by', value: schedule.armedBy.name }],
        lines: [
          ...lines,
          forRequester
            ? 'Waiting for an approver in the security channel.'
            : 'Approving arms it: at the due time a card comes here, and whoever clicks it revokes with their own sign-in.',
        ],
        scheduleId: schedule.id,
        actions: forRequester ? { cancel: 'Cancel schedule' } : { approve: true },
      };
    case 'rejected':
      return {
        tone: 'info',
        title: 'Schedule rejected',
        headline: describeTarget(schedule),
        facts: whenFacts(schedule),
        lines,
        status: `Rejected by ${schedule.decidedBy?.name ?? 'an approver'}${schedule.approval?.rejectReason ? `: “${schedule.approval.rejectReason}”` : '.'} Nothing will run.`,
      };
    case 'expired':
      return {
        tone: 'info',
        title: 'Schedule expired',
        headline: describeTarget(schedule),
        facts: whenFacts(schedule),
        lines,
        status: 'Nobody armed it in time. Nothing will run.',
      };
    case 'cancelled':
      return cancelledView(schedule);
    case 'armed':
    case 'finished':
      return armedView(schedule);
  }
}

export function armedView(schedule: ScheduledRevocation): ScheduleView {
  return {
    tone: 'good',
    title: 'Schedule armed',
    headline: describeTarget(schedule),
    facts: [
      ...whenFacts(schedule),
      { title: 'Steps', value: STEPS },
      { title: 'Set up by', value: schedule.armedBy.name },
      ...(schedule.approvedBy ? [{ title: 'Approved by', value: schedule.approvedBy.name }] : []),
      { title: 'Id', value: schedule.id },
    ],
    lines: [
      'At the due time the person who set it up (and the security channel, when there is one) gets a card; the first person who clicks it revokes with their own sign-in.',
    ],
    scheduleId: schedule.id,
    actions: { cancel: 'Cancel schedule' },
  };
}

export function cancelledView(schedule: ScheduledRevocation): ScheduleView {
  return {
    tone: 'info',
    title: 'Schedule cancelled',
    headline: describeTarget(schedule),
    facts: whenFacts(schedule),
    lines: [],
    status: schedule.cancelled ? `Cancelled by ${schedule.cancelled.by.name}. Nothing will run.` : 'Cancelled. Nothing will run.',
  };
}

/** "It is 17:00: revoke Adele Vance now?", in the armer's time zone. */
export function dueTitle(schedule: ScheduledRevocation): string {
  const due = schedule.occurrence?.dueAt ?? schedule.nextDueAt;
  const local = due ? wallTimeOf(new Date(due), schedule.zone) : undefined;
  const at = local ? clockText(local.hour, local.minute) : 'time';
  return schedule.target.kind === 'user'
    ? `It is ${at}: revoke ${describeTarget(schedule)} now?`
    : `It is ${at}: revoke the ${describeTarget(schedule)} now?`;
}

/** The due card, as everyone sees it until someone acts. */
export function dueView(schedule: ScheduledRevocation, extra: readonly string[] = []): ScheduleView {
  const occurrence = schedule.occurrence;
  const lines: string[] = [];
  if (occurrence?.late)
    lines.push(
      `Posted late: this was due ${describeInstant(new Date(occurrence.dueAt), schedule.zone)}, and the bot was not running then. Check it still should happen.`,
    );
  if (schedule.target.kind !== 'user')
    lines.push('Click to see who matches now (with your own sign-in); nothing is revoked until you start the run.');
  lines.push(...extra);
  return {
    tone: 'warning',
    title: dueTitle(schedule),
    headline: describeTarget(schedule),
    facts: [
      { title: 'Due', value: occurrence ? describeInstant(new Date(occurrence.dueAt), schedule.zone) : '' },
      { title: 'Steps', value: STEPS },
      { title: 'Armed by', value: schedule.armedBy.name },
      ...(schedule.approvedBy ? [{ title: 'Approved by', value: schedule.approvedBy.name }] : []),
    ],
    lines,
    scheduleId: schedule.id,
    actions: occurrence
      ? { run: { occurrence: occurrence.number, title: schedule.target.kind === 'user' ? 'Revoke now' : 'Show who matches now' } }
      : undefined,
  };
}

/** The due card once someone acted on it (everyone's copy). */
export function actedView(schedule: ScheduledRevocation): ScheduleView {
  const result = schedule.occurrence?.result;
  const by = result?.by?.name ?? 'someone';
  const status =
    result?.kind === 'revoked'
      ? `Sessions revoked by ${by}, ${describeInstant(new Date(result.at), schedule.zone)}.`
      : result?.kind === 'previewed'
        ? `${by} opened the run (who matches now); it continues on their card.`
        : `Handled by ${by}.`;
  return {
    tone: result?.kind === 'revoked' ? 'good' : 'info',
    title: result?.kind === 'revoked' ? 'Scheduled revocation done' : 'Scheduled revocation opened',
    headline: describeTarget(schedule),
    facts: [{ title: 'Due', value: schedule.occurrence ? describeInstant(new Date(schedule.occurrence.dueAt), schedule.zone) : '' }],
    lines: [],
    status,
  };
}

/** `scheduled`: every armed schedule, each with its cancel button. */
export function listView(schedules: readonly ScheduledRevocation[]): ScheduleView {
  return {
    tone: 'info',
    title: schedules.length === 0 ? 'Nothing is scheduled' : `Scheduled revocations (${schedules.length})`,
    facts: [],
    lines: schedules.length === 0 ? ['Schedule one with, e.g., revoke adele at 17:00 friday.'] : [],
    items: schedules.slice(0, 20).map((s) => ({
      id: s.id,
      text: `**${describeTarget(s)}**: ${describeWhen(s.when, s.zone)}${s.when.kind !== 'once' && s.nextDueAt ? `, next ${describeInstant(new Date(s.nextDueAt), s.zone)}` : ''}. Armed by ${s.armedBy.name}. Id ${s.id}`,
    })),
    status: schedules.length > 20 ? `And ${schedules.length - 20} more.` : undefined,
  };
}
