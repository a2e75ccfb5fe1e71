/**
 * What the helpdesk agent typed as the person whose sessions to revoke, checked and classified.
 * This module only judges text; it never builds a URL or an OData filter (see odata.ts).
 */
import { err, ok, type Result } from './result';
import { collapseWhitespace, codePointLength, describeUnsafe, findUnsafeCharacter, forDisplay, trimLeading, trimTrailing } from './text';

/** A validated reference to the person to revoke; the app layer resolves it to a directory user. */
export type TargetReference =
  /** A Teams @mention (29:… id), resolved later through the Teams connector roster. */
  | { kind: 'mention'; teamsId: string; name: string }
  /** A sign-in name; mail-like input lands here too. */
  | { kind: 'userPrincipalName'; upn: string }
  /** An Entra object id, lower-cased. */
  | { kind: 'objectId'; id: string }
  /** Free text for a display-name prefix search. */
  | { kind: 'displayName'; text: string }
  /** `revoke me`: the requester themself. */
  | { kind: 'self' };

export type TargetInputProblemCode = 'empty' | 'too_long' | 'bad_characters' | 'bad_upn' | 'bad_object_id' | 'too_many_targets';

/** Why the typed target was refused, with words a helpdesk agent understands. */
export interface TargetInputProblem {
  code: TargetInputProblemCode;
  /** A complete sentence or two, safe to show (typed text is echoed only through forDisplay). */
  detail: string;
}

/** A mention as the bot layer hands it over (the bot's own mention already removed). */
export interface MentionedPerson {
  teamsId: string;
  name: string;
}

/** Entra's display-name limit, and the longest target text we accept at all. */
export const MAX_TARGET_LENGTH = 256;
/** Entra's UPN limits: https://learn.microsoft.com/entra/identity/authentication/concept-sspr-policy ("Username policies"). */
export const MAX_UPN_LENGTH = 113;
export const MAX_UPN_LOCAL_PART_LENGTH = 64;
export const MAX_UPN_DOMAIN_LENGTH = 48;

/** Beyond this many UTF-16 units we do not even normalise the text. */
const HARD_INPUT_LIMIT = 4096;

const SELF_WORDS = new Set(['me', 'myself', 'my sessions', 'my session', 'my own sessions']);

/** Pairs of quotes or brackets an agent may wrap a name in. */
const WRAPPERS: readonly (readonly [string, string])[] = [
  ['"', '"'],
  ["'", "'"],
  ['\u201C', '\u201D'], // “ ”
  ['\u201D', '\u201D'], // ” ” (some keyboards)
  ['\u201E', '\u201C'], // „ “
  ['\u2018', '\u2019'], // ‘ ’
  ['\u00AB', '\u00BB'], // « »
  ['\u00BB', '\u00AB'], // » «
  ['<', '>'],
];

const TRAILING_PUNCTUATION = '.!?,;:\u2026\u3002';

