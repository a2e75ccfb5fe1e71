/**
 * The words of the scheduling commands: where a `revoke …` ends and its time (`at`, `on`,
 * `every`) begins, `cancel schedule <id>` and `save selection "Name" [where …]`. The time
 * itself is read later, in the person's time zone (src/domain/scheduleTime.ts).
 */
import { parseQuotedName, type BulkSource } from './bulkCommand';
import { parseSelectionFilter, type SelectionFilter } from './selectionFilter';
import { isObjectId, type TargetInputProblem, type TargetReference } from './targetReference';

/** What the command parser makes of these words: the command, a problem to explain, or the word not understood. */
export type Parsed<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'invalid'; readonly problem: TargetInputProblem }
  | { readonly kind: 'help'; readonly unrecognised: string };

/** What a schedule revokes, as typed. */
export type ScheduleSubject =
  { readonly kind: 'user'; readonly target: TargetReference } | { readonly kind: 'bulk'; readonly source: BulkSource };

const WHEN_WORDS = new Set(['at', 'on', 'every']);
const QUOTES = new Set(['"', "'", '\u201C', '\u201D', '\u2018', '\u2019', '\u00AB', '\u00BB', '\u201E']);

/**
 * Splits `adele at 17:00 friday` into the subject (`adele`) and the time (`at 17:00 friday`):
 * at the first `at`, `on` or `every` outside quotes that is followed by a digit or a day
 * (so `revoke Anna Maria on` stays a name). No split: `whenText` is undefined.
 */
export function splitWhen(text: string): { subject: string; whenText?: string } {
  const words = text.split(' ');
  let quoted = false;
  let offset = 0;
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i] ?? '';
    if (!quoted && i > 0 && WHEN_WORDS.has(word.toLowerCase())) {
      const rest = words.slice(i + 1).join(' ');
      if (/\d|day|mon|tue|wed|thu|fri|sat|sun|hour|minute|tomorrow/i.test(rest)) {
        return { subject: text.slice(0, offset).trimEnd(), whenText: text.slice(offset).trim() };
      }
    }
    for (const character of word) if (QUOTES.has(character)) quoted = !quoted;
    offset += word.length + 1;
  }
  return { subject: text };
}

/** `cancel schedule <id>`; anything else after `cancel` is not understood. */
export function parseCancelSchedule(rest: string): Parsed<string> {
  const words = rest.trim().split(' ');
  if (words[0]?.toLowerCase() !== 'schedule') return { kind: 'help', unrecognised: 'cancel' };
  const id = (words[1] ?? '').replace(/[.!?,;:]+$/, '');
  if (words.length !== 2 || !isObjectId(id))
    return {
      kind: 'invalid',
      problem: { code: 'bad_object_id', detail: 'Say which schedule: cancel schedule <id>, as `scheduled` lists them.' },
    };
  return { kind: 'ok', value: id.toLowerCase() };
}

/** `save selection "Name"` or `save selection "Name" where …`. */
export function parseSaveSelection(rest: string): Parsed<{ name: string; filter?: SelectionFilter }> {
  const trimmed = rest.trim();
  if (!/^selection\b/i.test(trimmed)) return { kind: 'help', unrecognised: 'save' };
  const after = trimmed.slice('selection'.length).trim();
  const where = /\swhere\s/i.exec(` ${after} `);
  const nameText = where ? after.slice(0, Math.max(0, where.index - 1)) : after;
  const name = parseQuotedName(nameText, 'selection');
  if (!name.ok) return { kind: 'invalid', problem: name.error };
  if (!where) return { kind: 'ok', value: { name: name.value } };
  const filter = parseSelectionFilter(after.slice(where.index + where[0].length - 1));
  if (!filter.ok) return { kind: 'invalid', problem: { code: 'bad_filter', detail: filter.error.detail } };
  return { kind: 'ok', value: { name: name.value, filter: filter.value } };
}
