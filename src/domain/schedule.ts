/**
 * A scheduled revocation: the intent only — who or what, which steps, when, who armed it and who
 * approved it — and never a credential. At the due time the bot posts a due card; the first
 * person who clicks it acts with their own delegated token. These are the rules of its life:
 *
 *   pending ──arm──▶ armed ──due (lease)──▶ armed + occurrence posted ──click──▶ taken ──▶ result
 *      │   (four eyes:        │                                                    (one-off: finished)
 *      │    submit → awaitingApproval → approve = arm, by the approver; or rejected / expired)
 *      └─(expires)            └──cancel──▶ cancelled
 *
 * Exactly once across restarts and instances: posting a due occurrence is claimed with a lease
 * in the same compare-and-set write as the schedule, and a click takes the occurrence with a
 * compare-and-set too, so two clicks give one revoke.
 */
import type { ApprovableKind, Approval } from './approval';
import type { PersonRef } from './people';
import { sameId } from './people';
import { err, ok, type Result } from './result';
import { nextDue, type ScheduleWhen } from './scheduleTime';
import type { SelectionFilter } from './selectionFilter';

/** Who or what a schedule revokes. */
export type ScheduleTarget =
  | { readonly kind: 'user'; readonly id: string; readonly displayName: string; readonly userPrincipalName: string }
  | {
      readonly kind: 'group';
      readonly group: { readonly kind: 'objectId'; readonly id: string } | { readonly kind: 'displayName'; readonly name: string };
      readonly label: string;
    }
  | { readonly kind: 'selection'; readonly filter: SelectionFilter; readonly label: string };

/** The steps a schedule runs. Revoking sessions only, for now: the other containment steps are ticked on a live card. */
export type ScheduleStep = 'revokeSessions';

/** `pending`, `awaitingApproval`, `rejected` and `expired` are the approval workflow's (src/domain/approval.ts). */
export type ScheduleState = 'pending' | 'awaitingApproval' | 'rejected' | 'expired' | 'armed' | 'cancelled' | 'finished';

/** Where a due card was posted (for updating everyone's copy). */
export interface DueCardPlace {
  readonly where: 'armer' | 'channel';
  readonly conversationId: string;
  readonly activityId: string;
}

/** What the click on a due card came to. */
export interface OccurrenceResult {
  readonly kind: 'revoked' | 'failed' | 'previewed' | 'missed';
  readonly at: string;
  readonly by?: PersonRef;
  /** Failed: the failure's code; previewed: the bulk run's id. */
  readonly detail?: string;
}

/** One due time, once its card is posted. */
export interface DueOccurrence {
  /** 1, 2, 3… (the card's click carries it, so a click on last week's card cannot act on this week's). */
  readonly number: number;
  readonly dueAt: string;
  readonly postedAt: string;
  /** Posted after the due time by more than a poll (the bot was down): the card says so. */
  readonly late: boolean;
  readonly cards: readonly DueCardPlace[];
  readonly remindedAt?: string;
  /** Who clicked first; while set and without a result, their revoke is running (or was interrupted, see isInterruptedTake). */
  readonly taken?: {
    readonly by: PersonRef;
    readonly at: string;
    /** The earlier take this one took over because its run never reported back: what it did must be read back first. */
    readonly interrupted?: { readonly by: PersonRef; readonly at: string };
  };
  readonly result?: OccurrenceResult;
}

export interface ScheduledRevocation {
  readonly id: string;
  readonly tenantId: string;
  readonly target: ScheduleTarget;
  readonly steps: readonly ScheduleStep[];
  readonly when: ScheduleWhen;
  /** The IANA zone the time was typed in. */
  readonly zone: string;
  readonly armedBy: PersonRef;
  /** The same person, as the approval workflow names them. */
  readonly requester: PersonRef;
  readonly createdAt: string;
  readonly armedAt?: string;
  /** Four eyes: who approved it (not the armer). */
  readonly approvedBy?: PersonRef;
  readonly state: ScheduleState;
  /** The next due time (UTC); absent once nothing more is due. */
  readonly nextDueAt?: string;
  /** A proposal nobody armed (or approved) is expired after this. */
  readonly expiresAt: string;
  /** Four eyes: the approval part (src/domain/approval.ts). */
  approval?: Approval;
  decidedBy?: PersonRef;
  decidedAt?: string;
  /** Held by the instance posting or reminding, until `until`. */
  readonly lease?: { readonly holder: string; readonly until: string };
  /** The latest posted due time. */
  readonly occurrence?: DueOccurrence;
  /** Selections and groups: the user ids matched at the last run, to show what changed. */
  readonly lastMatched?: readonly string[];
  readonly cancelled?: { readonly by: PersonRef; readonly at: string };
}

