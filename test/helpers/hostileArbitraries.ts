/**
 * fast-check arbitraries for hostile input: unicode of every plane, control characters,
 * bidirectional marks, HTML and Teams markup, OData and URL metacharacters, and very long
 * strings. Shared by the parser properties and the end-to-end fuzz tests; runs use fixed
 * seeds, so a failure names its seed and path and replays exactly.
 */
import fc from 'fast-check';

/** Characters chosen to break parsers, encoders and filters. */
const NASTY_CHARACTERS = [
  ...Array.from(`#?/\\%'"&=+$@;:,()[]{}<>*!^~.\`| -_`),
  '\u0000',
  '\u0007',
  '\u0008',
  '\u001b',
  '\u007f',
  '\t',
  '\n',
  '\r',
  '\u0085',
  '\u200B',
  '\u200C',
  '\u200D',
  '\u2060',
  '\uFEFF',
  '\u00AD',
  '\u00A0',
  '\u3000',
  '\u2028',
  '\u2029',
  '\u202A',
  '\u202B',
  '\u202C',
  '\u202D',
  '\u202E',
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
  '\u061C',
  '\u200E',
  '\u200F',
  '\uD800',
  '\uDFFF',
  '\uFFFD',
  '\uFFFF',
  '\uE000',
  'İ',
  'ı',
  'ß',
  'Å',
  'é',
  'ﬁ',
  '𝔄',
  '😀',
  '👩‍💻',
  'ا',
  'ש',
  '中',
];

/** Fragments that look like Teams HTML, entities, commands, UPNs, ids, OData and URL syntax. */
const FRAGMENTS = [
  'revoke ',
  'REVOKE ',
  'Revoke',
  'whoami',
  'who am i',
  'help',
  '?',
  '/',
  ' ',
  '  ',
  '<p>',
  '</p>',
  '<div>',
  '</div>',
  '<br>',
  '<br/>',
  '<at>',
  '</at>',
  '<at id="0">',
  '<at id="1">',
  '<script>',
  '</script>',
  '<img src=x onerror=alert(1)>',
  '&nbsp;',
  '&amp;',
  '&lt;',
  '&gt;',
  '&#39;',
  '&#x27;',
  '&#0;',
  '&#xD800;',
  '&#x202E;',
  '&bogus;',
  '&',
  'adele@contoso.onmicrosoft.com',
  'gina_fabrikam.com#EXT#@contoso.onmicrosoft.com',
  '$svc-backup@contoso.onmicrosoft.com',
  '6e7b768e-07e2-4810-8459-485f84f8f204',
  '{6e7b768e-07e2-4810-8459-485f84f8f204}',
  'Adele Vance',
  "Liam O'Brien",
  'Megan',
  "' or 1 eq 1 or '",
  "')",
  "'",
  "''",
  ' eq ',
  ' or ',
  '$filter=',
  '$select=*',
  '$top=999',
  'startswith(',
  ')',
  '%27',
  '%23',
  '%2F',
  '%00',
  '%',
  '../',
  '..',
  '/../users',
  '?$expand=*',
  '#',
  '@',
  '$',
  '\\u0027',
  '"',
  'group',
  'all',
  'me',
  'myself',
  '\u202E',
  '\u200B',
  '\uFFFF',
  '.',
  '\n',
  '\t',
];

/** One hostile character. */
export const nastyCharacter = fc.constantFrom(...NASTY_CHARACTERS);

/** Text from any mix of: any unicode (with unpaired surrogates), hostile characters, markup fragments. */
export function hostileText(maxPieces = 40): fc.Arbitrary<string> {
  const piece = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...FRAGMENTS) },
    { weight: 3, arbitrary: nastyCharacter },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
    { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 4 }) },
  );
  return fc.array(piece, { maxLength: maxPieces }).map((parts) => parts.join(''));
}

/** Sign-in names that pass the UPN rules yet carry every character that needs escaping in a URL or OData (' # $ ! ^ ~ and guests' #EXT#). */
export const awkwardUpn: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('', '$'),
    fc.string({ unit: fc.constantFrom(...Array.from(`abcXYZ019'._-!#^~`)), minLength: 1, maxLength: 20 }),
    fc.constantFrom('', '_fabrikam.com#EXT#'),
    fc.constantFrom('contoso.onmicrosoft.com', 'contoso.com', 'x-y.example'),
  )
  .map(([dollar, local, guest, domain]) => `${dollar}${local}${guest}@${domain}`);

/** Display-name searches in many scripts, with apostrophes (OData's quote) and commas. */
export const awkwardName: fc.Arbitrary<string> = fc.string({
  unit: fc.constantFrom(...Array.from(`aZé'’-., ßİıшя中ا`)),
  minLength: 1,
  maxLength: 30,
});

/** A command-shaped message: mostly `revoke <hostile target>`, sometimes anything at all. */
export function hostileCommand(maxPieces = 30): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.constantFrom('revoke ', 'Revoke ', '/revoke ', '<p>revoke ', 'revoke\u00A0'), hostileText(maxPieces))
        .map(([verb, rest]) => verb + rest),
    },
    { weight: 2, arbitrary: fc.oneof(awkwardUpn, awkwardName).map((target) => `revoke ${target}`) },
    { weight: 1, arbitrary: hostileText(maxPieces) },
  );
}

/** The makings of a huge hostile text: an optional command word and a hostile chunk to repeat. */
export const hugeTextParts: fc.Arbitrary<readonly [string, string]> = fc.tuple(
  fc.constantFrom('', 'revoke ', 'revoke <at>', 'whoami '),
  hostileText(12).filter((s) => s.length > 0),
);

/** The command word, then the chunk repeated to `size` characters. */
export function hugeTextOf([prefix, chunk]: readonly [string, string], size: number): string {
  return prefix + chunk.repeat(Math.ceil(size / chunk.length)).slice(0, size);
}

/** About 100 kB of hostile text: a repeated hostile chunk, optionally after a command word. */
export const hugeText: fc.Arbitrary<string> = hugeTextParts.map((parts) => hugeTextOf(parts, 100_000));
