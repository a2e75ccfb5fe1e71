/**
 * How Microsoft's services read a request's query string, copied here so that a client's
 * encoding mistake fails against the emulator exactly as it would against Graph
 * (docs/graph-query-encoding.md):
 *
 * - The query is what follows the first `?`, up to a `#` (a fragment never reaches a server;
 *   a client that leaves a `#` in a value loses everything after it).
 * - Options are separated by a raw `&` only; `%26` is data.
 * - Name and value split at the first raw `=`; an option without `=` has an empty value.
 * - A raw `+` is a space. Graph reads `mail eq 'a+b@x'` as `'a b@x'`; `%2B` is the plus sign
 *   (https://github.com/microsoftgraph/msgraph-sdk-dotnet/issues/2708).
 * - `%XX` escapes are decoded exactly once, as UTF-8 bytes: `%2527` is the text `%27`, never a
 *   quote. A `%` not followed by two hex digits stays as it is; bytes that are not UTF-8 become
 *   U+FFFD.
 *
 * These are the rules of the application/x-www-form-urlencoded parser
 * (https://url.spec.whatwg.org/#urlencoded-parsing), written out so each one is visible and tested.
 */

const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** The path and the query (without `?`, not decoded) of a request target; a fragment is part of neither. */
export function splitRequestTarget(target: string): { rawPath: string; rawQuery: string } {
  const hash = target.indexOf('#');
  const beforeFragment = hash < 0 ? target : target.slice(0, hash);
  const question = beforeFragment.indexOf('?');
  return question < 0
    ? { rawPath: beforeFragment, rawQuery: '' }
    : { rawPath: beforeFragment.slice(0, question), rawQuery: beforeFragment.slice(question + 1) };
}

/** The query options of a raw query string, decoded as Graph decodes them (see the module comment). */
export function decodeQuery(rawQuery: string): URLSearchParams {
  const hash = rawQuery.indexOf('#');
  const query = hash < 0 ? rawQuery : rawQuery.slice(0, hash);
  const options = new URLSearchParams();
  for (const part of query.split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const name = equals < 0 ? part : part.slice(0, equals);
    const value = equals < 0 ? '' : part.slice(equals + 1);
    options.append(decodeComponent(name), decodeComponent(value));
  }
  return options;
}

/** `+` → space, then every `%XX` → its byte, once; the bytes are read as UTF-8. */
export function decodeComponent(text: string): string {
  const bytes: number[] = [];
  const spaced = text.replaceAll('+', ' ');
  for (let i = 0; i < spaced.length;) {
    const code = spaced.charCodeAt(i);
    if (code === 0x25 && isHex(spaced.charCodeAt(i + 1)) && isHex(spaced.charCodeAt(i + 2))) {
      bytes.push(Number.parseInt(spaced.slice(i + 1, i + 3), 16));
      i += 3;
      continue;
    }
    if (code < 0x80) {
      bytes.push(code);
      i += 1;
      continue;
    }
    const point = spaced.codePointAt(i) ?? code;
    const width = point > 0xffff ? 2 : 1;
    for (const byte of utf8Encoder.encode(spaced.slice(i, i + width))) bytes.push(byte);
    i += width;
  }
  return utf8.decode(Uint8Array.from(bytes));
}

function isHex(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}
