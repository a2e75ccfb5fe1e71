/**
 * Turns the text of a Teams message into a command. Teams sends HTML-ish text (`<p>`, `<at>`,
 * entities, zero-width spaces); this module reads it in one linear pass with no backtracking
 * regular expression over the whole input, and never throws for any input.
 */
import { parseAuditArguments, type AuditQuery } from './auditCommand';
import { bulkKind, parseBulkSource, type BulkSource } from './bulkCommand';
import { parseTarget, type MentionedPerson, type TargetInputProblem, type TargetReference } from './targetReference';
import { parseCancelSchedule, parseSaveSelection, splitWhen, type ScheduleSubject } from './scheduleCommand';
import type { SelectionFilter } from './selectionFilter';
import { FORMATTING_NOISE, collapseWhitespace, forDisplay, takeCodePoints, trimTrailing } from './text';

export type Command =
  | { kind: 'revoke'; target: TargetReference }
  /** `revoke group "…"` / `revoke group <id>` / `revoke department "…"`. */
  | { kind: 'revokeBulk'; source: BulkSource }
  | { kind: 'whoami' }
  /** `risky`: the users Identity Protection has at risk, each to act on. */
  | { kind: 'risky' }
  /** `audit [export [csv|jsonl]] [N] [for|by <person>]` (src/domain/auditCommand.ts). */
  | { kind: 'audit'; query: AuditQuery }
  /**
   * `help`, `?`, an empty message, or anything not understood. `unrecognised` is what was not
   * understood: the first word (≤ 40 characters, invisible characters shown as U+FFFD), or
   * `revoke group` / `revoke department` / `revoke all`… for the bulk forms reserved for later.
   */
  | { kind: 'help'; unrecognised?: string }
  /** `revoke` with a malformed target. */
  | { kind: 'invalid'; problem: TargetInputProblem }
  /** `revoke <someone|group "…"|where …|selection "…"> at|on|every …` (src/domain/scheduleCommand.ts). */
  | { kind: 'schedule'; subject: ScheduleSubject; whenText: string }
  /** `scheduled`: what is armed, with cancel buttons. */
  | { kind: 'scheduled' }
  /** `cancel schedule <id>`. */
  | { kind: 'cancelSchedule'; id: string }
  /** `save selection "Name" [where …]`: names a filter (the last one previewed when no `where`). */
  | { kind: 'saveSelection'; name: string; filter?: SelectionFilter };

/** A mention in the incoming activity, other than the bot's own. */
export interface IncomingMention {
  teamsId: string;
  name: string;
  /** As it appears in the activity text, e.g. `<at>Adele Vance</at>`. */
  text: string;
}

export interface IncomingText {
  text: string;
  /** Mentions other than the bot's own, in order. */
  mentions: readonly IncomingMention[];
}

/** Words after `revoke` that are reserved for bulk revocation (`revoke group "…"`, later). */
export const RESERVED_BULK_WORDS: ReadonlySet<string> = new Set([
  'group',
  'groups',
  'department',
  'dept',
  'where',
  'selection',
  'all',
  'everyone',
  'everybody',
]);

const MAX_UNRECOGNISED_LENGTH = 40;
/** Stands for one mention in the flattened text. Any U+FFFF the agent typed is replaced first. */
const MENTION_MARK = '\uFFFF';
const OPENING_QUOTES = new Set(['"', "'", '\u201C', '\u201D', '\u201E', '\u2018', '\u00AB', '\u00BB']);

/**
 * Parses a message addressed to the bot (its own mention already removed by the bot layer).
 *
 * - `revoke <target>` → `revoke` (or `invalid` with the target problem); see {@link parseTarget}.
 * - `revoke group …`, `revoke department …`, `revoke all|everyone …` (unquoted) → `help` with
 *   `unrecognised: 'revoke group'` etc.: reserved for bulk revocation, never read as a name.
 * - `whoami`, `who am i` → `whoami`; `help`, `?`, empty → `help`; anything else → `help` with
 *   the first word as `unrecognised`.
 * - Case-insensitive; a leading `/`, trailing punctuation, HTML tags, entities, zero-width spaces
 *   and extra whitespace are tolerated. `<at>…</at>` maps to the next unused mention with that text;
 *   an `<at>` with no matching mention is read as its plain text. Mentions that do not occur in the
 *   text are ignored.
 * - A missing or partial input (what a malformed activity carries) reads as what it has.
 */
