/**
 * The bulk forms of `revoke`: `revoke group "Finance Team"`, `revoke group <object id>` and
 * `revoke department "HP"`. The name is checked like any typed text (no invisible, bidi or
 * control characters, at most 256 characters); it only ever reaches Graph as an OData string
 * literal built by src/domain/odata.ts.
 */
import { err, ok, type Result } from './result';
import { describeFilter, parseSelectionFilter, type SelectionFilter } from './selectionFilter';
import { isObjectId, type TargetInputProblem } from './targetReference';
import { codePointLength, collapseWhitespace, describeUnsafe, findUnsafeCharacter, forDisplay, trimTrailing } from './text';

export type BulkSource =
  | {
      readonly kind: 'group';
      readonly ref: { readonly kind: 'objectId'; readonly id: string } | { readonly kind: 'displayName'; readonly name: string };
    }
  | { readonly kind: 'department'; readonly name: string }
  /** `revoke where department eq 'HP' and …`: a filter tree, never text (src/domain/selectionFilter.ts). */
  | { readonly kind: 'where'; readonly filter: SelectionFilter }
  /** `revoke selection "Disabled contractors"`: a saved selection, by name. */
  | { readonly kind: 'selection'; readonly name: string };

const MAX_NAME_LENGTH = 256;
const QUOTE_PAIRS: readonly [string, string][] = [
  ['"', '"'],
  ["'", "'"],
  ['\u201C', '\u201D'],
  ['\u201E', '\u201C'],
  ['\u2018', '\u2019'],
  ['\u00AB', '\u00BB'],
];

/** The word after `revoke` that starts a bulk command, or undefined. */
export function bulkKind(word: string): 'group' | 'department' | 'where' | 'selection' | undefined {
  if (word === 'group' || word === 'groups') return 'group';
  if (word === 'department' || word === 'dept') return 'department';
  if (word === 'where') return 'where';
  if (word === 'selection') return 'selection';
  return undefined;
}

/** Parses what follows `revoke group` / `revoke department` / `revoke where` / `revoke selection`. */
export function parseBulkSource(
  kind: 'group' | 'department' | 'where' | 'selection',
  text: string,
): Result<BulkSource, TargetInputProblem> {
  const raw = typeof text === 'string' ? text : '';
  if (kind === 'where') {
    const filter = parseSelectionFilter(raw);
    return filter.ok ? ok({ kind: 'where', filter: filter.value }) : err({ code: 'bad_filter', detail: filter.error.detail });
  }
  if (kind === 'selection') {
    const name = parseQuotedName(raw, 'selection');
    return name.ok ? ok({ kind: 'selection', name: name.value }) : name;
  }
  const named = parseQuotedName(raw, kind);
  if (!named.ok) return named;
  const name = named.value;
  if (kind === 'department') return ok({ kind: 'department', name });
  if (isObjectId(name)) return ok({ kind: 'group', ref: { kind: 'objectId', id: name.toLowerCase() } });
  return ok({ kind: 'group', ref: { kind: 'displayName', name } });
}

/** A quoted (or bare) name of at most 256 characters with nothing invisible in it. */
export function parseQuotedName(text: string, kind: 'group' | 'department' | 'selection'): Result<string, TargetInputProblem> {
  const raw = typeof text === 'string' ? text : '';
  if (raw.length > 4 * MAX_NAME_LENGTH)
    return err({ code: 'too_long', detail: `That ${kind} name is too long (at most ${MAX_NAME_LENGTH} characters).` });
  const unsafe = findUnsafeCharacter(raw);
  if (unsafe)
    return err({ code: 'bad_characters', detail: `The ${kind} name contains ${describeUnsafe(unsafe)}. Please retype it without it.` });
  let name = trimTrailing(collapseWhitespace(raw.normalize('NFC')).trim(), '.!?,;:');
  for (const [open, close] of QUOTE_PAIRS) {
    if (name.length >= 2 && name.startsWith(open) && name.endsWith(close)) {
      name = name.slice(open.length, name.length - close.length).trim();
      break;
    }
  }
  if (name === '') {
    return err({
      code: 'empty',
      detail:
        kind === 'group'
          ? 'Tell me which group, e.g. revoke group "Finance Team".'
          : kind === 'department'
            ? 'Tell me which department, e.g. revoke department "Finance".'
            : 'Tell me which selection, e.g. revoke selection "Disabled contractors".',
    });
  }
  if (codePointLength(name) > MAX_NAME_LENGTH)
    return err({ code: 'too_long', detail: `That ${kind} name is too long (at most ${MAX_NAME_LENGTH} characters).` });
  return ok(name);
}

/** How a bulk source reads in cards: `group “Finance Team”`. */
export function describeBulkSource(source: BulkSource): string {
  if (source.kind === 'department') return `department “${forDisplay(source.name, 80)}”`;
  if (source.kind === 'selection') return `selection “${forDisplay(source.name, 80)}”`;
  if (source.kind === 'where') return `selection “${forDisplay(describeFilter(source.filter), 200)}”`;
  return source.ref.kind === 'objectId' ? `group ${source.ref.id}` : `group “${forDisplay(source.ref.name, 80)}”`;
}