export type ScheduleProblem =
  | 'not_found'
  | 'not_armer'
  | 'wrong_tenant'
  | 'expired'
  | 'already_armed'
  | 'cancelled'
  | 'finished'
  | 'not_due'
  | 'leased'
  | 'stale_card'
  | 'taken'
  | 'done'
  | 'too_many'
  | 'approval_required';

/** A new proposal, shown back to its author before it is armed. */
export function proposeSchedule(input: {
  id: string;
  armedBy: PersonRef;
  target: ScheduleTarget;
  when: ScheduleWhen;
  zone: string;
  firstDueAt: Date;
  now: Date;
  ttlInMs: number;
}): ScheduledRevocation {
  return {
    id: input.id,
    tenantId: input.armedBy.tenantId,
    target: input.target,
    steps: ['revokeSessions'],
    when: input.when,
    zone: input.zone,
    armedBy: input.armedBy,
    requester: input.armedBy,
    createdAt: input.now.toISOString(),
    state: 'pending',
    nextDueAt: input.firstDueAt.toISOString(),
    expiresAt: new Date(input.now.getTime() + input.ttlInMs).toISOString(),
  };
}

function ownerProblem(schedule: ScheduledRevocation, person: PersonRef): ScheduleProblem | undefined {
  if (!sameId(schedule.tenantId, person.tenantId)) return 'wrong_tenant';
  if (!sameId(schedule.armedBy.aadObjectId, person.aadObjectId)) return 'not_armer';
  return undefined;
}

/**
 * Arms a proposal: only its author, before it expires, and while its first due time is still
 * ahead (a proposal left open past its time is re-read from that time on, never run late).
 */
export function armSchedule(
  schedule: ScheduledRevocation,
  person: PersonRef,
  now: Date,
  approvedBy?: PersonRef,
): Result<ScheduledRevocation, ScheduleProblem> {
  const owner = ownerProblem(schedule, person);
  if (owner) return err(owner);
  return begin(schedule, now, approvedBy);
}

/** The arming itself: from a pending proposal (its author) or one awaiting approval (an approver). */
function begin(schedule: ScheduledRevocation, now: Date, approvedBy?: PersonRef): Result<ScheduledRevocation, ScheduleProblem> {
  if (schedule.state === 'armed') return err('already_armed');
  if (schedule.state !== 'pending' && schedule.state !== 'awaitingApproval')
    return err(schedule.state === 'cancelled' ? 'cancelled' : schedule.state === 'finished' ? 'finished' : 'expired');
  if (now.getTime() >= Date.parse(schedule.expiresAt)) return err('expired');
  const next = nextDue(schedule.when, schedule.zone, new Date(now.getTime() - 1));
  if (!next) return err('expired');
  return ok({
    ...schedule,
    state: 'armed',
    armedAt: now.toISOString(),
    nextDueAt: next.toISOString(),
    ...(approvedBy ? { approvedBy } : {}),
  });
}

/**
 * Schedules as a subject of the one approval workflow: approving arms it, with the approver
 * recorded as `approvedBy` (the approval covers the schedule; each due card is still acted on
 * with the clicker's own token). Arming needs no Graph call.
 */
export const SCHEDULE_APPROVALS: ApprovableKind<ScheduledRevocation> = {
  isExecuting: (schedule) => schedule.state === 'armed' || schedule.state === 'finished',
  begin(schedule, approver, now) {
    const armed = begin(schedule, now, approver);
    if (armed.ok) return ok({ ...armed.value, decidedBy: approver, decidedAt: now.toISOString() });
    return err(
      armed.error === 'already_armed' || armed.error === 'finished'
        ? 'already_decided'
        : armed.error === 'expired'
          ? 'expired'
          : 'already_decided',
    );
  },
};

/** A proposal or a request for approval past its time is expired. */
export function expireScheduleIfDue(schedule: ScheduledRevocation, now: Date): ScheduledRevocation {
  if ((schedule.state === 'pending' || schedule.state === 'awaitingApproval') && now.getTime() >= Date.parse(schedule.expiresAt))
    return { ...schedule, state: 'expired' };
  return schedule;
}

/** Cancels a proposal or an armed schedule: its author only. */
export function cancelSchedule(schedule: ScheduledRevocation, person: PersonRef, now: Date): Result<ScheduledRevocation, ScheduleProblem> {
  const owner = ownerProblem(schedule, person);
  if (owner) return err(owner);
  if (schedule.state === 'cancelled') return err('cancelled');
  if (schedule.state === 'finished') return err('finished');
  const { nextDueAt: _next, lease: _lease, ...rest } = schedule;
  return ok({ ...rest, state: 'cancelled', cancelled: { by: person, at: now.toISOString() } });
}

function leased(schedule: ScheduledRevocation, now: Date): boolean {
  return schedule.lease !== undefined && now.getTime() < Date.parse(schedule.lease.until);
}

