/**
 * A small deterministic generator of hostile strings for property-style tests: same seed, same
 * strings, so a failure names its seed and case and can be replayed.
 */

/** mulberry32: a tiny seeded PRNG, good enough to spread test inputs. */
export function randomSource(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class RandomText {
  private readonly next: () => number;

  constructor(readonly seed: number) {
    this.next = randomSource(seed);
  }

  int(minInclusive: number, maxInclusive: number): number {
    return minInclusive + Math.floor(this.next() * (maxInclusive - minInclusive + 1));
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(0, items.length - 1)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** One character (or unpaired surrogate) from a mix of pools chosen to stress parsers and encoders. */
  character(): string {
    switch (this.int(0, 9)) {
      case 0:
        return String.fromCharCode(this.int(0x20, 0x7e)); // printable ASCII
      case 1:
        return this.pick(Array.from(`#?/%'"\\ &=+$@;:,()[]{}<>*!^~.\`|`));
      case 2:
        return String.fromCharCode(this.int(0, 0x1f)); // C0 controls
      case 3:
        return this.pick([
          '\u200B',
          '\u200C',
          '\u200D',
          '\u2060',
          '\uFEFF',
          '\u00AD',
          '\u202E',
          '\u202A',
          '\u2066',
          '\u2069',
          '\u061C',
          '\u200E',
        ]);
      case 4:
        return String.fromCharCode(this.int(0xd800, 0xdfff)); // unpaired surrogate
      case 5:
        return String.fromCodePoint(this.int(0x1f300, 0x1faff)); // emoji (astral)
      case 6:
        return String.fromCodePoint(this.int(0x00c0, 0x024f)); // Latin with diacritics
      case 7:
        return String.fromCodePoint(this.pick([this.int(0x4e00, 0x9fff), this.int(0x0600, 0x06ff), this.int(0x0900, 0x097f)]));
      case 8:
        return this.pick([' ', '\u00A0', '\t', '\n', '\r', '\u3000', '\u2028']);
      default:
        return this.pick(['a', 'B', '0', '9', '-', '_', '.', '~', 'e', 'F']);
    }
  }

  string(maxLength: number): string {
    const length = this.int(0, maxLength);
    let out = '';
    for (let i = 0; i < length; i += 1) out += this.character();
    return out;
  }

  /** Fragments of Teams-like HTML and command words glued together at random. */
  markup(pieces: number): string {
    const fragments = [
      'revoke',
      'REVOKE',
      ' ',
      'whoami',
      'who am i',
      'help',
      '?',
      '/',
      '<p>',
      '</p>',
      '<div>',
      '<br>',
      '<br/>',
      '<at>',
      '</at>',
      '<at id="0">',
      '&nbsp;',
      '&amp;',
      '&lt;',
      '&#39;',
      '&#x27;',
      '&#0;',
      '&#xD800;',
      '&bogus;',
      '&',
      '<',
      '>',
      '"',
      '“',
      '”',
      '@',
      'adele@contoso.com',
      '62e90394-69f5-4237-9190-012177145e10',
      'Adele Vance',
      '#EXT#',
      '$',
      "'",
      'group',
      'me',
      '\u200B',
      '\u202E',
      '\uFFFF',
      '.',
      '\n',
    ];
    let out = '';
    for (let i = 0; i < pieces; i += 1) out += this.next() < 0.8 ? this.pick(fragments) : this.character();
    return out;
  }
}
