/**
 * The `audit` command's arguments: `audit [export [csv|jsonl]] [N] [for|by <person>]`.
 *
 * - `audit` → the last 10 actions as a card; `audit 25` → the last 25 (at most 50, what a card holds).
 * - `audit for adele@contoso.com` → actions about that person (the target);
 *   `audit by uma@contoso.com` → actions that person took (the actor). The person is any form
 *   `revoke` accepts: UPN, object id, @mention, `me`, or a display name.
 * - `audit export` → CSV, `audit export jsonl` (or json, ndjson) → JSON Lines, posted inline for up
 *   to 50 records (`npm run audit:export` has no limit).
 * Pure and total: never throws; anything it does not understand is a typed refusal.
 */
import { parseTarget, type MentionedPerson, type TargetInputProblem, type TargetReference } from './targetReference';
import { forDisplay, trimTrailing } from './text';

export type AuditExportFormat = 'csv' | 'jsonl';

export interface AuditQuery {
  readonly mode: 'list' | 'export';
  /** Export only: CSV (default) or JSON Lines. */
  readonly format?: AuditExportFormat;
  /** How many of the newest matching records (1 … {@link MAX_AUDIT_ROWS}). */
  readonly limit: number;
  /** The number asked for was larger than the limit allowed. */
  readonly clamped?: boolean;
  /** Whose records: the person they are about (`for`) or the person who acted (`by`). */
  readonly subject?: { readonly role: 'target' | 'actor'; readonly who: TargetReference };
}

export type AuditArguments =
  | { readonly ok: true; readonly query: AuditQuery }
  /** Words the command does not take (shown back, truncated and made visible). */
  | { readonly ok: false; readonly unrecognised: string }
  | { readonly ok: false; readonly problem: TargetInputProblem };

export const DEFAULT_AUDIT_ROWS = 10;
/** The most records one card or one inline export holds (a Teams message stays well under its ~28 KB limit). */
export const MAX_AUDIT_ROWS = 50;

const FORMATS: Readonly<Record<string, AuditExportFormat>> = { csv: 'csv', jsonl: 'jsonl', json: 'jsonl', ndjson: 'jsonl' };

/**
 * Parses what follows the word `audit`. `text` is plain text with each mention replaced by a space
 * (the mentions, in order, are in `mentions`).
 */
export function parseAuditArguments(text: string, mentions: readonly MentionedPerson[]): AuditArguments {
  const words = (typeof text === 'string' ? text : '').trim();
  let rest = words;
  let mode: AuditQuery['mode'] = 'list';
  let format: AuditExportFormat | undefined;
  let limit: number | undefined;
  let clamped = false;

  const next = (): string => {
    const space = rest.indexOf(' ');
    return trimTrailing((space === -1 ? rest : rest.slice(0, space)).toLowerCase(), '.!?:,;');
  };
  const consume = (): void => {
    const space = rest.indexOf(' ');
    rest = space === -1 ? '' : rest.slice(space + 1).trimStart();
  };

  if (next() === 'export') {
    mode = 'export';
    consume();
    const asked = FORMATS[next()];
    if (asked) {
      format = asked;
      consume();
    } else format = 'csv';
  }
  const count = next();
  if (/^\d{1,9}$/.test(count)) {
    const asked = Number(count);
    if (asked < 1) return { ok: false, unrecognised: `audit ${count}` };
    limit = Math.min(asked, MAX_AUDIT_ROWS);
    clamped = asked > MAX_AUDIT_ROWS;
    consume();
  }
  const preposition = next();
  let subject: AuditQuery['subject'];
  if (preposition === 'for' || preposition === 'by') {
    consume();
    const parsed = parseTarget(rest, mentions);
    if (!parsed.ok) return { ok: false, problem: parsed.error };
    subject = { role: preposition === 'for' ? 'target' : 'actor', who: parsed.value };
    rest = '';
  }
  if (rest !== '' || (mentions.length > 0 && subject === undefined)) {
    return { ok: false, unrecognised: `audit ${forDisplay(rest || '@…', 30)}` };
  }
  return {
    ok: true,
    query: {
      mode,
      ...(format ? { format } : {}),
      limit: limit ?? (mode === 'export' ? MAX_AUDIT_ROWS : DEFAULT_AUDIT_ROWS),
      ...(clamped ? { clamped } : {}),
      ...(subject ? { subject } : {}),
    },
  };
}
