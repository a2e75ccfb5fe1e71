/**
 * Small, linear-time text helpers shared by the parsers. Nothing here throws for any string,
 * including strings with unpaired surrogates.
 */

/**
 * Invisible characters that Teams, browsers and clipboards put into messages without the agent
 * typing them (zero-width space, word joiner, byte-order mark). Removing them never changes what
 * the agent sees, so the command parser drops them; every other invisible character is refused.
 */
export const FORMATTING_NOISE = /[\u200B\u2060\uFEFF]/g;

/** Characters that reorder how text is displayed (Trojan-Source style spoofing). */
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;

/**
 * Control characters other than whitespace, format characters (zero-width, bidi, soft hyphen…),
 * unpaired surrogates and private-use characters. One character class, so matching is linear.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is what this pattern is for
const UNSAFE_CHARACTER = /[\u0000-\u0008\u000E-\u001F\u007F-\u0084\u0086-\u009F\p{Cf}\p{Cs}\p{Co}]/u;

/** Why a character was judged unsafe, in words for the helpdesk agent. */
export type UnsafeKind = 'bidi' | 'invisible' | 'control' | 'unreadable';

export interface UnsafeCharacter {
  readonly character: string;
  readonly kind: UnsafeKind;
  /** e.g. "U+202E" */
  readonly codePoint: string;
}

/** The first character a person cannot see or that can disguise text, if any. */
export function findUnsafeCharacter(text: string): UnsafeCharacter | undefined {
  const match = UNSAFE_CHARACTER.exec(text);
  if (!match) return undefined;
  const character = match[0];
  const code = character.codePointAt(0) ?? 0;
  let kind: UnsafeKind;
  if (BIDI_CONTROLS.test(character)) kind = 'bidi';
  else if (code >= 0xd800 && code <= 0xdfff) kind = 'unreadable';
  else if (code >= 0xe000 && code <= 0xf8ff) kind = 'unreadable';
  else if (code >= 0xf0000) kind = 'unreadable';
  else if (code < 0xa0) kind = 'control';
  else kind = 'invisible';
  return { character, kind, codePoint: codePointLabel(code) };
}

/** "U+202E" style label for a code point. */
export function codePointLabel(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** A sentence fragment naming an unsafe character. */
export function describeUnsafe(u: UnsafeCharacter): string {
  switch (u.kind) {
    case 'bidi':
      return `an invisible text-direction mark (${u.codePoint}), which can make text look different from what it is`;
    case 'invisible':
      return `an invisible character (${u.codePoint})`;
    case 'control':
      return `a control character (${u.codePoint})`;
    case 'unreadable':
      return `a character that can't be displayed (${u.codePoint})`;
  }
}

/**
 * The first `limit` code points of `text` (never splits a surrogate pair), and whether it was cut.
 * Stops reading at the limit, so a 100 kB string costs no more than a short one.
 */
export function takeCodePoints(text: string, limit: number): { text: string; truncated: boolean } {
  let index = 0;
  let count = 0;
  while (index < text.length && count < limit) {
    const code = text.codePointAt(index) ?? 0;
    index += code > 0xffff ? 2 : 1;
    count += 1;
  }
  return { text: text.slice(0, index), truncated: index < text.length };
}

/** Number of code points, for messages ("is 300 characters long"). */
export function codePointLength(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    // Count a high surrogate followed by a low one once.
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i += 1;
    }
    count += 1;
  }
  return count;
}

/**
 * Text that is safe to echo back to the agent inside a sentence: unsafe characters become U+FFFD,
 * whitespace runs become one space, and it is cut to `limit` code points with an ellipsis.
 * (The bot layer still escapes markdown; this only makes sure what is shown is what was typed.)
 */
export function forDisplay(text: string, limit = 60): string {
  const { text: head, truncated } = takeCodePoints(text, limit);
  const cleaned = head.replace(new RegExp(UNSAFE_CHARACTER.source, 'gu'), '\uFFFD').replace(/\s+/gu, ' ').trim();
  return truncated ? `${cleaned}…` : cleaned;
}

/** Collapses every whitespace run (including NBSP, U+3000 and line separators) to one space and trims. */
export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/gu, ' ').trim();
}

/**
 * `text` without any of `characters` at its end. A loop, not `/[…]+$/`: an unanchored regex like
 * that retries from every position of a long punctuation run and turns quadratic.
 */
export function trimTrailing(text: string, characters: string): string {
  let end = text.length;
  while (end > 0 && characters.includes(text.charAt(end - 1))) end -= 1;
  return text.slice(0, end);
}

/** `text` without any of `characters` at its start. */
export function trimLeading(text: string, characters: string): string {
  let start = 0;
  while (start < text.length && characters.includes(text.charAt(start))) start += 1;
  return text.slice(start);
}
