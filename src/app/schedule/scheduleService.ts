/**
 * Scheduled revocations as use cases: propose, arm, cancel and list them; for the scheduler
 * loop, find what is due and claim it with a lease; for a click on a due card, take the
 * occurrence (exactly one click wins) and run the revoke with the clicker's own delegated access.
 * Only the intent is stored (src/domain/schedule.ts); no token is ever kept.
 */
import { randomUUID } from 'node:crypto';
import type { Clock, Deadline } from '../../domain/clock';
import type { PersonRef } from '../../domain/people';
import type { Result } from '../../domain/result';
import {
  armSchedule,
  cancelSchedule,
  claimDue,
  claimReminder,
  claimUnposted,
  isUnposted,
  delayInMinutes,
  giveBackOccurrence,
  isDue,
  isInterruptedTake,
  missedOccurrence,
  needsReminder,
  proposeSchedule,
  recordPosted,
  recordReminded,
  recordResult,
  releaseLease,
  restoreInterruptedTake,
  takeOccurrence,
  type DueCardPlace,
  type OccurrenceResult,
  type ScheduledRevocation,
  type ScheduleProblem,
  type ScheduleTarget,
} from '../../domain/schedule';
import { describeWhen, type ParsedWhen } from '../../domain/scheduleTime';
import { describeInstant } from '../../domain/zonedTime';
import { auditActor, type Acting } from '../acting';
import type { AuditTrail } from '../auditTrail';
import type { ErrorReport } from '../giveBack';
import type { AuditTarget } from '../ports/auditLog';
import type { DirectoryFailure } from '../ports/directory';
import { NAMESPACE } from '../ports/namespaces';
import { DEFAULT_STALE_EXECUTION_AFTER_IN_MS } from '../revocation/staleExecution';
import { readRevocation } from '../revocation/verifyRevocation';
import type { StateStore, StoredItem } from '../ports/stateStore';

/** How long posting or reminding may hold a schedule before another instance may take over. */
const DEFAULT_LEASE_IN_MS = 2 * 60_000;
/** The most schedules one organisation may have armed at once (a bound on the loop's work). */
const DEFAULT_MAX_ARMED = 200;
/** Finished and cancelled schedules stay readable this long (late clicks, `scheduled`). */
const KEPT_AFTER_END_IN_MS = 30 * 24 * 3600_000;
/** How many schedules one pass of the loop reads at most. */
const SCAN_LIMIT = 5000;

export interface ScheduleServiceOptions {
  readonly store: StateStore;
  readonly audit: AuditTrail;
  readonly clock: Clock;
  /** How long a proposal waits for its author's "Arm". */
  readonly proposalTtlInMs: number;
  readonly leaseInMs?: number;
  readonly maxArmedPerTenant?: number;
  /** Four eyes: a schedule is armed only by an approver's approval (scheduleApprovals.ts), never by its author. */
  readonly approvalRequired?: boolean;
  /**
   * A one-person due card taken this long ago without a result was interrupted (the process died
   * mid-run): the next click takes it over, reading the target back first. As for single requests.
   */
  readonly staleExecutionAfterInMs?: number;
  readonly onError?: ErrorReport;
}

export interface ScheduleRefusal {
  readonly kind: 'refused';
  readonly problem: ScheduleProblem;
  readonly schedule?: ScheduledRevocation;
}

export type RunOutcome =
  | { readonly kind: 'revoked'; readonly schedule: ScheduledRevocation; readonly graphRequestId?: string }
  /** Graph refused or failed: the occurrence is given back, so someone else (with a role) may click. */
  | { readonly kind: 'failed'; readonly schedule: ScheduledRevocation; readonly failure: DirectoryFailure }
  | ScheduleRefusal
  | { readonly kind: 'storage_unavailable' };

/** A taken occurrence, held by this click. */
export interface Taken {
  readonly schedule: ScheduledRevocation;
  readonly occurrence: number;
}

export class ScheduleService {
  private readonly leaseInMs: number;

  constructor(private readonly options: ScheduleServiceOptions) {
    this.leaseInMs = options.leaseInMs ?? DEFAULT_LEASE_IN_MS;
  }

  private now(): Date {
    return this.options.clock.now();
  }

