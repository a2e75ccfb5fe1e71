/**
 * Wall-clock time in an IANA time zone (`Europe/Berlin`), with the zone rules of the runtime's
 * Intl (ICU) data: which instant a local date and time is, what local time an instant is, and
 * where daylight saving makes a local time skip (a gap) or happen twice (a fold). Pure: the
 * instants come in as arguments; nothing here reads the machine's clock or time zone.
 */

/** A local calendar date and time of day (month 1–12). */
export interface WallTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
}

/** Which instants a wall time is in a zone: one; none (the clocks skipped it); or two (the clocks went back over it). */
export type ZonedInstants =
  | { readonly kind: 'one'; readonly at: Date }
  /** `after`: the wall time moved on by the length of the jump (02:30 → 03:30 CEST). */
  | { readonly kind: 'gap'; readonly after: Date }
  | { readonly kind: 'fold'; readonly first: Date; readonly second: Date };

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Whether the runtime knows this IANA zone name. */
export function isTimeZone(zone: string): boolean {
  if (typeof zone !== 'string' || zone.length === 0 || zone.length > 64) return false;
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** The local wall time (to the second, as epoch-like milliseconds) of an instant in a zone. */
function wallMillis(at: number, zone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(zone).formatToParts(new Date(at))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return Date.UTC(parts.year ?? 0, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
}

/** The zone's offset from UTC at an instant, in milliseconds (Berlin in winter: +3,600,000). */
export function offsetAt(at: Date, zone: string): number {
  const ms = Math.floor(at.getTime() / 1000) * 1000;
  return wallMillis(ms, zone) - ms;
}

/** The local wall time of an instant. */
export function wallTimeOf(at: Date, zone: string): WallTime & { readonly weekday: number } {
  const wall = new Date(at.getTime() + offsetAt(at, zone));
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    /** 0 = Sunday … 6 = Saturday. */
    weekday: wall.getUTCDay(),
  };
}

/** The instants a wall time is in a zone (see {@link ZonedInstants}). */
export function instantsOf(wall: WallTime, zone: string): ZonedInstants {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute);
  const day = 86_400_000;
  // Offsets a day either side cover every transition near this wall time (zones change at most once a day).
  const offsets = new Set([offsetAt(new Date(asUtc - day), zone), offsetAt(new Date(asUtc), zone), offsetAt(new Date(asUtc + day), zone)]);
  const matches = [...offsets]
    .map((offset) => asUtc - offset)
    .filter((candidate) => wallMillis(candidate, zone) === asUtc)
    .sort((a, b) => a - b);
  const unique = [...new Set(matches)];
  if (unique.length === 1) return { kind: 'one', at: new Date(unique[0] ?? asUtc) };
  if (unique.length >= 2)
    return { kind: 'fold', first: new Date(unique[0] ?? asUtc), second: new Date(unique[unique.length - 1] ?? asUtc) };
  // Skipped: the clocks jumped over it. Read with the offset before the jump, it is the same
  // wall time moved on by the length of the jump (02:30 → 03:30).
  return { kind: 'gap', after: new Date(asUtc - offsetAt(new Date(asUtc - day), zone)) };
}

/** A calendar date plus whole days (month/year roll over). */
export function addDays(wall: WallTime, days: number): WallTime {
  const date = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + days, wall.hour, wall.minute));
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hour: date.getUTCHours(),
    minute: date.getUTCMinutes(),
  };
}

/** Weekday of a calendar date, 0 = Sunday. */
export function weekdayOf(wall: WallTime): number {
  return new Date(Date.UTC(wall.year, wall.month - 1, wall.day)).getUTCDay();
}

export const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

const two = (n: number): string => String(n).padStart(2, '0');

/** `17:00`. */
export function clockText(hour: number, minute: number): string {
  return `${two(hour)}:${two(minute)}`;
}

/**
 * How an instant reads back to the person who typed it:
 * `Friday 18 December 2026, 17:00 Europe/Berlin (16:00 UTC)`; in UTC, `… 16:00 UTC`.
 */
export function describeInstant(at: Date, zone: string): string {
  const local = wallTimeOf(at, zone);
  const date = `${WEEKDAY_NAMES[local.weekday] ?? ''} ${local.day} ${MONTH_NAMES[local.month - 1] ?? ''} ${local.year}`;
  if (zone === 'UTC') return `${date}, ${clockText(local.hour, local.minute)} UTC`;
  const utc = wallTimeOf(at, 'UTC');
  const utcDay = utc.day === local.day ? '' : ` on ${WEEKDAY_NAMES[utc.weekday] ?? ''} ${utc.day} ${MONTH_NAMES[utc.month - 1] ?? ''}`;
  return `${date}, ${clockText(local.hour, local.minute)} ${zone} (${clockText(utc.hour, utc.minute)} UTC${utcDay})`;
}