export function parseCommand(input: Partial<IncomingText> | null | undefined): Command {
  const rawText = typeof input?.text === 'string' ? input.text : '';
  const mentions = Array.isArray(input?.mentions) ? input.mentions.filter(isIncomingMention) : [];
  const { text, found } = flatten(rawText, new MentionMatcher(mentions));

  let s = collapseWhitespace(text.replace(FORMATTING_NOISE, ''));
  if (s.startsWith('/')) s = s.slice(1).trimStart();
  if (s === '') return { kind: 'help' };

  const verbEnd = firstIndexOfAny(s, [' ', MENTION_MARK]);
  const verb = verbEnd === -1 ? s : s.slice(0, verbEnd);
  const rest = verbEnd === -1 ? '' : s.slice(verbEnd);
  if (verb === '') return { kind: 'help', unrecognised: unrecognisedWord(`@${found[0]?.name ?? ''}`) };

  if (verb === '?' || verb === '/?') return { kind: 'help' };
  const key = trimTrailing(verb.toLowerCase(), '.!?:,;');
  switch (key) {
    case 'help':
      return { kind: 'help' };
    case 'whoami':
      return { kind: 'whoami' };
    case 'risky':
      return { kind: 'risky' };
    case 'audit': {
      const parsed = parseAuditArguments(collapseWhitespace(rest.split(MENTION_MARK).join(' ')), found);
      if (parsed.ok) return { kind: 'audit', query: parsed.query };
      return 'problem' in parsed
        ? { kind: 'invalid', problem: parsed.problem }
        : { kind: 'help', unrecognised: unrecognisedWord(parsed.unrecognised) };
    }
    case 'who':
      if (trimTrailing(rest.trim().toLowerCase(), '.!?') === 'am i') return { kind: 'whoami' };
      return { kind: 'help', unrecognised: unrecognisedWord(verb) };
    case 'revoke':
      return parseRevoke(rest, found);
    case 'scheduled':
    case 'schedules':
      return { kind: 'scheduled' };
    case 'cancel': {
      const parsed = parseCancelSchedule(collapseWhitespace(rest.split(MENTION_MARK).join(' ')));
      return parsed.kind === 'ok' ? { kind: 'cancelSchedule', id: parsed.value } : parsed;
    }
    case 'save': {
      const parsed = parseSaveSelection(collapseWhitespace(rest.split(MENTION_MARK).join(' ')));
      return parsed.kind === 'ok' ? { kind: 'saveSelection', ...parsed.value } : parsed;
    }
    default:
      return { kind: 'help', unrecognised: unrecognisedWord(verb) };
  }
}

function parseRevoke(rest: string, found: readonly MentionedPerson[]): Command {
  const split = splitWhen(rest);
  if (split.whenText !== undefined) {
    const subject = parseRevokeSubject(split.subject, found);
    if (subject.kind === 'revoke') return { kind: 'schedule', subject: { kind: 'user', target: subject.target }, whenText: split.whenText };
    if (subject.kind === 'revokeBulk')
      return { kind: 'schedule', subject: { kind: 'bulk', source: subject.source }, whenText: split.whenText };
    return subject;
  }
  return parseRevokeSubject(rest, found);
}

function parseRevokeSubject(rest: string, found: readonly MentionedPerson[]): Command {
  const targetText = rest.trimStart();
  const firstWordEnd = firstIndexOfAny(targetText, [' ', MENTION_MARK]);
  const firstWord = (firstWordEnd === -1 ? targetText : targetText.slice(0, firstWordEnd)).toLowerCase();
  const bare = trimTrailing(firstWord, '.!?:,;');
  if (RESERVED_BULK_WORDS.has(bare) && !OPENING_QUOTES.has(targetText.charAt(0))) {
    const kind = bulkKind(bare);
    // `revoke all` / `everyone` stays refused: no command revokes a whole organisation.
    if (!kind) return { kind: 'help', unrecognised: `revoke ${bare}` };
    const source = parseBulkSource(kind, firstWordEnd === -1 ? '' : targetText.slice(firstWordEnd).split(MENTION_MARK).join(' '));
    return source.ok ? { kind: 'revokeBulk', source: source.value } : { kind: 'invalid', problem: source.error };
  }
  const parsed = parseTarget(targetText.split(MENTION_MARK).join(' '), found);
  return parsed.ok ? { kind: 'revoke', target: parsed.value } : { kind: 'invalid', problem: parsed.error };
}

function unrecognisedWord(word: string): string {
  return forDisplay(takeCodePoints(word, MAX_UNRECOGNISED_LENGTH).text, MAX_UNRECOGNISED_LENGTH);
}

function isIncomingMention(m: unknown): m is IncomingMention {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  return typeof r.teamsId === 'string' && typeof r.name === 'string' && typeof r.text === 'string';
}

function firstIndexOfAny(s: string, needles: readonly string[]): number {
  let best = -1;
  for (const needle of needles) {
    const i = s.indexOf(needle);
    if (i !== -1 && (best === -1 || i < best)) best = i;
  }
  return best;
}

/** Finds the mention an `<at>` tag stands for, each mention used once. */
class MentionMatcher {
  private readonly byRaw = new Map<string, number[]>();
  private readonly byInner = new Map<string, number[]>();
  private readonly used = new Set<number>();