  /** Stored until long after it could matter: the store drops it then. */
  retention(schedule: ScheduledRevocation): Date {
    const now = this.now().getTime();
    if (schedule.state === 'pending' || schedule.state === 'awaitingApproval')
      return new Date(Date.parse(schedule.expiresAt) + KEPT_AFTER_END_IN_MS);
    if (schedule.state === 'armed') {
      const next = schedule.nextDueAt ? Date.parse(schedule.nextDueAt) : now;
      return new Date(Math.max(next, now) + KEPT_AFTER_END_IN_MS);
    }
    return new Date(now + KEPT_AFTER_END_IN_MS);
  }

  /** A proposal shown back to its author; nothing is armed until they click Arm. */
  async propose(person: PersonRef, target: ScheduleTarget, parsed: ParsedWhen): Promise<ScheduledRevocation | ScheduleRefusal> {
    const armed = await this.armedFor(person.tenantId);
    if (armed.length >= (this.options.maxArmedPerTenant ?? DEFAULT_MAX_ARMED)) return { kind: 'refused', problem: 'too_many' };
    const schedule = proposeSchedule({
      id: randomUUID(),
      armedBy: person,
      target,
      when: parsed.when,
      zone: parsed.zone,
      firstDueAt: parsed.firstDueAt,
      now: this.now(),
      ttlInMs: this.options.proposalTtlInMs,
    });
    await this.options.store.create(NAMESPACE.schedules, schedule.id, schedule, { expiresAt: this.retention(schedule) });
    return schedule;
  }

  async get(id: string): Promise<ScheduledRevocation | undefined> {
    return (await this.options.store.get<ScheduledRevocation>(NAMESPACE.schedules, id))?.value;
  }

  /** Arms a proposal (its author only, without four eyes); recorded in the audit trail. */
  async arm(person: PersonRef, id: string): Promise<ScheduledRevocation | ScheduleRefusal> {
    if (this.options.approvalRequired) return { kind: 'refused', problem: 'approval_required' };
    const changed = await this.change(id, (s) => armSchedule(s, person, this.now()));
    if ('kind' in changed) return changed;
    await this.recordArmed(changed);
    return changed;
  }

  /** The audit record of an arming (by its author, or by an approver's approval). */
  async recordArmed(schedule: ScheduledRevocation): Promise<void> {
    const by = schedule.approvedBy ?? schedule.armedBy;
    await this.options.audit.after({
      tenantId: schedule.tenantId,
      action: 'schedule.armed',
      outcome: 'ok',
      actor: auditActor(by),
      target: auditTargetOf(schedule),
      requestId: schedule.id,
      detail: `${describeTarget(schedule)}, ${describeWhen(schedule.when, schedule.zone)}; steps: revoke sessions; set up by ${schedule.armedBy.name}${schedule.approvedBy ? `, approved by ${schedule.approvedBy.name}` : ''}. No token is stored: whoever clicks the due card acts with their own.`,
    });
  }

  async cancel(person: PersonRef, id: string): Promise<ScheduledRevocation | ScheduleRefusal> {
    const changed = await this.change(id, (s) => cancelSchedule(s, person, this.now()));
    if ('kind' in changed) return changed;
    await this.options.audit.after({
      tenantId: person.tenantId,
      action: 'schedule.cancelled',
      outcome: 'ok',
      actor: auditActor(person),
      target: auditTargetOf(changed),
      requestId: changed.id,
      detail: `${describeTarget(changed)}, ${describeWhen(changed.when, changed.zone)}.`,
    });
    return changed;
  }

  /** The armed schedules of an organisation, soonest first. */
  async armedFor(tenantId: string): Promise<ScheduledRevocation[]> {
    const all = await this.options.store.list<ScheduledRevocation>(NAMESPACE.schedules, { limit: SCAN_LIMIT });
    return all
      .map((item) => item.value)
      .filter((s) => s.state === 'armed' && s.tenantId.toLowerCase() === tenantId.toLowerCase())
      .sort((a, b) => Date.parse(a.nextDueAt ?? a.createdAt) - Date.parse(b.nextDueAt ?? b.createdAt));
  }

