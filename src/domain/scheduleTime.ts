/**
 * When a scheduled revocation is due, from the words a person typed: `at 17:00 friday`,
 * `on 2026-12-18 17:00`, `every monday 09:00`, `every day 09:00`. Times are read in the
 * person's own time zone and stored as UTC instants (or, for recurrences, as a local time of
 * day in that zone, so 09:00 stays 09:00 across daylight saving). Refused, each with a clear
 * sentence: a time already past, text that could mean two things, a local time that does not
 * exist or happens twice that day, more than a year ahead, and anything more often than daily.
 */
import { err, ok, type Result } from './result';
import { addDays, clockText, describeInstant, instantsOf, wallTimeOf, weekdayOf, WEEKDAY_NAMES, type WallTime } from './zonedTime';

/** The stored shape of "when". */
export type ScheduleWhen =
  | { readonly kind: 'once'; readonly at: string }
  | { readonly kind: 'daily'; readonly hour: number; readonly minute: number }
  | { readonly kind: 'weekly'; readonly weekday: number; readonly hour: number; readonly minute: number };

export interface ParsedWhen {
  readonly when: ScheduleWhen;
  /** The IANA zone it was read in ('UTC' when the person's was unknown). */
  readonly zone: string;
  /** The first time it is due. */
  readonly firstDueAt: Date;
}

export interface WhenProblem {
  readonly code: 'past' | 'ambiguous' | 'too_far' | 'too_often' | 'not_a_time';
  readonly detail: string;
}

/** The furthest ahead a one-off may be armed. */
export const MAX_AHEAD_IN_MS = 366 * 24 * 3600_000;

const EXAMPLES = 'For example: at 17:00 friday, on 2026-12-18 17:00, every monday 09:00.';

const WEEKDAYS: Readonly<Record<string, number>> = {
  sunday: 0,
  sun: 0,
  monday: 1,
  mon: 1,
  tuesday: 2,
  tue: 2,
  tues: 2,
  wednesday: 3,
  wed: 3,
  thursday: 4,
  thu: 4,
  thurs: 4,
  friday: 5,
  fri: 5,
  saturday: 6,
  sat: 6,
};

const TOO_OFTEN = new Set(['hour', 'hours', 'hourly', 'minute', 'minutes', 'min', 'mins', 'second', 'seconds', 'half-hour']);

type DayWord =
  | { readonly kind: 'today' }
  | { readonly kind: 'tomorrow' }
  | { readonly kind: 'weekday'; readonly weekday: number }
  | { readonly kind: 'date'; readonly wall: WallTime };

function problem(code: WhenProblem['code'], sentence: string): Result<never, WhenProblem> {
  return err({ code, detail: code === 'past' || code === 'too_far' ? sentence : `${sentence} ${EXAMPLES}` });
}

/**
 * Reads the "when" words (starting with at, on or every) in `zone` as of `now`.
 * `zone` must be a zone the runtime knows (the caller falls back to UTC).
 */
export function parseWhen(text: string, zone: string, now: Date): Result<ParsedWhen, WhenProblem> {
  const words = text
    .toLowerCase()
    .replaceAll(',', ' ')
    .split(/\s+/)
    .filter((w) => w !== '');
  const first = words[0];
  if (first !== 'at' && first !== 'on' && first !== 'every') return problem('not_a_time', 'Say when with at, on or every.');
  if (words.length > 8) return problem('ambiguous', 'That time has too many words for me to be sure what you mean.');
  let time: { hour: number; minute: number } | undefined;
  let day: DayWord | undefined;
  let daily = false;
  for (let i = 1; i < words.length; i += 1) {
    const word = words[i] ?? '';
    if (word === 'at' || word === 'on' || word === 'next' || word === 'this') continue;
    if (first === 'every' && TOO_OFTEN.has(word))
      return problem('too_often', 'Schedules can repeat at most once a day (every day, or every monday).');
    if (first === 'every' && /^\d+[hm]$/.test(word))
      return problem('too_often', 'Schedules can repeat at most once a day (every day, or every monday).');
    const meridiem = words[i + 1] === 'am' || words[i + 1] === 'pm' ? words[i + 1] : undefined;
    const clock = readClock(meridiem ? `${word}${meridiem}` : word);
    if (clock === 'ambiguous') return problem('ambiguous', `“${word.slice(0, 20)}” could be morning or evening: write 17:00 or 5pm.`);
    if (clock) {
      if (time) return problem('ambiguous', 'That names two times.');
      time = clock;
      if (meridiem) i += 1;
      continue;
    }
    if (first === 'every' && (word === 'day' || word === 'daily' || word === 'morning' || word === 'evening')) {
      if (word !== 'day' && word !== 'daily') return problem('ambiguous', `“${word}” isn’t a time: write every day 09:00.`);
      daily = true;
      continue;
    }
    const dayWord = readDay(word);
    if (dayWord === 'ambiguous') return problem('ambiguous', `“${word.slice(0, 20)}” could be read two ways: write dates as 2026-12-18.`);
    if (dayWord) {
      if (day) return problem('ambiguous', 'That names two days.');
      day = dayWord;
      continue;
    }
    return problem('not_a_time', `I couldn’t read “${word.slice(0, 20)}” as part of a time.`);
  }
  if (!time) return problem('not_a_time', 'Say the time of day, e.g. 17:00.');

  if (first === 'every') {
    if (daily && day) return problem('ambiguous', 'Say either every day or one weekday.');
    if (!daily && day?.kind !== 'weekday') return problem('ambiguous', 'Say which day it repeats on: every day or every monday.');
    const when: ScheduleWhen = daily
      ? { kind: 'daily', hour: time.hour, minute: time.minute }
      : { kind: 'weekly', weekday: day?.kind === 'weekday' ? day.weekday : 0, hour: time.hour, minute: time.minute };
    const firstDueAt = nextDue(when, zone, now);
    if (!firstDueAt) return problem('not_a_time', 'I couldn’t work out when that is next due.');
    return ok({ when, zone, firstDueAt });
  }

  const today = wallTimeOf(now, zone);
  let date: WallTime;
  if (!day) date = today;
  else if (day.kind === 'today') date = today;
  else if (day.kind === 'tomorrow') date = addDays(today, 1);
  else if (day.kind === 'date') date = day.wall;
  else {
    // The coming such weekday: today when the time is still ahead today, else next week's.
    const ahead = (day.weekday - weekdayOf(today) + 7) % 7;
    date = addDays(today, ahead);
    const sameDay = instantsOf({ ...date, hour: time.hour, minute: time.minute }, zone);
    if (ahead === 0 && sameDay.kind === 'one' && sameDay.at.getTime() <= now.getTime()) date = addDays(today, 7);
  }
  const wall: WallTime = { year: date.year, month: date.month, day: date.day, hour: time.hour, minute: time.minute };
  const instants = instantsOf(wall, zone);
  const dayText = `${WEEKDAY_NAMES[weekdayOf(wall)] ?? ''} ${wall.year}-${two(wall.month)}-${two(wall.day)}`;
  if (instants.kind === 'gap')
    return problem(
      'ambiguous',
      `${clockText(time.hour, time.minute)} doesn’t happen on ${dayText} in ${zone}: the clocks go forward over it. Pick another time.`,
    );
  if (instants.kind === 'fold')
    return problem(
      'ambiguous',
      `${clockText(time.hour, time.minute)} happens twice on ${dayText} in ${zone}: the clocks go back over it. Pick another time.`,
    );
  const at = instants.at;
  if (at.getTime() <= now.getTime()) return problem('past', `${describeInstant(at, zone)} has already passed. Pick a time ahead.`);
  if (at.getTime() - now.getTime() > MAX_AHEAD_IN_MS)
    return problem('too_far', `${describeInstant(at, zone)} is more than a year ahead; schedules go at most a year ahead.`);
  return ok({ when: { kind: 'once', at: at.toISOString() }, zone, firstDueAt: at });
}