  constructor(private readonly mentions: readonly IncomingMention[]) {
    mentions.forEach((m, index) => {
      push(this.byRaw, m.text, index);
      push(this.byInner, mentionKey(flatten(innerOfAtTag(m.text), undefined).text), index);
      push(this.byInner, mentionKey(m.name), index);
    });
  }

  take(rawTag: string, innerText: string): MentionedPerson | undefined {
    const index = this.next(this.byRaw.get(rawTag)) ?? this.next(this.byInner.get(mentionKey(innerText)));
    if (index === undefined) return undefined;
    this.used.add(index);
    const m = this.mentions[index];
    return m ? { teamsId: m.teamsId, name: m.name } : undefined;
  }

  private next(candidates: number[] | undefined): number | undefined {
    if (!candidates) return undefined;
    // Drop used entries from the front so repeated look-ups stay cheap.
    while (candidates.length > 0 && this.used.has(candidates[0] ?? -1)) candidates.shift();
    return candidates[0];
  }
}

function push(map: Map<string, number[]>, key: string, index: number): void {
  const list = map.get(key);
  if (list) {
    if (list[list.length - 1] !== index) list.push(index);
  } else map.set(key, [index]);
}

function mentionKey(text: string): string {
  return collapseWhitespace(text.replace(FORMATTING_NOISE, '').normalize('NFC'));
}

/** `Adele` for `<at id="0">Adele</at>`; the text itself when it is not an at-tag. */
function innerOfAtTag(text: string): string {
  const open = /^<at\b[^>]{0,200}>/i.exec(text);
  if (!open || !/<\/at\s*>$/i.test(text)) return text;
  return text.slice(open[0].length, text.lastIndexOf('<'));
}

/** Tags after which words must stay apart. */
const BLOCK_TAGS = new Set([
  'p',
  'div',
  'br',
  'li',
  'ul',
  'ol',
  'tr',
  'td',
  'th',
  'table',
  'tbody',
  'thead',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'pre',
  'hr',
  'section',
  'article',
]);
/** Tags that are dropped with nothing in their place. */
const INLINE_TAGS = new Set([
  'a',
  'b',
  'i',
  'u',
  's',
  'em',
  'strong',
  'span',
  'code',
  'font',
  'sub',
  'sup',
  'strike',
  'del',
  'ins',
  'mark',
  'small',
  'big',
  'img',
  'emoji',
  'at',
]);

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  nbsp: '\u00A0',
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  ldquo: '\u201C',
  rdquo: '\u201D',
  lsquo: '\u2018',
  rsquo: '\u2019',
  laquo: '\u00AB',
  raquo: '\u00BB',
  hellip: '\u2026',
  ndash: '\u2013',
  mdash: '\u2014',
  shy: '\u00AD',
  zwj: '\u200D',
  zwnj: '\u200C',
  lrm: '\u200E',
  rlm: '\u200F',
  ZeroWidthSpace: '\u200B',
  NoBreak: '\u2060',
  copy: '\u00A9',
};

/** Longest tag we read as a tag; a '<' whose '>' is further away is plain text. */
const MAX_TAG_LENGTH = 2000;

/**
 * Plain text of Teams HTML: tags removed (block tags become a space), entities decoded, and each
 * `<at>…</at>` that matches a mention replaced by {@link MENTION_MARK}. Without a matcher (used for
 * the inner text of a mention), `<at>` tags are dropped like other inline tags.
 * Linear: each search for '>' or '</at>' is remembered and reused until passed.
 */
function flatten(html: string, matcher: MentionMatcher | undefined): { text: string; found: MentionedPerson[] } {
  const out: string[] = [];
  const found: MentionedPerson[] = [];
  const nextGt = memoisedSearch((from) => html.indexOf('>', from));
  const nextAtClose = memoisedSearch((from) => findAtClose(html, from));
  let plainStart = 0;
  let i = 0;

  const flushPlain = (end: number): void => {
    if (end > plainStart) out.push(html.slice(plainStart, end).replaceAll(MENTION_MARK, '\uFFFD'));
  };

  while (i < html.length) {
    const c = html.charCodeAt(i);
    if (c === 0x3c /* < */) {
      const tag = readTag(html, i, nextGt);
      if (tag) {
        flushPlain(i);
        if (tag.name === 'at' && !tag.closing && matcher) {
          const closeStart = nextAtClose(tag.end);
          if (closeStart !== undefined) {
            const closeEnd = atCloseEnd(html, closeStart);
            const inner = flatten(html.slice(tag.end, closeStart), undefined).text;
            const person = matcher.take(html.slice(i, closeEnd), inner);
            if (person) {
              found.push(person);
              out.push(` ${MENTION_MARK} `);
            } else {
              // Not one of the activity's mentions: read it as the plain text it shows.
              out.push(` ${inner} `);
            }
            i = closeEnd;
            plainStart = i;
            continue;
          }
        }
        if (BLOCK_TAGS.has(tag.name)) out.push(' ');
        i = tag.end;
        plainStart = i;
        continue;
      }
    } else if (c === 0x26 /* & */) {
      const entity = readEntity(html, i);
      if (entity) {
        flushPlain(i);
        out.push(entity.text === MENTION_MARK ? '\uFFFD' : entity.text);
        i = entity.end;
        plainStart = i;
        continue;
      }
    }
    i += 1;
  }
  flushPlain(html.length);
  return { text: out.join(''), found };
}

