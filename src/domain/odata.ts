/**
 * Safe Microsoft Graph addressing: the only place where text that came from a person (or from
 * the directory) becomes part of a URL path or a query string. Everything else passes object ids
 * or already-built values from here. The Graph JS client encodes neither: it writes `.api(path)`
 * and `.filter(value)` into the URL exactly as given (docs/graph-query-encoding.md), so this does.
 */
import { needsAdvancedQuery, type SelectionFilter } from './selectionFilter';

const GUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;
const encoder = new TextEncoder();

/**
 * The Graph path of one user, e.g. `/users/62e90394-69f5-4237-9190-012177145e10`,
 * `/users/adele@contoso.com`, `/users/adele_fabrikam.com%23EXT%23@contoso.onmicrosoft.com`, or for a
 * `$`-prefixed UPN the key form `/users('$adele@contoso.com')` (the path form is read by OData as a
 * system segment and fails with 400: https://learn.microsoft.com/graph/api/user-get).
 *
 * Path form keeps only A–Z a–z 0–9 - _ . ~ and @ as they are and percent-encodes every other
 * UTF-8 byte (`#` → %23, `'` → %27, `%` → %25, `/` → %2F, space → %20…). Key form additionally
 * keeps `$` and doubles single quotes before encoding them (`'` → %27%27), so the key never holds
 * a raw quote. A value that is empty or all dots (which a URL parser would treat as `.`/`..`)
 * also takes the key form. Never throws, even for unpaired surrogates (encoded as U+FFFD).
 */
export function userPath(ref: { kind: 'objectId'; id: string } | { kind: 'userPrincipalName'; upn: string }): string {
  const key = ref.kind === 'objectId' ? ref.id : ref.upn;
  if (ref.kind === 'objectId' && GUID.test(key)) return `/users/${key.toLowerCase()}`;
  if (key.startsWith('$') || /^\.*$/.test(key)) return `/users('${percentEncode(key.replaceAll("'", "''"), KEY_FORM_SAFE)}')`;
  return `/users/${percentEncode(key, PATH_FORM_SAFE)}`;
}

/**
 * An OData string literal: `o'brien` → `'o''brien'` (single quotes doubled, OData URL conventions:
 * https://docs.oasis-open.org/odata/odata/v4.01/odata-v4.01-part2-url-conventions.html). Not yet
 * URL-encoded: query values go through {@link odataQuery}.
 */
export function odataString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * Reads an OData string literal back (the inverse of {@link odataString}); undefined when it is not
 * one (no surrounding quotes, or a lone quote inside). For tests and the emulator.
 */
export function parseOdataString(literal: string): string | undefined {
  if (literal.length < 2 || !literal.startsWith("'") || !literal.endsWith("'")) return undefined;
  const body = literal.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i += 1) {
    const ch = body.charAt(i);
    if (ch === "'") {
      if (body.charAt(i + 1) !== "'") return undefined;
      i += 1;
    }
    out += ch;
  }
  return out;
}

/** A query option's value, percent-encoded for the query string; only {@link odataQuery} makes one. */
export type QueryValue = string & { readonly __encodedForTheQueryString: true };

/**
 * The one way a query option's value is built, as a tagged template:
 * odataQuery`department eq ${name}` → `department%20eq%20%27R%26D%27` for `R&D`.
 *
 * Each interpolated value becomes an OData string literal (single quotes doubled, see
 * {@link odataString}); then the whole expression is percent-encoded as UTF-8, keeping only the
 * unreserved characters of RFC 3986 (A–Z a–z 0–9 - _ . ~). So `&` cannot end the option, `#`
 * cannot start a fragment, `+` is not read as a space and `%27` is data, not a quote: Graph
 * decodes the query once and reads exactly the expression written here
 * (https://learn.microsoft.com/graph/query-parameters#encoding-query-parameters).
 */
export function odataQuery(parts: TemplateStringsArray, ...values: readonly string[]): QueryValue {
  let expression = parts[0] ?? '';
  values.forEach((value, i) => {
    expression += odataString(value) + (parts[i + 1] ?? '');
  });
  return percentEncode(expression, QUERY_SAFE) as QueryValue;
}

