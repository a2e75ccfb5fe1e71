/**
 * The bulk forms of `revoke`: `revoke group "Finance Team"`, `revoke group <object id>` and
 * `revoke department "HP"`. The name is checked like any typed text (no invisible, bidi or
 * control characters, at most 256 characters); it only ever reaches Graph as an OData string
 * literal built by src/domain/odata.ts.
 */
import { err, ok, type Result } from './result';
import { isObjectId, type TargetInputProblem } from './targetReference';
import { codePointLength, collapseWhitespace, describeUnsafe, findUnsafeCharacter, forDisplay, trimTrailing } from './text';

export type BulkSource =
  | {
      readonly kind: 'group';
      readonly ref: { readonly kind: 'objectId'; readonly id: string } | { readonly kind: 'displayName'; readonly name: string };
    }
  | { readonly kind: 'department'; readonly name: string };

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
export function bulkKind(word: string): 'group' | 'department' | undefined {
  if (word === 'group' || word === 'groups') return 'group';
  if (word === 'department' || word === 'dept') return 'department';
  return undefined;
}

/** Parses what follows `revoke group` / `revoke department`. */
export function parseBulkSource(kind: 'group' | 'department', text: string): Result<BulkSource, TargetInputProblem> {
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
          : 'Tell me which department, e.g. revoke department "Finance".',
    });
  }
  if (codePointLength(name) > MAX_NAME_LENGTH)
    return err({ code: 'too_long', detail: `That ${kind} name is too long (at most ${MAX_NAME_LENGTH} characters).` });
  if (kind === 'department') return ok({ kind: 'department', name });
  if (isObjectId(name)) return ok({ kind: 'group', ref: { kind: 'objectId', id: name.toLowerCase() } });
  return ok({ kind: 'group', ref: { kind: 'displayName', name } });
}

/** How a bulk source reads in cards: `group “Finance Team”`. */
export function describeBulkSource(source: BulkSource): string {
  if (source.kind === 'department') return `department “${forDisplay(source.name, 80)}”`;
  return source.ref.kind === 'objectId' ? `group ${source.ref.id}` : `group “${forDisplay(source.ref.name, 80)}”`;
}