/** Whether the schedule's next due time has come (and no other instance is posting it). */
export function isDue(schedule: ScheduledRevocation, now: Date): boolean {
  return (
    schedule.state === 'armed' &&
    schedule.nextDueAt !== undefined &&
    Date.parse(schedule.nextDueAt) <= now.getTime() &&
    !leased(schedule, now)
  );
}

/**
 * Claims the due time and opens its occurrence in one write: the lease keeps other instances
 * off while the cards are posted, and a click that comes before the cards are recorded already
 * finds the occurrence it is for. The next due time is computed from this one (none for a
 * one-off); a previous occurrence nobody acted on stays as it was (see missedOccurrence).
 */
export function claimDue(
  schedule: ScheduledRevocation,
  input: { readonly holder: string; readonly now: Date; readonly leaseInMs: number; readonly lateAfterInMs: number },
): Result<ScheduledRevocation, ScheduleProblem> {
  const { now } = input;
  if (schedule.state !== 'armed') return err(schedule.state === 'cancelled' ? 'cancelled' : 'finished');
  if (leased(schedule, now)) return err('leased');
  if (!schedule.nextDueAt || Date.parse(schedule.nextDueAt) > now.getTime()) return err('not_due');
  const dueAt = schedule.nextDueAt;
  const next = nextDue(schedule.when, schedule.zone, new Date(Math.max(Date.parse(dueAt), now.getTime())));
  const { nextDueAt: _next, ...rest } = schedule;
  return ok({
    ...rest,
    ...(next ? { nextDueAt: next.toISOString() } : {}),
    lease: { holder: input.holder, until: new Date(now.getTime() + input.leaseInMs).toISOString() },
    occurrence: {
      number: (schedule.occurrence?.number ?? 0) + 1,
      dueAt,
      postedAt: now.toISOString(),
      late: now.getTime() - Date.parse(dueAt) > input.lateAfterInMs,
      cards: [],
    },
  });
}

/**
 * Whether an opened occurrence never got its cards recorded (the instance that claimed it
 * stopped before posting) and its lease has run out: another pass posts it.
 */
export function isUnposted(schedule: ScheduledRevocation, now: Date): boolean {
  const occurrence = schedule.occurrence;
  return (
    schedule.state !== 'cancelled' && occurrence?.cards.length === 0 && !occurrence.taken && !occurrence.result && !leased(schedule, now)
  );
}

/** Claims an unposted occurrence for posting. */
export function claimUnposted(
  schedule: ScheduledRevocation,
  holder: string,
  now: Date,
  leaseInMs: number,
): Result<ScheduledRevocation, ScheduleProblem> {
  if (!isUnposted(schedule, now)) return err('not_due');
  return ok({ ...schedule, lease: { holder, until: new Date(now.getTime() + leaseInMs).toISOString() } });
}

/** Records where the due cards went and releases the lease. */
export function recordPosted(schedule: ScheduledRevocation, cards: readonly DueCardPlace[]): ScheduledRevocation {
  const { lease: _lease, ...rest } = schedule;
  return rest.occurrence ? { ...rest, occurrence: { ...rest.occurrence, cards: [...rest.occurrence.cards, ...cards] } } : rest;
}

/** The occurrence that went without a click, when a new one replaces it (for the audit trail). */
export function missedOccurrence(schedule: ScheduledRevocation): DueOccurrence | undefined {
  const occurrence = schedule.occurrence;
  return occurrence && !occurrence.taken && !occurrence.result ? occurrence : undefined;
}

/** Whether the open occurrence has waited `afterInMs` without a click and without a reminder. */
export function needsReminder(schedule: ScheduledRevocation, now: Date, afterInMs: number): boolean {
  const occurrence = schedule.occurrence;
  if (schedule.state === 'cancelled' || !occurrence || occurrence.taken || occurrence.result || occurrence.remindedAt) return false;
  return Date.parse(occurrence.postedAt) + afterInMs <= now.getTime() && !leased(schedule, now);
}

/** Claims the reminder; `recordReminded` releases the lease. */
export function claimReminder(
  schedule: ScheduledRevocation,
  holder: string,
  now: Date,
  afterInMs: number,
  leaseInMs: number,
): Result<ScheduledRevocation, ScheduleProblem> {
  if (!needsReminder(schedule, now, afterInMs)) return err('not_due');
  return ok({ ...schedule, lease: { holder, until: new Date(now.getTime() + leaseInMs).toISOString() } });
}

/** Records the reminder; its cards join the due card's copies, so a click updates them too. */
export function recordReminded(schedule: ScheduledRevocation, now: Date, cards: readonly DueCardPlace[] = []): ScheduledRevocation {
  const { lease: _lease, ...rest } = schedule;
  return rest.occurrence
    ? { ...rest, occurrence: { ...rest.occurrence, remindedAt: now.toISOString(), cards: [...rest.occurrence.cards, ...cards] } }
    : rest;
}