interface Tag {
  name: string;
  closing: boolean;
  /** Index just past the '>'. */
  end: number;
}

/** A known HTML tag starting at `start`, or undefined (then the '<' is plain text). */
function readTag(html: string, start: number, nextGt: (from: number) => number | undefined): Tag | undefined {
  let j = start + 1;
  const closing = html.charAt(j) === '/';
  if (closing) j += 1;
  const nameStart = j;
  while (j < html.length && j - nameStart <= 16 && isAsciiAlphanumeric(html.charCodeAt(j))) j += 1;
  const name = html.slice(nameStart, j).toLowerCase();
  if (name === '' || !(BLOCK_TAGS.has(name) || INLINE_TAGS.has(name))) return undefined;
  const after = html.charAt(j);
  if (!(after === '>' || after === '/' || after === ' ' || after === '\t' || after === '\n' || after === '\r')) return undefined;
  const gt = nextGt(j);
  if (gt === undefined || gt - start > MAX_TAG_LENGTH) return undefined;
  return { name, closing, end: gt + 1 };
}

/** Index of the next `</at>` (any case, optional spaces before '>') at or after `from`, or -1. */
function findAtClose(html: string, from: number): number {
  for (let k = html.indexOf('</', from); k !== -1; k = html.indexOf('</', k + 2)) {
    if (atCloseEnd(html, k) !== -1) return k;
  }
  return -1;
}

/** Index just past the '>' of a `</at >` tag starting at `k`, or -1 if none starts there. */
function atCloseEnd(html: string, k: number): number {
  if (html.charAt(k) !== '<' || html.charAt(k + 1) !== '/') return -1;
  if (html.slice(k + 2, k + 4).toLowerCase() !== 'at') return -1;
  let m = k + 4;
  while (m < html.length && m - k < 20 && (html.charAt(m) === ' ' || html.charAt(m) === '\t')) m += 1;
  return html.charAt(m) === '>' ? m + 1 : -1;
}

/**
 * Wraps a "first index at or after `from`, or -1" search so that a whole parse costs one pass: a
 * found index is reused while `from` has not passed it, and "none" is remembered for every later
 * `from`. (Callers ask with non-decreasing `from`.)
 */
function memoisedSearch(search: (from: number) => number): (from: number) => number | undefined {
  let lastFrom = -1;
  let lastResult = -1;
  let exhaustedFrom = Number.POSITIVE_INFINITY;
  return (from: number) => {
    let result: number;
    if (from >= exhaustedFrom) result = -1;
    else if (lastFrom !== -1 && from >= lastFrom && lastResult >= from) result = lastResult;
    else {
      result = search(from);
      lastFrom = from;
      lastResult = result;
      if (result === -1) exhaustedFrom = Math.min(exhaustedFrom, from);
    }
    return result === -1 ? undefined : result;
  };
}

function readEntity(html: string, start: number): { text: string; end: number } | undefined {
  // Bounded look-ahead: a run of '&' without ';' must not make the parse quadratic.
  let semicolon = -1;
  for (let k = start + 1; k < html.length && k - start <= 32; k += 1) {
    if (html.charCodeAt(k) === 0x3b) {
      semicolon = k;
      break;
    }
  }
  if (semicolon === -1) return undefined;
  const body = html.slice(start + 1, semicolon);
  let text: string | undefined;
  if (body.startsWith('#x') || body.startsWith('#X')) text = fromCodePoint(body.slice(2), 16);
  else if (body.startsWith('#')) text = fromCodePoint(body.slice(1), 10);
  else text = Object.hasOwn(NAMED_ENTITIES, body) ? NAMED_ENTITIES[body] : undefined;
  return text === undefined ? undefined : { text, end: semicolon + 1 };
}

function fromCodePoint(digits: string, radix: 10 | 16): string | undefined {
  const valid = radix === 16 ? /^[0-9A-Fa-f]{1,8}$/ : /^[0-9]{1,10}$/;
  if (!valid.test(digits)) return undefined;
  const code = Number.parseInt(digits, radix);
  if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\uFFFD';
  return String.fromCodePoint(code);
}

function isAsciiAlphanumeric(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}
