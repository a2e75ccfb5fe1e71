/**
 * Credential-shaped text: JSON Web Tokens, `Bearer`/`Basic` credentials, PEM private keys and
 * Entra client secrets. One definition of each shape, shared by the storage guard (which refuses
 * them in the fields that can carry credentials) and the logger (which masks them everywhere).
 *
 * Every scan is a single left-to-right pass: the cursor only moves forward, each candidate looks
 * ahead a bounded number of characters or over a run the cursor then skips. So the work is linear
 * in the length of the text, whatever it holds; the regular expressions these replace took
 * quadratic time on text like `eyJeyJeyJ…` (a minute for 250,000 characters). Each scan counts the
 * characters it reads in an optional {@link ScanMeter}, so tests can prove that bound on hostile
 * input by counting instead of timing.
 */

export type CredentialKind = 'jwt' | 'bearer_credential' | 'private_key' | 'client_secret';

export interface CredentialSpan {
  readonly kind: CredentialKind;
  /** [start, end) in UTF-16 units. For `bearer_credential`, only the credential after the scheme. */
  readonly start: number;
  readonly end: number;
}

/** How many characters the scans read. */
export interface ScanMeter {
  reads: number;
}

export interface ScanOptions {
  /**
   * Shortest credential after `Bearer`/`Basic` that counts (default 16). The logger masks from 8:
   * masking a word by mistake costs nothing, refusing a write does.
   */
  readonly minBearerLength?: number;
  readonly meter?: ScanMeter;
}

/** Every credential-shaped span, in order of position (a JWT after `Bearer` is found as both). */
export function findCredentials(text: string, options: ScanOptions = {}): CredentialSpan[] {
  const read = reader(text, options.meter);
  const spans = [...jwts(read), ...bearerCredentials(read, options.minBearerLength ?? 16), ...privateKeys(read), ...clientSecrets(read)];
  return spans.sort((a, b) => a.start - b.start || PRIORITY[a.kind] - PRIORITY[b.kind]);
}

/** The text with every credential-shaped span replaced by a marker, e.g. `Bearer [redacted]`, `[jwt redacted]`; overlapping spans become one. */
export function maskCredentials(text: string, options: ScanOptions = {}): string {
  const spans = findCredentials(text, options);
  if (spans.length === 0) return text;
  let out = '';
  let at = 0;
  for (const span of spans) {
    if (span.end <= at) continue;
    out += text.slice(at, Math.max(at, span.start)) + (span.start >= at ? MASK[span.kind] : '');
    at = span.end;
  }
  return out + text.slice(at);
}

const PRIORITY: Readonly<Record<CredentialKind, number>> = { jwt: 0, private_key: 1, client_secret: 2, bearer_credential: 3 };
const MASK: Readonly<Record<CredentialKind, string>> = {
  jwt: '[jwt redacted]',
  bearer_credential: '[redacted]',
  private_key: '[private key redacted]',
  client_secret: '[secret redacted]',
};

interface Reader {
  readonly length: number;
  /** The UTF-16 code unit at `i` (NaN past the end); every call is one read. */
  at(i: number): number;
}

