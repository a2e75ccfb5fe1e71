/**
 * The slice of OData that the emulated Graph understands: key segments ('...' with ''
 * doubling), $filter (startswith/endswith, eq/ne, and/or/not, parentheses, and ge/gt/le/lt
 * against unquoted date-time literals on the properties a collection allows), $search
 * ("property:term" clauses joined by AND/OR), $select, $top and $skiptoken. Parsing is strict:
 * anything outside this slice is a typed failure the caller turns into a Graph 400, never a
 * guess.
 */

/** Why a query could not be used, in Graph's own codes. */
export interface QueryProblem {
  readonly code: 'Request_BadRequest' | 'Request_UnsupportedQuery';
  readonly message: string;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | ({ readonly ok: false } & QueryProblem);

function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

function bad(message: string): { ok: false } & QueryProblem {
  return { ok: false, code: 'Request_BadRequest', message };
}

function unsupported(message = 'Unsupported Query.'): { ok: false } & QueryProblem {
  return { ok: false, code: 'Request_UnsupportedQuery', message };
}

/**
 * Reads an OData string literal that must span the whole input: `'o''brien@x'` → `o'brien@x`.
 * Returns undefined if the input is not exactly one well-formed literal.
 */
export function parseStringLiteral(text: string): string | undefined {
  if (text.length < 2 || !text.startsWith("'") || !text.endsWith("'")) return undefined;
  const inner = text.slice(1, -1);
  // Inside, a quote only appears doubled; a lone one would have ended the literal early.
  if (!/^(?:[^']|'')*$/.test(inner)) return undefined;
  return inner.replace(/''/g, "'");
}

// ---------------------------------------------------------------------------------------------
// $filter

/** An unquoted date-time literal (`2025-06-02T00:00:00Z`), as milliseconds since the epoch. */
export interface DateTimeLiteral {
  readonly dateTime: number;
}

export type FilterValue = string | boolean | null | DateTimeLiteral;

/** Order comparisons: only against date-time literals. */
export type RangeOperator = 'ge' | 'gt' | 'le' | 'lt';

export type FilterExpression =
  | { readonly kind: 'compare'; readonly op: 'eq' | 'ne'; readonly property: string; readonly value: FilterValue }
  | { readonly kind: 'range'; readonly op: RangeOperator; readonly property: string; readonly value: DateTimeLiteral }
  | { readonly kind: 'call'; readonly fn: 'startswith' | 'endswith'; readonly property: string; readonly value: string }
  | { readonly kind: 'and' | 'or'; readonly left: FilterExpression; readonly right: FilterExpression }
  | { readonly kind: 'not'; readonly operand: FilterExpression };

type Token =
  | { readonly type: 'name'; readonly text: string }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'datetime'; readonly value: DateTimeLiteral }
  | { readonly type: '(' | ')' | ',' };

function tokenize(text: string): Parsed<Token[]> {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ type: c });
      i += 1;
    } else if (c === "'") {
      let value = '';
      i += 1;
      let closed = false;
      while (i < text.length) {
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          closed = true;
          i += 1;
          break;
        }
        value += text.charAt(i);
        i += 1;
      }
      if (!closed) return bad(`Invalid filter clause: unterminated string literal at position ${i}.`);
      tokens.push({ type: 'string', value });
    } else if (/[0-9]/.test(c)) {
      // Only date-time literals start with a digit here: OData's yyyy-mm-ddThh:mm[:ss[.fff]] with Z or an offset.
      const match = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2})/.exec(text.slice(i));
      const at = match ? Date.parse(match[0]) : Number.NaN;
      if (!match || !Number.isFinite(at)) return bad(`Invalid filter clause: syntax error at position ${i} in '${text}'.`);
      tokens.push({ type: 'datetime', value: { dateTime: at } });
      i += match[0].length;
    } else if (/[A-Za-z_$]/.test(c)) {
      const match = /^[A-Za-z_$][A-Za-z0-9_./$]*/.exec(text.slice(i));
      const name = match?.[0] ?? c;
      tokens.push({ type: 'name', text: name });
      i += name.length;
    } else {
      return bad(`Invalid filter clause: syntax error at position ${i} in '${text}'.`);
    }
  }
  return ok(tokens);
}

const COMPARISON_OPERATORS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'in', 'has']);
const FUNCTIONS = new Set(['startswith', 'endswith', 'contains', 'any', 'all', 'tolower', 'toupper', 'length', 'substringof', 'indexof']);

class FilterParser {
  private position = 0;
  constructor(
    private readonly tokens: readonly Token[],
    private readonly source: string,
  ) {}