/**
 * The first time strictly after `after` that a schedule is due; undefined for a one-off already
 * past. A recurrence keeps its local time of day: on a day the clocks skip it, it runs moved on by
 * the length of the jump (02:30 → 03:30, as JavaScript's Temporal does by default); on a day they
 * repeat it, it runs the first time.
 */
export function nextDue(when: ScheduleWhen, zone: string, after: Date): Date | undefined {
  if (when.kind === 'once') {
    const at = new Date(when.at);
    return at.getTime() > after.getTime() ? at : undefined;
  }
  const start = wallTimeOf(after, zone);
  for (let offset = 0; offset <= 8; offset += 1) {
    const date = addDays(start, offset);
    if (when.kind === 'weekly' && weekdayOf(date) !== when.weekday) continue;
    const instants = instantsOf({ ...date, hour: when.hour, minute: when.minute }, zone);
    const at = instants.kind === 'one' ? instants.at : instants.kind === 'fold' ? instants.first : instants.after;
    if (at.getTime() > after.getTime()) return at;
  }
  return undefined;
}

/** How a schedule's "when" reads: `every Monday at 09:00 Europe/Berlin`, or the one-off instant in full. */
export function describeWhen(when: ScheduleWhen, zone: string): string {
  switch (when.kind) {
    case 'once':
      return describeInstant(new Date(when.at), zone);
    case 'daily':
      return `every day at ${clockText(when.hour, when.minute)} ${zone}`;
    case 'weekly':
      return `every ${WEEKDAY_NAMES[when.weekday] ?? ''} at ${clockText(when.hour, when.minute)} ${zone}`;
  }
}

const two = (n: number): string => String(n).padStart(2, '0');

/** `17:00`, `9:05`, `5pm`, `5:30pm`, `12am`; 'ambiguous' for a bare hour (`5`). */
function readClock(word: string): { hour: number; minute: number } | 'ambiguous' | undefined {
  const h24 = /^(\d{1,2})[:.h](\d{2})$/.exec(word);
  if (h24) {
    const hour = Number(h24[1]);
    const minute = Number(h24[2]);
    return hour <= 23 && minute <= 59 ? { hour, minute } : undefined;
  }
  const h12 = /^(\d{1,2})(?::(\d{2}))?(am|pm)$/.exec(word);
  if (h12) {
    const hour = Number(h12[1]);
    const minute = Number(h12[2] ?? 0);
    if (hour < 1 || hour > 12 || minute > 59) return undefined;
    return { hour: (hour % 12) + (h12[3] === 'pm' ? 12 : 0), minute };
  }
  if (/^\d{1,2}$/.test(word) && Number(word) <= 24) return 'ambiguous';
  return undefined;
}

function readDay(word: string): DayWord | 'ambiguous' | undefined {
  if (word === 'today') return { kind: 'today' };
  if (word === 'tomorrow') return { kind: 'tomorrow' };
  const weekday = Object.hasOwn(WEEKDAYS, word) ? WEEKDAYS[word] : undefined;
  if (weekday !== undefined) return { kind: 'weekday', weekday };
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(word);
  if (iso) {
    const year = Number(iso[1]);
    const month = Number(iso[2]);
    const day = Number(iso[3]);
    const check = new Date(Date.UTC(year, month - 1, day));
    if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
    return { kind: 'date', wall: { year, month, day, hour: 0, minute: 0 } };
  }
  if (/^\d{1,2}[./-]\d{1,2}(?:[./-]\d{2,4})?$/.test(word)) return 'ambiguous';
  return undefined;
}
