/**
 * The scheduler loop: one timer, one pass at a time. Each pass reads from the state store what
 * is due (by the one Clock) and what waits for a reminder, claims each with a lease (so one
 * instance posts it, also across restarts), posts the due cards, and records them. Nothing is
 * held in memory between passes: a due time that passed while the bot was down is posted on the
 * first pass after the start, once, and says it is late.
 */
import { randomUUID } from 'node:crypto';
import type { BotAdapter } from 'botbuilder';
import type { ScheduleService } from '../../app/schedule/scheduleService';
import { describeTarget } from '../../app/schedule/scheduleService';
import { describeInstant } from '../../domain/zonedTime';
import type { BotServices } from '../turn';
import { postEverywhere } from './dueCards';
import { dueView } from './scheduleViews';

export interface SchedulerOptions {
  readonly bot: BotServices;
  readonly adapter: BotAdapter;
  readonly service: ScheduleService;
  /** Time between passes (the due card comes at most this long after its time). */
  readonly pollIntervalInMs: number;
  /** How long a due card may wait for a click before the channel is reminded. */
  readonly reminderAfterInMs: number;
}

export class SchedulerLoop {
  /** Who holds a lease: this process, this run. */
  private readonly holder = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: SchedulerOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops after the pass in progress, if any. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pass()
        .catch((error: unknown) => this.options.bot.logger.warn({ err: error }, 'scheduler pass failed; trying again on the next'))
        .finally(() => {
          this.running = undefined;
          this.schedule(this.options.pollIntervalInMs);
        });
    }, delay);
    this.timer.unref();
  }

  /** One pass: post what is due, remind about what waited too long. */
  async pass(): Promise<void> {
    const { service, reminderAfterInMs } = this.options;
    const pending = await service.pending(reminderAfterInMs);
    for (const id of pending.due) {
      if (this.stopped) return;
      await this.postDue(id);
    }
    for (const id of pending.unposted) {
      if (this.stopped) return;
      await this.postUnposted(id);
    }
    for (const id of pending.remind) {
      if (this.stopped) return;
      await this.remind(id);
    }
  }

  private async postDue(id: string): Promise<void> {
    const { service, bot, adapter, pollIntervalInMs } = this.options;
    // Later than a couple of passes: the bot was not running at the due time.
    const claimed = await service.claimDue(id, this.holder, Math.max(2 * pollIntervalInMs, 60_000));
    if (!claimed) return;
    const places = await postEverywhere(bot, adapter, claimed.held.value, bot.presenter.schedule(dueView(claimed.held.value)));
    if (places.length === 0) {
      bot.logger.warn({ scheduleId: id }, 'a due card could not be posted anywhere; trying again on the next pass');
      await service.release(claimed.held, claimed.previous);
      return;
    }
    await service.recordPosted(id, places);
  }

  /** An occurrence another pass opened but never posted (that instance stopped first). */
  private async postUnposted(id: string): Promise<void> {
    const { service, bot, adapter } = this.options;
    const held = await service.claimUnposted(id, this.holder);
    if (!held) return;
    const places = await postEverywhere(bot, adapter, held.value, bot.presenter.schedule(dueView(held.value)));
    if (places.length === 0) {
      await service.release(held, held.value);
      return;
    }
    await service.recordPosted(id, places);
  }

  private async remind(id: string): Promise<void> {
    const { service, bot, adapter, reminderAfterInMs } = this.options;
    const held = await service.claimReminder(id, this.holder, reminderAfterInMs);
    if (!held) return;
    const schedule = held.value;
    const due = schedule.occurrence?.dueAt;
    const text = `Reminder: the scheduled revocation of ${describeTarget(schedule)} was due ${due ? describeInstant(new Date(due), schedule.zone) : ''} and nobody has acted on it yet.`;
    const places = await postEverywhere(bot, adapter, schedule, bot.presenter.schedule(dueView(schedule, [text])), text);
    if (places.length === 0) {
      await service.release(held, schedule);
      return;
    }
    await service.recordReminded(held, places);
  }
}
