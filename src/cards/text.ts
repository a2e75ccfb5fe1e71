/**
 * Turns data (names, job titles, error messages — anything a person or Graph controls) into text a
 * card shows literally, and ISO times into Adaptive Card date/time functions.
 *
 * Two sinks, two helpers:
 * - {@link markdownText} for TextBlock.text and Fact title/value, which Teams renders as markdown
 *   and scans for `{{DATE(…)}}` / `{{TIME(…)}}`.
 * - {@link plainText} for action titles and fallbackText, which are never markdown.
 */

/** C0/C1 control characters (newlines included): a newline in a name could start a markdown list. */
// eslint-disable-next-line no-control-regex -- finding control characters is what this pattern is for
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]+/g;
/** Bidi embeddings, overrides and isolates: they let a name display reversed or out of order. */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;
/** A backslash that would escape what follows it (ASCII punctuation, or whatever the template puts next). */
const ACTIVE_BACKSLASH = /\\(?=[!-/:-@[-`{-~]|$)/g;
/** Always escaped: emphasis, code, strike-through, links/images, HTML/autolinks, the `{{` of DATE/TIME. */
const ALWAYS_ESCAPED = /[`*~[\]<{]/g;
/** An underscore that is not between two letters/digits can open or close emphasis (snake_case in a UPN cannot). */
const EMPHASIS_UNDERSCORE = /(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu;
/** `&name;` / `&#123;` would be read as a character reference; a lone `&` (R&D) is literal anyway. */
const CHARACTER_REFERENCE = /&(?=#?[\p{L}\p{N}]+;)/gu;
/** `scheme://` is what hosts turn into a clickable link. */
const URL_SCHEME = /:\/\//g;
/** The dot before a TLD-like run of letters: hosts that auto-link bare domains (evil.com, www.x.org) stop seeing one. */
const DOMAIN_DOT = /(?<=[\p{L}\p{N}])\.(?=\p{L}{2})/gu;
/** At the very start, these begin a list item, a heading or a block quote. */
const LEADING_BLOCK_MARKER = /^(\s*)([-+#>]|\d+(?=[.)]))/u;

/** Removes control and bidi-override characters and trims; what is left is what a reader should see. */
export function plainText(value: string): string {
  return value.replace(CONTROL_CHARACTERS, ' ').replace(BIDI_CONTROLS, '').trim();
}

/**
 * Escapes `value` so that a TextBlock (or Fact) shows it literally: no bold/italic, no link, no
 * list, no HTML, no `{{DATE()}}` expansion, no auto-linked bare domain. Uses CommonMark backslash
 * escapes, and only where the character could mean something, so ordinary names (Anne-Marie,
 * R&D, snake_case) stay free of backslashes on clients with weaker markdown support.
 */
export function markdownText(value: string): string {
  return escapeMarkdown(value).replace(DOMAIN_DOT, '\\.');
}

/**
 * Like {@link markdownText} but leaves domain dots alone: for user principal names and ids, which
 * Entra restricts to letters, digits and `.-_!#^~'@`. Keeping `contoso.com` unescaped means a
 * client with weak escape support never shows `contoso\.com`; the worst a host does with a UPN
 * is link it as a mail address, which is the UPN itself.
 */
export function markdownIdentifier(value: string): string {
  return escapeMarkdown(value);
}

function escapeMarkdown(value: string): string {
  const escaped = plainText(value)
    .replace(ACTIVE_BACKSLASH, '\\\\')
    .replace(ALWAYS_ESCAPED, (c) => `\\${c}`)
    .replace(EMPHASIS_UNDERSCORE, '\\_')
    .replace(CHARACTER_REFERENCE, '\\&')
    .replace(URL_SCHEME, '\\://');
  return escaped.replace(LEADING_BLOCK_MARKER, (_match, space: string, marker: string) =>
    /^\d/.test(marker) ? `${space}${marker}\\` : `${space}\\${marker}`,
  );
}

/** Shortens `value` to at most `maxChars` characters, ending with an ellipsis when cut. */
export function shorten(value: string, maxChars: number): string {
  const chars = Array.from(value);
  return chars.length <= maxChars
    ? value
    : `${chars
        .slice(0, Math.max(0, maxChars - 1))
        .join('')
        .trimEnd()}…`;
}

/**
 * The form Adaptive Card date/time functions accept: `YYYY-MM-DDTHH:MM:SSZ`. They reject
 * fractional seconds (which `Date.toISOString()` always writes) and then show the raw
 * `{{DATE(…)}}` text, so every time goes through here. Undefined for a missing or unreadable time.
 */
export function cardDateTime(iso: string | undefined): string | undefined {
  if (iso === undefined || iso.trim() === '') return undefined;
  const millis = Date.parse(iso);
  if (Number.isNaN(millis)) return undefined;
  return new Date(Math.floor(millis / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** `{{DATE(…, SHORT)}} {{TIME(…)}}` — shown in the reader's own time zone — or `fallback`. */
export function localDateAndTime(iso: string | undefined, fallback: string): string {
  const at = cardDateTime(iso);
  return at === undefined ? fallback : `{{DATE(${at}, SHORT)}} {{TIME(${at})}}`;
}

/** `{{TIME(…)}}` — shown in the reader's own time zone — or `fallback`. */
export function localTime(iso: string | undefined, fallback: string): string {
  const at = cardDateTime(iso);
  return at === undefined ? fallback : `{{TIME(${at})}}`;
}

/** "A", "A or B", "A, B or C" (and likewise with "and"). */
export function listText(items: readonly string[], conjunction: 'or' | 'and'): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1] ?? ''}`;
}
