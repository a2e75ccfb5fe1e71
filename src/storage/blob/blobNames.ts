/**
 * Blob names for state items and audit records. A name is made only of [A-Za-z0-9_~-]: every
 * other UTF-16 code unit becomes `~` and four hex digits. So a key can hold '/', '%', '.', spaces
 * or any Unicode and still be exactly one blob (no virtual folders, no trailing dots that
 * Azure trims, nothing the SDK or the service would re-escape), the mapping is reversible, and
 * because it works code unit by code unit, `name(prefix)` is a prefix of `name(key)` exactly
 * when `prefix` is a prefix of `key` (case-sensitively) — which is what listing by prefix needs.
 */

/** Azure allows 1024 characters per blob name; keep a margin for the folder parts. */
export const MAX_BLOB_NAME_LENGTH = 1000;

const PLAIN = /^[A-Za-z0-9_-]$/;

/** The reversible, prefix-preserving encoding of one name segment. */
export function encodeSegment(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charAt(i);
    out += PLAIN.test(unit) ? unit : `~${text.charCodeAt(i).toString(16).padStart(4, '0')}`;
  }
  return out;
}

/** The inverse of {@link encodeSegment}. Throws TypeError for text it could not have produced. */
export function decodeSegment(encoded: string): string {
  let out = '';
  for (let i = 0; i < encoded.length; i += 1) {
    const c = encoded.charAt(i);
    if (c !== '~') {
      out += c;
      continue;
    }
    const hex = encoded.slice(i + 1, i + 5);
    if (!/^[0-9a-f]{4}$/.test(hex)) throw new TypeError('Malformed blob name segment.');
    out += String.fromCharCode(Number.parseInt(hex, 16));
    i += 4;
  }
  return out;
}

/** Folder that holds a namespace's items: `state/<ns>/`. */
export function stateFolder(namespace: string): string {
  return `state/${encodeSegment(namespace)}/`;
}

/** The blob of one state item. @throws TypeError when the name would be too long for Azure. */
export function stateBlobName(namespace: string, key: string): string {
  const name = `${stateFolder(namespace)}${encodeSegment(key)}`;
  if (name.length > MAX_BLOB_NAME_LENGTH) throw new TypeError('Namespace and key are too long for a blob name.');
  return name;
}

/** The key of a state blob listed under `stateFolder(namespace)`. */
export function keyOfStateBlob(namespace: string, blobName: string): string {
  return decodeSegment(blobName.slice(stateFolder(namespace).length));
}