/** `$filter` for a display-name prefix search: startswith(displayName,'Adele'), encoded. */
export function displayNameFilter(text: string): QueryValue {
  return odataQuery`startswith(displayName,${text})`;
}

/** `$filter` for the users of one department: department eq 'R&D', encoded. */
export function departmentFilter(department: string): QueryValue {
  return odataQuery`department eq ${department}`;
}

/** `$filter` for groups by exact display name: displayName eq 'C# Guild', encoded. */
export function groupNameFilter(name: string): QueryValue {
  return odataQuery`displayName eq ${name}`;
}

/** `$filter` for a user by sign-in name or mail address: userPrincipalName eq 'x' or mail eq 'x', encoded. */
export function userPrincipalNameOrMailFilter(value: string): QueryValue {
  return odataQuery`userPrincipalName eq ${value} or mail eq ${value}`;
}

/** `$filter` for users Identity Protection has at risk: riskState eq 'atRisk', encoded (https://learn.microsoft.com/graph/api/riskyuser-list). */
export function atRiskFilter(): QueryValue {
  return odataQuery`riskState eq ${'atRisk'}`;
}

/**
 * `$filter` for one user's sign-ins since an instant: userId eq '{id}' and createdDateTime ge
 * {UTC time}, encoded (https://learn.microsoft.com/graph/api/signin-list: userId supports eq,
 * createdDateTime ge; date-time literals are written unquoted). Only an object id may be the user.
 */
export function signInsFilter(userId: string, since: Date): QueryValue | undefined {
  if (!GUID.test(userId) || !Number.isFinite(since.getTime())) return undefined;
  const at = `${since.toISOString().slice(0, 19)}Z`;
  return percentEncode(`userId eq ${odataString(userId.toLowerCase())} and createdDateTime ge ${at}`, QUERY_SAFE) as QueryValue;
}

/**
 * `$filter` for a saved selection's tree (src/domain/selectionFilter.ts), encoded: every text
 * value becomes an OData string literal, booleans and UTC instants are written bare (they were
 * checked when parsed), property names come from the language's fixed list. `advanced` says
 * Graph needs ConsistencyLevel: eventual with $count=true for it
 * (https://learn.microsoft.com/graph/aad-advanced-queries).
 */
export function selectionQuery(filter: SelectionFilter): { readonly filter: QueryValue; readonly advanced: boolean } {
  const render = (node: SelectionFilter): string => {
    switch (node.kind) {
      case 'and':
      case 'or':
        return `(${render(node.left)} ${node.kind} ${render(node.right)})`;
      case 'compare':
        return `${node.property} ${node.op} ${typeof node.value === 'boolean' ? String(node.value) : odataString(node.value)}`;
      case 'startswith':
        return `startswith(${node.property},${odataString(node.value)})`;
      case 'range':
        return `${node.property} ${node.op} ${node.value}`;
    }
  };
  const top = render(filter);
  // The outermost parentheses say nothing.
  const expression = filter.kind === 'and' || filter.kind === 'or' ? top.slice(1, -1) : top;
  return { filter: percentEncode(expression, QUERY_SAFE) as QueryValue, advanced: needsAdvancedQuery(filter) };
}

/** Unreserved characters of RFC 3986 plus '@', which Graph's own examples leave raw in user paths. */
const PATH_FORM_SAFE = /^[A-Za-z0-9\-_.~@]$/;
/** As above plus '$', which the documented key form `/users('$adele@…')` leaves raw. */
const KEY_FORM_SAFE = /^[A-Za-z0-9\-_.~@$]$/;
/** Only the unreserved characters of RFC 3986: everything else in a query value is %XX. */
const QUERY_SAFE = /^[A-Za-z0-9\-_.~]$/;

function percentEncode(value: string, safe: RegExp): string {
  let out = '';
  for (const character of value) {
    if (safe.test(character)) {
      out += character;
      continue;
    }
    // TextEncoder turns an unpaired surrogate into U+FFFD instead of throwing like encodeURIComponent.
    for (const byte of encoder.encode(character)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