  // ----- the scheduler loop -------------------------------------------------------------------

  /** Schedules with a due time come, or an unanswered card to remind about (one read of the namespace). */
  async pending(reminderAfterInMs: number): Promise<{ due: string[]; unposted: string[]; remind: string[] }> {
    const now = this.now();
    const all = await this.options.store.list<ScheduledRevocation>(NAMESPACE.schedules, { limit: SCAN_LIMIT });
    return {
      due: all.filter((item) => isDue(item.value, now)).map((item) => item.key),
      unposted: all.filter((item) => isUnposted(item.value, now)).map((item) => item.key),
      remind: all.filter((item) => needsReminder(item.value, now, reminderAfterInMs)).map((item) => item.key),
    };
  }

  /**
   * Claims a due schedule and opens its occurrence (undefined: not due any more, or another
   * instance has it). `previous` is what to give back if no card can be posted.
   */
  async claimDue(
    id: string,
    holder: string,
    lateAfterInMs: number,
  ): Promise<{ held: StoredItem<ScheduledRevocation>; previous: ScheduledRevocation } | undefined> {
    const stored = await this.options.store.get<ScheduledRevocation>(NAMESPACE.schedules, id);
    if (!stored) return undefined;
    const claimed = claimDue(stored.value, { holder, now: this.now(), leaseInMs: this.leaseInMs, lateAfterInMs });
    if (!claimed.ok) return undefined;
    const written = await this.options.store.replace(NAMESPACE.schedules, id, claimed.value, stored.etag, {
      expiresAt: this.retention(claimed.value),
    });
    if (!written.ok) return undefined;
    const missed = missedOccurrence(stored.value);
    if (missed)
      await this.options.audit.after({
        tenantId: stored.value.tenantId,
        action: 'schedule.missed',
        outcome: 'info',
        target: auditTargetOf(stored.value),
        requestId: id,
        detail: `Nobody acted on the card due ${describeInstant(new Date(missed.dueAt), 'UTC')}.`,
      });
    return { held: { value: claimed.value, etag: written.etag }, previous: stored.value };
  }

  /** Records where the cards went (a click may have come meanwhile) and audits the due time. */
  async recordPosted(id: string, cards: readonly DueCardPlace[]): Promise<ScheduledRevocation | undefined> {
    const changed = await this.change(id, (s) => ({ ok: true, value: recordPosted(s, cards) }));
    if ('kind' in changed) return undefined;
    const occurrence = changed.occurrence;
    await this.options.audit.after({
      tenantId: changed.tenantId,
      action: 'schedule.due',
      outcome: 'info',
      target: auditTargetOf(changed),
      requestId: changed.id,
      detail: occurrence
        ? `Due ${describeInstant(new Date(occurrence.dueAt), 'UTC')}; card posted ${occurrence.late ? `${delayInMinutes(occurrence, new Date(occurrence.postedAt))} minutes late (the bot was not running at the due time)` : 'on time'} to ${cards.length} conversation(s).`
        : undefined,
    });
    return changed;
  }

  /** Gives up a claim whose cards could not be posted anywhere: the schedule is as it was, and the next pass tries again. */
  async release(held: StoredItem<ScheduledRevocation>, previous: ScheduledRevocation): Promise<void> {
    const back = releaseLease(previous);
    await this.options.store.replace(NAMESPACE.schedules, back.id, back, held.etag, { expiresAt: this.retention(back) });
  }

  /** Claims an occurrence whose cards were never posted (its claimer stopped first). */
  async claimUnposted(id: string, holder: string): Promise<StoredItem<ScheduledRevocation> | undefined> {
    return this.claim(id, (s) => claimUnposted(s, holder, this.now(), this.leaseInMs));
  }

  async claimReminder(id: string, holder: string, afterInMs: number): Promise<StoredItem<ScheduledRevocation> | undefined> {
    return this.claim(id, (s) => claimReminder(s, holder, this.now(), afterInMs, this.leaseInMs));
  }