  parse(): Parsed<FilterExpression> {
    const expression = this.or();
    if (!expression.ok) return expression;
    if (this.position < this.tokens.length) return this.syntaxError();
    return expression;
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private isKeyword(word: string): boolean {
    const token = this.peek();
    return token?.type === 'name' && token.text.toLowerCase() === word;
  }

  private syntaxError(): { ok: false } & QueryProblem {
    return bad(`Invalid filter clause: syntax error near token ${this.position + 1} in '${this.source}'.`);
  }

  private or(): Parsed<FilterExpression> {
    let left = this.and();
    while (left.ok && this.isKeyword('or')) {
      this.position += 1;
      const right = this.and();
      if (!right.ok) return right;
      left = ok({ kind: 'or', left: left.value, right: right.value });
    }
    return left;
  }

  private and(): Parsed<FilterExpression> {
    let left = this.unary();
    while (left.ok && this.isKeyword('and')) {
      this.position += 1;
      const right = this.unary();
      if (!right.ok) return right;
      left = ok({ kind: 'and', left: left.value, right: right.value });
    }
    return left;
  }

  private unary(): Parsed<FilterExpression> {
    if (this.isKeyword('not')) {
      this.position += 1;
      const operand = this.unary();
      return operand.ok ? ok({ kind: 'not', operand: operand.value }) : operand;
    }
    return this.primary();
  }

  private primary(): Parsed<FilterExpression> {
    const token = this.peek();
    if (!token) return this.syntaxError();
    if (token.type === '(') {
      this.position += 1;
      const inner = this.or();
      if (!inner.ok) return inner;
      if (this.peek()?.type !== ')') return this.syntaxError();
      this.position += 1;
      return inner;
    }
    if (token.type !== 'name') return this.syntaxError();
    const name = token.text;
    const next = this.tokens[this.position + 1];
    if (next?.type === '(') {
      const fn = name.toLowerCase();
      if (!FUNCTIONS.has(fn)) return bad(`Invalid filter clause: unknown function '${name}'.`);
      if (fn !== 'startswith' && fn !== 'endswith') return unsupported();
      this.position += 2;
      const property = this.peek();
      const comma = this.tokens[this.position + 1];
      const literal = this.tokens[this.position + 2];
      const close = this.tokens[this.position + 3];
      if (property?.type !== 'name' || comma?.type !== ',' || literal?.type !== 'string' || close?.type !== ')') return this.syntaxError();
      this.position += 4;
      return ok({ kind: 'call', fn, property: property.text, value: literal.value });
    }
    const operator = next?.type === 'name' ? next.text.toLowerCase() : undefined;
    if (operator === undefined || !COMPARISON_OPERATORS.has(operator)) return this.syntaxError();
    const operand = this.tokens[this.position + 2];
    if (operator === 'ge' || operator === 'gt' || operator === 'le' || operator === 'lt') {
      if (operand?.type !== 'datetime') return unsupported();
      this.position += 3;
      return ok({ kind: 'range', op: operator, property: name, value: operand.value });
    }
    if (operator !== 'eq' && operator !== 'ne') return unsupported();
    let value: FilterValue;
    if (operand?.type === 'string') value = operand.value;
    else if (operand?.type === 'datetime') value = operand.value;
    else if (operand?.type === 'name' && /^(true|false|null)$/i.test(operand.text))
      value = operand.text.toLowerCase() === 'null' ? null : operand.text.toLowerCase() === 'true';
    else return this.syntaxError();
    this.position += 3;
    return ok({ kind: 'compare', op: operator, property: name, value });
  }
}

/** Parses a $filter expression (already percent-decoded). */
export function parseFilter(text: string): Parsed<FilterExpression> {
  if (text.trim() === '') return bad('Invalid filter clause: the expression is empty.');
  const tokens = tokenize(text);
  if (!tokens.ok) return tokens;
  return new FilterParser(tokens.value, text).parse();
}

/** What a collection lets you filter on. Property names are matched case-insensitively. */
export interface FilterCapabilities {
  /** The entity type's name for messages, e.g. 'microsoft.graph.user'. */
  readonly typeName: string;
  /** Every property the type has (to tell "unknown property" from "not filterable"). */
  readonly properties: readonly string[];
  /** Properties usable with eq (basic queries). */
  readonly eq: readonly string[];
  /** Properties usable with startswith (basic queries). */
  readonly startswith: readonly string[];
  /** Properties usable with endswith and ne, but only as advanced queries. */
  readonly advanced?: readonly string[];
  /** Date-time properties usable with ge, gt, le and lt (basic queries). */
  readonly range?: readonly string[];
}

/** Whether a filter needs Graph's advanced query mode (ConsistencyLevel: eventual + $count=true). */
export type FilterCheck = Parsed<{ readonly advanced: boolean }>;

/** Checks a parsed filter against what the collection supports. */
export function checkFilter(expression: FilterExpression, capabilities: FilterCapabilities): FilterCheck {
  const known = (name: string): string | undefined => capabilities.properties.find((p) => p.toLowerCase() === name.toLowerCase());
  const has = (list: readonly string[] | undefined, name: string): boolean =>
    (list ?? []).some((p) => p.toLowerCase() === name.toLowerCase());
  const visit = (node: FilterExpression): FilterCheck => {
    switch (node.kind) {
      case 'and':
      case 'or': {
        const left = visit(node.left);
        if (!left.ok) return left;
        const right = visit(node.right);
        if (!right.ok) return right;
        return ok({ advanced: left.value.advanced || right.value.advanced });
      }
      case 'not': {
        const inner = visit(node.operand);
        return inner.ok ? ok({ advanced: true }) : inner;
      }
      case 'range':
        if (!known(node.property)) return bad(`Could not find a property named '${node.property}' on type '${capabilities.typeName}'.`);
        return has(capabilities.range, node.property) ? ok({ advanced: false }) : unsupported();
      case 'compare':
      case 'call': {
        if (!known(node.property)) return bad(`Could not find a property named '${node.property}' on type '${capabilities.typeName}'.`);
        if (node.kind === 'compare' && isDateTime(node.value)) {
          return node.op === 'eq' && has(capabilities.range, node.property) ? ok({ advanced: false }) : unsupported();
        }
        const basic =
          node.kind === 'compare'
            ? node.op === 'eq' && has(capabilities.eq, node.property)
            : node.fn === 'startswith' && has(capabilities.startswith, node.property);
        if (basic) return ok({ advanced: false });
        if (has(capabilities.advanced, node.property)) return ok({ advanced: true });
        return unsupported();
      }
    }
  };
  return visit(expression);
}

function isDateTime(value: FilterValue): value is DateTimeLiteral {
  return typeof value === 'object' && value !== null;
}

/** A property's value as a time, for date-time comparisons (NaN when it is none). */
function timeOf(value: unknown): number {
  return typeof value === 'string' ? Date.parse(value) : Number.NaN;
}

/** Evaluates a checked filter; string comparisons are case-insensitive, as in the directory. */
export function evaluateFilter(expression: FilterExpression, read: (property: string) => unknown): boolean {
  switch (expression.kind) {
    case 'range': {
      const actual = timeOf(read(expression.property));
      if (!Number.isFinite(actual)) return false;
      const wanted = expression.value.dateTime;
      return expression.op === 'ge'
        ? actual >= wanted
        : expression.op === 'gt'
          ? actual > wanted
          : expression.op === 'le'
            ? actual <= wanted
            : actual < wanted;
    }
    case 'and':
      return evaluateFilter(expression.left, read) && evaluateFilter(expression.right, read);
    case 'or':
      return evaluateFilter(expression.left, read) || evaluateFilter(expression.right, read);
    case 'not':
      return !evaluateFilter(expression.operand, read);
    case 'compare': {
      const actual = read(expression.property);
      if (isDateTime(expression.value)) {
        const time = timeOf(actual);
        const same = Number.isFinite(time) && time === expression.value.dateTime;
        return expression.op === 'eq' ? same : !same;
      }
      const equal =
        typeof actual === 'string' && typeof expression.value === 'string'
          ? actual.toLowerCase() === expression.value.toLowerCase()
          : (actual ?? null) === expression.value;
      return expression.op === 'eq' ? equal : !equal;
    }
    case 'call': {
      const actual = read(expression.property);
      if (typeof actual !== 'string') return false;
      const a = actual.toLowerCase();
      const v = expression.value.toLowerCase();
      return expression.fn === 'startswith' ? a.startsWith(v) : a.endsWith(v);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// $search

export type SearchExpression =
  | { readonly kind: 'term'; readonly property: string; readonly term: string }
  | { readonly kind: 'and' | 'or'; readonly left: SearchExpression; readonly right: SearchExpression };

/**
 * Parses `"displayName:jan"`, `"displayName:jan" OR "mail:jan"` (AND binds tighter than OR).
 * Each clause is double-quoted `property:term`; `searchable` lists the allowed properties.
 */
export function parseSearch(text: string, searchable: readonly string[], typeName: string): Parsed<SearchExpression> {
  const clauses: (SearchExpression | 'AND' | 'OR')[] = [];
  const pattern = /\s*(?:"((?:[^"\\]|\\.)*)"|(AND|OR))\s*/gy;
  let index = 0;
  while (index < text.length) {
    pattern.lastIndex = index;
    const match = pattern.exec(text);
    if (!match) return bad(`Syntax error: character '${text[index] ?? ''}' is not valid at position ${index} in '${text}'.`);
    index = pattern.lastIndex;
    if (match[2] === 'AND' || match[2] === 'OR') {
      clauses.push(match[2]);
      continue;
    }
    const clause = (match[1] ?? '').replace(/\\(.)/g, '$1');
    const colon = clause.indexOf(':');
    if (colon <= 0) return bad(`Invalid search clause '${clause}': use "property:term".`);
    const property = clause.slice(0, colon).trim();
    const term = clause.slice(colon + 1).trim();
    const canonical = searchable.find((p) => p.toLowerCase() === property.toLowerCase());
    if (!canonical) return bad(`Search on property '${property}' of type '${typeName}' is not supported.`);
    if (term === '') return bad(`Invalid search clause '${clause}': the term is empty.`);
    clauses.push({ kind: 'term', property: canonical, term });
  }
  // Expect term (op term)*; fold AND first, then OR.
  if (clauses.length === 0 || clauses.length % 2 === 0) return bad(`Invalid $search value '${text}'.`);
  const orParts: SearchExpression[] = [];
  let operator: 'AND' | 'OR' = 'OR';
  for (const [position, item] of clauses.entries()) {
    const expectTerm = position % 2 === 0;
    if (expectTerm !== (typeof item !== 'string')) return bad(`Invalid $search value '${text}'.`);
    if (typeof item === 'string') {
      operator = item;
      continue;
    }
    const left = operator === 'AND' ? orParts.pop() : undefined;
    orParts.push(left ? { kind: 'and', left, right: item } : item);
  }
  return ok(orParts.reduce((left, right) => ({ kind: 'or', left, right })));
}

function searchTokens(value: string): string[] {
  return value
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((t) => t.length > 0);
}

/**
 * Tokenized search: every token of the term must be a prefix of some token of the value
 * ("displayName:adel" matches "Adele Vance"; "displayName:o'brien" matches "Liam O'Brien").
 */
export function evaluateSearch(expression: SearchExpression, read: (property: string) => unknown): boolean {
  switch (expression.kind) {
    case 'and':
      return evaluateSearch(expression.left, read) && evaluateSearch(expression.right, read);
    case 'or':
      return evaluateSearch(expression.left, read) || evaluateSearch(expression.right, read);
    case 'term': {
      const value = read(expression.property);
      if (typeof value !== 'string') return false;
      const valueTokens = searchTokens(value);
      const termTokens = searchTokens(expression.term);
      return termTokens.length > 0 && termTokens.every((t) => valueTokens.some((v) => v.startsWith(t)));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// $select, $top, $skiptoken

/** Parses $select against the known properties; returns canonical names in request order. */
export function parseSelect(text: string, properties: readonly string[], typeName: string): Parsed<string[]> {
  const names = text.split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) return bad(`Invalid $select value '${text}'.`);
  const selected: string[] = [];
  for (const name of names) {
    const canonical = properties.find((p) => p.toLowerCase() === name.toLowerCase());
    if (!canonical) return bad(`Could not find a property named '${name}' on type '${typeName}'.`);
    if (!selected.includes(canonical)) selected.push(canonical);
  }
  return ok(selected);
}

/** Graph's page-size bounds for directory collections. */
export const MAX_PAGE_SIZE = 999;
export const DEFAULT_PAGE_SIZE = 100;

export function parseTop(text: string, max: number = MAX_PAGE_SIZE): Parsed<number> {
  if (!/^\d+$/.test(text)) return bad(`Invalid page size specified: '${text}'. Must be between 1 and ${max} inclusive.`);
  const top = Number(text);
  if (top < 1 || top > max) return bad(`Invalid page size specified: '${text}'. Must be between 1 and ${max} inclusive.`);
  return ok(top);
}

const SKIPTOKEN_PREFIX = 'RFNwdA';

/** An opaque-looking skip token for an offset into a collection. */
export function encodeSkipToken(offset: number): string {
  return SKIPTOKEN_PREFIX + Buffer.from(`offset:${offset}`, 'utf8').toString('base64url');
}

export function decodeSkipToken(token: string): Parsed<number> {
  if (!token.startsWith(SKIPTOKEN_PREFIX)) return bad('Invalid $skiptoken value.');
  const text = Buffer.from(token.slice(SKIPTOKEN_PREFIX.length), 'base64url').toString('utf8');
  const match = /^offset:(\d{1,9})$/.exec(text);
  if (!match) return bad('Invalid $skiptoken value.');
  return ok(Number(match[1]));
}