/** Lets go of a lease without recording anything (posting failed): the next tick tries again. */
export function releaseLease(schedule: ScheduledRevocation): ScheduledRevocation {
  const { lease: _lease, ...rest } = schedule;
  return rest;
}

/**
 * Whether a one-person schedule's occurrence was taken at least `staleAfterInMs` ago and never
 * got a result: the process running that click died between the take and the result. The
 * staleness must exceed the longest a revoke started by that click can still be in flight, so
 * that reading the target back afterwards is conclusive (src/app/revocation/staleExecution.ts).
 * Groups and selections are left alone: their clicks start bulk runs, which recover on their own.
 */
export function isInterruptedTake(schedule: ScheduledRevocation, now: Date, staleAfterInMs: number): boolean {
  const occurrence = schedule.occurrence;
  return (
    schedule.target.kind === 'user' &&
    occurrence?.taken !== undefined &&
    occurrence.result === undefined &&
    now.getTime() - Date.parse(occurrence.taken.at) >= staleAfterInMs
  );
}

/**
 * The first click on a due card takes its occurrence; any later click (or one on an older
 * card) is refused with why — unless the earlier take was interrupted (isInterruptedTake): then
 * this click takes it over, anyone's, the same person's too, and carries the earlier take as
 * `interrupted` so that the target is read back before anything is revoked again. Anyone in the
 * tenant may click: Entra decides, with the clicker's own token, whether they may revoke.
 */
export function takeOccurrence(
  schedule: ScheduledRevocation,
  occurrenceNumber: number,
  person: PersonRef,
  now: Date,
  staleAfterInMs: number,
): Result<ScheduledRevocation, ScheduleProblem> {
  if (!sameId(schedule.tenantId, person.tenantId)) return err('wrong_tenant');
  if (schedule.state === 'cancelled') return err('cancelled');
  const occurrence = schedule.occurrence;
  if (occurrence?.number !== occurrenceNumber) return err('stale_card');
  if (occurrence.result) return err('done');
  const earlier = occurrence.taken;
  if (earlier && !isInterruptedTake(schedule, now, staleAfterInMs)) return err('taken');
  // Taken over twice: the first interrupted take is the one whose revoke may have landed.
  const interrupted = earlier ? (earlier.interrupted ?? { by: earlier.by, at: earlier.at }) : undefined;
  return ok({
    ...schedule,
    occurrence: { ...occurrence, taken: { by: person, at: now.toISOString(), ...(interrupted ? { interrupted } : {}) } },
  });
}

/** Puts an interrupted take back as it was (its read-back failed): the next click after it reads back again. */
export function restoreInterruptedTake(schedule: ScheduledRevocation, occurrenceNumber: number): ScheduledRevocation {
  const occurrence = schedule.occurrence;
  const interrupted = occurrence?.taken?.interrupted;
  if (occurrence?.number !== occurrenceNumber || occurrence.result || !interrupted) return schedule;
  return { ...schedule, occurrence: { ...occurrence, taken: interrupted } };
}

/** Gives a taken occurrence back (the clicker could not act, e.g. Entra refused them): someone else may. */
export function giveBackOccurrence(schedule: ScheduledRevocation, occurrenceNumber: number): ScheduledRevocation {
  const occurrence = schedule.occurrence;
  if (occurrence?.number !== occurrenceNumber || occurrence.result) return schedule;
  const { taken: _taken, ...rest } = occurrence;
  return { ...schedule, occurrence: rest };
}

/** Records what the click came to; a one-off that ran is finished. */
export function recordResult(
  schedule: ScheduledRevocation,
  occurrenceNumber: number,
  result: OccurrenceResult,
  matched?: readonly string[],
): ScheduledRevocation {
  const occurrence = schedule.occurrence;
  if (occurrence?.number !== occurrenceNumber) return schedule;
  const finished = schedule.when.kind === 'once' && schedule.state === 'armed' && result.kind !== 'failed';
  return {
    ...schedule,
    ...(finished ? { state: 'finished' as const } : {}),
    ...(matched ? { lastMatched: [...matched] } : {}),
    occurrence: { ...occurrence, result },
  };
}

/** Who joined and who left a selection since its last run. */
export function matchChange(
  before: readonly string[] | undefined,
  now: readonly string[],
): { added: string[]; removed: string[] } | undefined {
  if (!before) return undefined;
  const was = new Set(before);
  const is = new Set(now);
  return { added: now.filter((id) => !was.has(id)), removed: before.filter((id) => !is.has(id)) };
}

/** How late a click came after the due time, in whole minutes (for the audit trail). */
export function delayInMinutes(occurrence: DueOccurrence, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - Date.parse(occurrence.dueAt)) / 60_000));
}