  async recordReminded(held: StoredItem<ScheduledRevocation>, cards: readonly DueCardPlace[]): Promise<ScheduledRevocation | undefined> {
    const reminded = recordReminded(held.value, this.now(), cards);
    const written = await this.options.store.replace(NAMESPACE.schedules, reminded.id, reminded, held.etag, {
      expiresAt: this.retention(reminded),
    });
    if (!written.ok || !reminded.occurrence) return undefined;
    await this.options.audit.after({
      tenantId: reminded.tenantId,
      action: 'schedule.reminded',
      outcome: 'info',
      target: auditTargetOf(reminded),
      requestId: reminded.id,
      detail: `Nobody acted on the due card for ${delayInMinutes(reminded.occurrence, this.now())} minutes; the security channel was reminded.`,
    });
    return reminded;
  }

  // ----- a click on a due card ----------------------------------------------------------------

  private get staleAfterInMs(): number {
    return this.options.staleExecutionAfterInMs ?? DEFAULT_STALE_EXECUTION_AFTER_IN_MS;
  }

  /** Whether someone's click is running on the open occurrence now (a click on the card is refused before sign-in). */
  isRunning(schedule: ScheduledRevocation): boolean {
    const occurrence = schedule.occurrence;
    return occurrence?.taken !== undefined && !occurrence.result && !isInterruptedTake(schedule, this.now(), this.staleAfterInMs);
  }

  /** Takes the occurrence for this click: exactly one click wins (an interrupted take is taken over). */
  async take(person: PersonRef, id: string, occurrence: number): Promise<Taken | ScheduleRefusal> {
    const changed = await this.change(id, (s) => takeOccurrence(s, occurrence, person, this.now(), this.staleAfterInMs));
    return 'kind' in changed ? changed : { schedule: changed, occurrence };
  }

  /** Gives a taken occurrence back (nothing was done): someone else may click. */
  async giveBack(taken: Taken): Promise<ScheduledRevocation | undefined> {
    const changed = await this.change(taken.schedule.id, (s) => ({ ok: true, value: giveBackOccurrence(s, taken.occurrence) }));
    return 'kind' in changed ? undefined : changed;
  }

  /** Records what a taken occurrence came to. */
  async finish(taken: Taken, result: OccurrenceResult, matched?: readonly string[]): Promise<ScheduledRevocation | undefined> {
    const changed = await this.change(taken.schedule.id, (s) => ({ ok: true, value: recordResult(s, taken.occurrence, result, matched) }));
    return 'kind' in changed ? undefined : changed;
  }