/** Characters a UPN local part may hold (Entra "Username policies"); '$' only as the first one. */
const UPN_LOCAL_CHARS = /^[A-Za-z0-9'.\-_!#^~]+$/;
const UPN_LOCAL_CHAR = /[A-Za-z0-9'.\-_!#^~]/;
const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

const GUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;
/** Only hex digits, hyphens and brackets: the agent meant an object id (if it also has a digit). */
const GUID_ALPHABET = /^[{(]?[0-9A-Fa-f-]+[})]?$/;

/** Letters of any script, combining marks, digits, spaces and . ' ’ - , */
const DISPLAY_NAME_CHARS = /^[\p{L}\p{M}\p{Nd} .'\u2019\-,]+$/u;
const DISPLAY_NAME_CHAR = /[\p{L}\p{M}\p{Nd} .'\u2019\-,]/u;
const HAS_LETTER_OR_DIGIT = /[\p{L}\p{Nd}]/u;

const EXAMPLES = 'an @mention, a sign-in name like adele@contoso.com, an object id, or a display name';

/**
 * Validates and classifies the target text of a `revoke` command.
 *
 * @param text what the agent typed after the verb, with every @mention cut out by the caller
 * @param mentions the mentions that stood in that place, in order (the bot's own excluded)
 *
 * The text is NFC-normalised, its whitespace collapsed and trimmed, a surrounding pair of quotes
 * (straight, curly, «») or angle brackets and trailing punctuation removed. One mention and no
 * other text gives a mention; a mention plus any other text, or two identifiers, is
 * `too_many_targets` (one person per command; bulk revocation will be its own command).
 * Invisible, bidi and control characters are refused rather than silently dropped.
 */
export function parseTarget(text: string, mentions: readonly MentionedPerson[]): Result<TargetReference, TargetInputProblem> {
  const safeText = typeof text === 'string' ? text : '';
  const people: readonly MentionedPerson[] = Array.isArray(mentions) ? mentions : [];

  if (people.length > 1) {
    const names = people.slice(0, 3).map((m) => forDisplay(m.name, 40));
    return err({
      code: 'too_many_targets',
      detail:
        `You mentioned ${people.length} people (${names.join(', ')}${people.length > 3 ? ', …' : ''}). ` +
        'I revoke one person per command: send one command for each.',
    });
  }
  if (safeText.length > HARD_INPUT_LIMIT) return err(tooLong(codePointLength(safeText)));

  const unsafe = findUnsafeCharacter(safeText);
  if (unsafe) {
    return err({
      code: 'bad_characters',
      detail: `What you typed contains ${describeUnsafe(unsafe)}. Please retype the name without it.`,
    });
  }

  const cleaned = tidy(safeText.normalize('NFC'));
  const mention = people[0];
  if (mention) {
    const name = forDisplay(mention.name, 60) || 'someone';
    if (cleaned !== '') {
      return err({
        code: 'too_many_targets',
        detail:
          `You mentioned ${name} and also typed “${forDisplay(cleaned)}”. ` +
          `I revoke one person per command: send just the mention, e.g. revoke @${name}.`,
      });
    }
    return checkMention(mention);
  }

  if (cleaned === '') return err({ code: 'empty', detail: `Tell me whose sessions to revoke: ${EXAMPLES}.` });
  const length = codePointLength(cleaned);
  if (length > MAX_TARGET_LENGTH) return err(tooLong(length));

  if (SELF_WORDS.has(cleaned.toLowerCase())) return ok({ kind: 'self' });

  const several = checkForSeveralTargets(cleaned);
  if (several) return err(several);

  if (cleaned.includes('@')) return parseUserPrincipalName(stripMailto(cleaned));
  if (looksLikeObjectId(cleaned)) return parseObjectId(cleaned);
  return parseDisplayName(cleaned);
}

/**
 * Whether `upn` is a user principal name Entra could hold: `local@domain`, local part of
 * A–Z a–z 0–9 ' . - _ ! # ^ ~ (optionally starting with `$`), no leading, trailing or doubled dot,
 * ≤ 64 characters; domain a DNS name with at least two labels, ≤ 48 characters; whole ≤ 113.
 * Guest UPNs (`adele_fabrikam.com#EXT#@contoso.onmicrosoft.com`) are valid.
 */
export function isValidUserPrincipalName(upn: string): boolean {
  return typeof upn === 'string' && userPrincipalNameFault(upn) === undefined;
}

/** Whether `id` is a GUID in 8-4-4-4-12 form (any case, no braces). */
export function isObjectId(id: string): boolean {
  return typeof id === 'string' && GUID.test(id);
}

/**
 * Why `upn` is not a valid UPN, as the end of the sentence "… is not a valid sign-in name: ___",
 * or undefined when it is valid.
 */
export function userPrincipalNameFault(upn: string): string | undefined {
  const atSigns = countOf(upn, '@');
  if (atSigns === 0) return 'it has no @ sign';
  if (atSigns > 1) return atSigns === 2 ? 'it has two @ signs' : `it has ${atSigns} @ signs`;
  if (upn.length > MAX_UPN_LENGTH) return `it is ${upn.length} characters long, and sign-in names have at most ${MAX_UPN_LENGTH}`;
  const at = upn.indexOf('@');
  const local = upn.slice(0, at);
  const domain = upn.slice(at + 1);

  if (local === '' || local === '$') return 'nothing comes before the @';
  if (local.length > MAX_UPN_LOCAL_PART_LENGTH) {
    return `the part before the @ is ${local.length} characters long, and may be at most ${MAX_UPN_LOCAL_PART_LENGTH}`;
  }
  const body = local.startsWith('$') ? local.slice(1) : local;
  if (!UPN_LOCAL_CHARS.test(body)) {
    const bad = firstCharacterNotMatching(body, UPN_LOCAL_CHAR);
    return `${bad === ' ' ? 'it contains a space' : `it contains “${forDisplay(bad ?? '?', 1)}”`}, and before the @ only letters A–Z, digits and ' . - _ ! # ^ ~ are allowed`;
  }
  if (body.startsWith('.')) return 'the part before the @ starts with a dot';
  if (body.endsWith('.')) return 'it has a dot right before the @';
  if (body.includes('..')) return 'it has two dots in a row';

  if (domain === '') return 'nothing comes after the @';
  if (domain.length > MAX_UPN_DOMAIN_LENGTH) {
    return `the domain after the @ is ${domain.length} characters long, and may be at most ${MAX_UPN_DOMAIN_LENGTH}`;
  }
  const labels = domain.split('.');
  if (labels.length < 2) return `the part after the @ must be a domain such as contoso.com`;
  for (const label of labels) {
    if (label === '') return 'the domain after the @ has an empty part (two dots in a row, or a dot at an end)';
    if (!DNS_LABEL.test(label)) {
      if (label.startsWith('-') || label.endsWith('-')) return `the domain part “${forDisplay(label, 63)}” starts or ends with a hyphen`;
      return 'the domain after the @ may only contain letters A–Z, digits, hyphens and dots';
    }
  }
  return undefined;
}

function parseUserPrincipalName(text: string): Result<TargetReference, TargetInputProblem> {
  if (text.startsWith('@') && countOf(text, '@') === 1 && !text.includes('.')) {
    return err({
      code: 'bad_upn',
      detail:
        `“${forDisplay(text)}” looks like a mention that Teams did not turn into one. ` +
        'Pick the person from the list Teams shows when you type @, or type their sign-in name (adele@contoso.com).',
    });
  }
  const fault = userPrincipalNameFault(text);
  if (fault) return err({ code: 'bad_upn', detail: `“${forDisplay(text)}” is not a valid sign-in name: ${fault}.` });
  return ok({ kind: 'userPrincipalName', upn: text });
}

function parseObjectId(text: string): Result<TargetReference, TargetInputProblem> {
  const shown = forDisplay(text);
  if (/^[{(]/.test(text) || /[})]$/.test(text)) {
    const inner = text.replace(/^[{(]/, '').replace(/[})]$/, '');
    return err({
      code: 'bad_object_id',
      detail: `“${shown}” has brackets around it. Type the object id without them${GUID.test(inner) ? `: ${inner.toLowerCase()}` : ''}.`,
    });
  }
  if (!GUID.test(text)) {
    return err({
      code: 'bad_object_id',
      detail:
        `“${shown}” is not a valid object id: an object id has 32 hexadecimal digits in groups of 8-4-4-4-12, ` +
        'like 62e90394-69f5-4237-9190-012177145e10.',
    });
  }
  return ok({ kind: 'objectId', id: text.toLowerCase() });
}

function parseDisplayName(text: string): Result<TargetReference, TargetInputProblem> {
  if (!DISPLAY_NAME_CHARS.test(text)) {
    const bad = firstCharacterNotMatching(text, DISPLAY_NAME_CHAR) ?? '?';
    return err({
      code: 'bad_characters',
      detail:
        `I can't search for “${forDisplay(text)}”: it contains “${forDisplay(bad, 1)}”. ` +
        "A name may contain letters, digits, spaces and . ' - , only. You can also use a sign-in name or an object id.",
    });
  }
  if (!HAS_LETTER_OR_DIGIT.test(text)) {
    return err({ code: 'bad_characters', detail: `“${forDisplay(text)}” has no letters to search for.` });
  }
  return ok({ kind: 'displayName', text });
}

function checkMention(mention: MentionedPerson): Result<TargetReference, TargetInputProblem> {
  const teamsId = typeof mention.teamsId === 'string' ? mention.teamsId : '';
  const rawName = typeof mention.name === 'string' ? mention.name : '';
  // The id comes from Teams, not the agent; still refuse anything that is not a plausible MRI.
  if (teamsId === '' || teamsId.length > 256 || !/^[\x21-\x7E]+$/.test(teamsId)) {
    return err({
      code: 'bad_characters',
      detail: 'I could not read that mention. Mention the person again, or type their sign-in name.',
    });
  }
  return ok({ kind: 'mention', teamsId, name: collapseWhitespace(rawName.normalize('NFC')) });
}

/** Several identifiers (UPNs, object ids) in one text, or one identifier plus other words. */
function checkForSeveralTargets(text: string): TargetInputProblem | undefined {
  const tokens = text.split(/[\s,;]+/u).filter((t) => t !== '');
  if (tokens.length < 2) return undefined;
  const identifiers = tokens.filter((t) => t.includes('@') || looksLikeObjectId(t));
  if (identifiers.length >= 2) {
    return {
      code: 'too_many_targets',
      detail:
        `You named ${identifiers.length} people (${identifiers
          .slice(0, 3)
          .map((t) => forDisplay(t, 40))
          .join(', ')}` + `${identifiers.length > 3 ? ', …' : ''}). I revoke one person per command: send one command for each.`,
    };
  }
  const only = identifiers[0];
  if (only === undefined) return undefined;
  const isUpn = only.includes('@');
  return {
    code: isUpn ? 'bad_upn' : 'bad_object_id',
    detail:
      `“${forDisplay(text)}” is not one ${isUpn ? 'sign-in name' : 'object id'}: it has other words around it. ` +
      `Type just the ${isUpn ? 'sign-in name' : 'object id'}, e.g. revoke ${forDisplay(trimTrailing(trimLeading(only, `("'<`), `)"'>`), 80)}.`,
  };
}

function looksLikeObjectId(text: string): boolean {
  const bare = text.replace(/^[{(]/, '').replace(/[})]$/, '');
  return bare.length >= 8 && GUID_ALPHABET.test(text) && /[0-9]/.test(bare);
}

/** Collapse whitespace, then peel trailing punctuation and one pair of wrapping quotes. */
function tidy(text: string): string {
  let s = collapseWhitespace(text);
  s = trimTrailing(s, TRAILING_PUNCTUATION).trimEnd();
  for (const [open, close] of WRAPPERS) {
    if (s.length >= 2 && s.startsWith(open) && s.endsWith(close)) {
      s = collapseWhitespace(s.slice(open.length, s.length - close.length));
      s = trimTrailing(s, TRAILING_PUNCTUATION).trimEnd();
      break;
    }
  }
  return s;
}

function stripMailto(text: string): string {
  return /^mailto:/i.test(text) ? text.slice('mailto:'.length) : text;
}

function countOf(text: string, character: string): number {
  let count = 0;
  for (let i = text.indexOf(character); i !== -1; i = text.indexOf(character, i + 1)) count += 1;
  return count;
}

function firstCharacterNotMatching(text: string, allowed: RegExp): string | undefined {
  for (const character of text) if (!allowed.test(character)) return character;
  return undefined;
}

function tooLong(length: number): TargetInputProblem {
  return {
    code: 'too_long',
    detail: `That is ${length} characters long. A name or sign-in name has at most ${MAX_TARGET_LENGTH}.`,
  };
}