function reader(text: string, meter: ScanMeter | undefined): Reader {
  return {
    length: text.length,
    at(i: number): number {
      if (meter) meter.reads += 1;
      return text.charCodeAt(i);
    },
  };
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isUpper = (c: number): boolean => c >= 0x41 && c <= 0x5a;
const isLower = (c: number): boolean => c >= 0x61 && c <= 0x7a;
const isAlnum = (c: number): boolean => isDigit(c) || isUpper(c) || isLower(c);
/** base64url: what JWT segments are made of. */
const isBase64Url = (c: number): boolean => isAlnum(c) || c === 0x2d || c === 0x5f;
/** A word character, as `\b` sees it. */
const isWord = (c: number): boolean => isAlnum(c) || c === 0x5f;
/** The characters of a token68 credential (RFC 7235) and its padding. */
const isToken68 = (c: number): boolean =>
  isAlnum(c) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e || c === 0x2b || c === 0x2f || c === 0x3d;
/** Entra client secrets: letters, digits and _ ~ . - */
const isSecretChar = (c: number): boolean => isAlnum(c) || c === 0x5f || c === 0x7e || c === 0x2e || c === 0x2d;
const isSpace = (c: number): boolean =>
  (c >= 0x09 && c <= 0x0d) ||
  c === 0x20 ||
  c === 0xa0 ||
  c === 0x1680 ||
  (c >= 0x2000 && c <= 0x200a) ||
  c === 0x2028 ||
  c === 0x2029 ||
  c === 0x202f ||
  c === 0x205f ||
  c === 0x3000 ||
  c === 0xfeff;

const DOT = 0x2e;
/** Segments of at least this many characters (the header counts from its `eyJ`, less those 3). */
const MIN_SEGMENT = 4;

/** Whether `word` (ASCII) is at `i`, compared case-insensitively when asked; reads at most word.length characters. */
function startsWithAt(read: Reader, i: number, word: string, ignoreCase = false): boolean {
  for (let k = 0; k < word.length; k += 1) {
    let c = read.at(i + k);
    if (ignoreCase && isUpper(c)) c += 0x20;
    if (c !== word.charCodeAt(k)) return false;
  }
  return true;
}

/** The end of the run of `accept` characters starting at `i`. */
function runEnd(read: Reader, i: number, accept: (c: number) => boolean): number {
  let end = i;
  while (end < read.length && accept(read.at(end))) end += 1;
  return end;
}

/**
 * A compact JWS/JWE: a base64url header starting `eyJ` (`{"` encoded) with at least 4 more
 * characters, `.`, a payload of at least 4, `.`, then any further `.`-separated segments (the
 * signature; JWE has five parts). Each maximal base64url run is read once as a candidate header
 * and at most once more as the payload that follows one.
 */
function jwts(read: Reader): CredentialSpan[] {
  const found: CredentialSpan[] = [];
  let i = 0;
  while (i < read.length) {
    if (!isBase64Url(read.at(i))) {
      i += 1;
      continue;
    }
    let header = -1;
    while (i < read.length) {
      const c = read.at(i);
      if (!isBase64Url(c)) break;
      if (header < 0 && c === 0x65 && read.at(i + 1) === 0x79 && read.at(i + 2) === 0x4a) header = i;
      i += 1;
    }
    // i is the end of the run: a JWT needs `.` next, then a long enough payload and another `.`.
    if (header < 0 || i - header < 3 + MIN_SEGMENT || read.at(i) !== DOT) continue;
    const payloadEnd = runEnd(read, i + 1, isBase64Url);
    if (payloadEnd - (i + 1) < MIN_SEGMENT || read.at(payloadEnd) !== DOT) continue;
    let end = runEnd(read, payloadEnd + 1, isBase64Url);
    while (read.at(end) === DOT) end = runEnd(read, end + 1, isBase64Url);
    found.push({ kind: 'jwt', start: header, end });
    i = end;
  }
  return found;
}

/** `Bearer <credential>` or `Basic <credential>` (any case, as a whole word), the credential at least `minLength` token68 characters. */
function bearerCredentials(read: Reader, minLength: number): CredentialSpan[] {
  const found: CredentialSpan[] = [];
  let i = 0;
  while (i < read.length) {
    const c = read.at(i);
    const scheme =
      (c === 0x62 || c === 0x42) && (i === 0 || !isWord(read.at(i - 1)))
        ? startsWithAt(read, i, 'bearer', true)
          ? 6
          : startsWithAt(read, i, 'basic', true)
            ? 5
            : 0
        : 0;
    if (scheme === 0 || !isSpace(read.at(i + scheme))) {
      i += 1;
      continue;
    }
    const credential = runEnd(read, i + scheme, isSpace);
    const end = runEnd(read, credential, isToken68);
    if (end - credential >= minLength) {
      found.push({ kind: 'bearer_credential', start: credential, end });
      i = end;
    } else {
      // The spaces are never a scheme; the short run after them is read again at most once.
      i = credential;
    }
  }
  return found;
}

/** A PEM private key: `-----BEGIN … PRIVATE KEY-----`, through its END line (or the end of the text). */
function privateKeys(read: Reader): CredentialSpan[] {
  const found: CredentialSpan[] = [];
  let i = 0;
  while (i < read.length) {
    if (read.at(i) !== 0x2d || !startsWithAt(read, i, '-----BEGIN ')) {
      i += 1;
      continue;
    }
    // The label is a run of A–Z 0–9 and spaces that must end "PRIVATE KEY", then "-----".
    const labelEnd = runEnd(read, i + 11, isPemLabelChar);
    if (labelEnd - (i + 11) < 11 || !startsWithAt(read, labelEnd - 11, 'PRIVATE KEY') || !startsWithAt(read, labelEnd, '-----')) {
      i = labelEnd;
      continue;
    }
    let end = labelEnd + 5;
    while (end < read.length && !(read.at(end) === 0x2d && startsWithAt(read, end, '-----END '))) end += 1;
    if (end < read.length) end = runEnd(read, end + 9, isPemLabelChar) + 5;
    found.push({ kind: 'private_key', start: i, end: Math.min(end, read.length) });
    i = end;
  }
  return found;
}

const isPemLabelChar = (c: number): boolean => isUpper(c) || isDigit(c) || c === 0x20;

/** An Entra client secret: three characters, a digit, `Q~`, then at least 30 more (about 40 in all). */
function clientSecrets(read: Reader): CredentialSpan[] {
  const found: CredentialSpan[] = [];
  let i = 4;
  while (i + 1 < read.length) {
    if (
      read.at(i) !== 0x51 ||
      read.at(i + 1) !== 0x7e ||
      !isDigit(read.at(i - 1)) ||
      !isSecretChar(read.at(i - 2)) ||
      !isSecretChar(read.at(i - 3)) ||
      !isSecretChar(read.at(i - 4))
    ) {
      i += 1;
      continue;
    }
    const end = runEnd(read, i + 2, isSecretChar);
    if (end - (i + 2) >= 30) found.push({ kind: 'client_secret', start: i - 4, end });
    // Any later `Q~` inside this run has an even shorter tail: skip it either way.
    i = Math.max(end, i + 1);
  }
  return found;
}