  /**
   * The first click on a one-person schedule's due card: revokes with the clicker's own
   * delegated token, once. The audit trail says it was scheduled, and how long after the due
   * time it ran.
   */
  async runForUser(acting: Acting, id: string, occurrence: number, options: { deadline?: Deadline } = {}): Promise<RunOutcome> {
    const taken = await this.take(acting.person, id, occurrence);
    if ('kind' in taken) return taken;
    const schedule = taken.schedule;
    const target = schedule.target;
    const due = schedule.occurrence;
    if (target.kind !== 'user' || !due) {
      await this.giveBack(taken);
      return { kind: 'refused', problem: 'not_found', schedule };
    }
    const delay = delayInMinutes(due, this.now());
    const about = {
      tenantId: acting.person.tenantId,
      actor: auditActor(acting.person),
      target: auditTargetOf(schedule),
      requestId: schedule.id,
    };
    const interrupted = due.taken?.interrupted;
    if (interrupted) {
      // The click before this one died mid-run: whatever its revoke did has landed by now (the take
      // is stale), so the target's sessions say whether it happened. Never revoke twice.
      const read = await readRevocation(acting.directory, { kind: 'objectId', id: target.id }, new Date(interrupted.at), options);
      if (!read.ok && read.error.code !== 'not_found') {
        // Unknown: put the interrupted take back as it was, so that the next click reads back again.
        const back = await this.change(id, (s) => ({ ok: true, value: restoreInterruptedTake(s, occurrence) }));
        return { kind: 'failed', schedule: 'kind' in back ? schedule : back, failure: read.error };
      }
      if (read.ok && read.value.verified && read.value.validFromAfter) {
        const at = new Date(read.value.validFromAfter).toISOString();
        const finished = (await this.finish(taken, { kind: 'revoked', at, by: interrupted.by })) ?? schedule;
        await this.options.audit.after({
          ...about,
          action: 'revocation.succeeded',
          outcome: 'ok',
          code: 'verified_after_interruption',
          detail: `Scheduled revocation: ${interrupted.by.name}'s run from ${interrupted.at} was interrupted; the target's sessions are valid only from ${at}, so the revoke had happened. Recorded without revoking again.`,
        });
        return { kind: 'revoked', schedule: finished };
      }
    }
    try {
      await this.options.audit.before({
        ...about,
        action: 'revocation.started',
        outcome: 'info',
        detail: `Scheduled revocation armed by ${schedule.armedBy.name}, due ${describeInstant(new Date(due.dueAt), 'UTC')}; run ${delay} minutes after the due time${interrupted ? `, taking over ${interrupted.by.name}'s run from ${interrupted.at}, which was interrupted before Entra revoked anything` : ''}.`,
      });
    } catch {
      // No unaudited action.
      await this.giveBack(taken);
      return { kind: 'storage_unavailable' };
    }
    const result = await acting.directory.revokeSessions({ kind: 'objectId', id: target.id }, { deadline: options.deadline });
    if (!result.ok) {
      const back = (await this.giveBack(taken)) ?? schedule;
      await this.options.audit.after({
        ...about,
        action: 'revocation.failed',
        outcome: 'failed',
        code: result.error.code,
        graphRequestId: result.error.graphRequestId,
        detail: 'Scheduled revocation: the due card stays open for someone else.',
      });
      return { kind: 'failed', schedule: back, failure: result.error };
    }
    const finished = (await this.finish(taken, { kind: 'revoked', at: this.now().toISOString(), by: acting.person })) ?? schedule;
    await this.options.audit.after({
      ...about,
      action: 'revocation.succeeded',
      outcome: 'ok',
      graphRequestId: result.graphRequestId,
      detail: `Scheduled revocation, ${delay} minutes after the due time.`,
    });
    return { kind: 'revoked', schedule: finished, graphRequestId: result.graphRequestId };
  }

  // ----- helpers --------------------------------------------------------------------------------

  private async claim(
    id: string,
    rule: (s: ScheduledRevocation) => Result<ScheduledRevocation, ScheduleProblem>,
  ): Promise<StoredItem<ScheduledRevocation> | undefined> {
    const stored = await this.options.store.get<ScheduledRevocation>(NAMESPACE.schedules, id);
    if (!stored) return undefined;
    const claimed = rule(stored.value);
    if (!claimed.ok) return undefined;
    const written = await this.options.store.replace(NAMESPACE.schedules, id, claimed.value, stored.etag, {
      expiresAt: this.retention(claimed.value),
    });
    return written.ok ? { value: claimed.value, etag: written.etag } : undefined;
  }

  /** Applies a rule under compare-and-set, reading again when another writer came first (a few times). */
  private async change(
    id: string,
    rule: (s: ScheduledRevocation) => Result<ScheduledRevocation, ScheduleProblem>,
  ): Promise<ScheduledRevocation | ScheduleRefusal> {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const stored = await this.options.store.get<ScheduledRevocation>(NAMESPACE.schedules, id);
      if (!stored) return { kind: 'refused', problem: 'not_found' };
      const changed = rule(stored.value);
      if (!changed.ok) return { kind: 'refused', problem: changed.error, schedule: stored.value };
      const written = await this.options.store.replace(NAMESPACE.schedules, id, changed.value, stored.etag, {
        expiresAt: this.retention(changed.value),
      });
      if (written.ok) return changed.value;
    }
    return { kind: 'refused', problem: 'leased' };
  }
}

/** The audit records' target: the person, for a one-person schedule. */
function auditTargetOf(schedule: ScheduledRevocation): AuditTarget | undefined {
  const t = schedule.target;
  return t.kind === 'user' ? { id: t.id, displayName: t.displayName, userPrincipalName: t.userPrincipalName } : undefined;
}

/** A schedule's target in words: `Adele Vance`, `group "Contractors"`, `selection "Disabled contractors"`. */
export function describeTarget(schedule: ScheduledRevocation): string {
  const t = schedule.target;
  if (t.kind === 'user') return t.displayName;
  return `${t.kind} "${t.label}"`;
}
