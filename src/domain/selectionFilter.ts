/**
 * The small, safe filter language of saved selections: `department eq 'HP' and accountEnabled eq false`.
 * It is parsed here into a tree; the tree, never the typed text, is what is stored and what
 * src/domain/odata.ts renders to a Graph `$filter`. Anything outside the language is a clear
 * error that names what is allowed. The parser is linear, bounded (length, nodes, nesting) and
 * never throws.
 *
 * Which user properties Graph filters on, with which operators, and which of them only as
 * "advanced queries" (ConsistencyLevel: eventual with $count=true):
 * https://learn.microsoft.com/graph/api/resources/user#properties and
 * https://learn.microsoft.com/graph/aad-advanced-queries. `ne` is always advanced; so are the
 * properties Graph indexes only for advanced queries (companyName, employeeType,
 * officeLocation, createdDateTime).
 */
import { err, ok, type Result } from './result';
import { describeUnsafe, findUnsafeCharacter } from './text';

/** Text-valued properties a selection may name. */
export const TEXT_PROPERTIES = [
  'department',
  'jobTitle',
  'companyName',
  'officeLocation',
  'city',
  'country',
  'employeeType',
  'userType',
] as const;
export type TextProperty = (typeof TEXT_PROPERTIES)[number];

export type SelectionFilter =
  | { readonly kind: 'compare'; readonly property: TextProperty; readonly op: 'eq' | 'ne'; readonly value: string }
  | { readonly kind: 'compare'; readonly property: 'accountEnabled'; readonly op: 'eq' | 'ne'; readonly value: boolean }
  | { readonly kind: 'startswith'; readonly property: TextProperty; readonly value: string }
  /** `createdDateTime ge 2026-01-01`: value is a UTC instant, `YYYY-MM-DDTHH:MM:SSZ`. */
  | { readonly kind: 'range'; readonly property: 'createdDateTime'; readonly op: 'ge' | 'le'; readonly value: string }
  | { readonly kind: 'and' | 'or'; readonly left: SelectionFilter; readonly right: SelectionFilter };

/** Why a filter was refused: a sentence that names what is allowed. */
export interface FilterProblem {
  readonly code: 'empty' | 'too_long' | 'too_complex' | 'bad_characters' | 'syntax' | 'unknown_property' | 'operator' | 'value';
  readonly detail: string;
}

const MAX_LENGTH = 1000;
const MAX_CONDITIONS = 20;
const MAX_NESTING = 8;
const MAX_VALUE_LENGTH = 256;

/** Properties that Graph filters on with a basic query (no ConsistencyLevel) for eq and startswith. */
const BASIC_PROPERTIES: ReadonlySet<string> = new Set(['department', 'jobTitle', 'city', 'country', 'userType', 'accountEnabled']);
/** Properties whose startswith is no function of Graph's user filter. */
const NO_STARTSWITH: ReadonlySet<string> = new Set(['userType']);

const ALL_PROPERTIES: readonly string[] = [...TEXT_PROPERTIES, 'accountEnabled', 'createdDateTime'];

/** What the language allows, in one sentence (every refusal ends with it). */
export const FILTER_HELP =
  `Properties: ${ALL_PROPERTIES.join(', ')}. Operators: eq, ne, startswith(property,'text'), and createdDateTime ge/le a date; ` +
  `join with and, or and parentheses. Text goes in single quotes (double a quote inside: 'O''Brien'); accountEnabled takes true or false.`;

/** Whether Graph needs an advanced query (ConsistencyLevel: eventual and $count=true) for this filter. */
export function needsAdvancedQuery(filter: SelectionFilter): boolean {
  switch (filter.kind) {
    case 'and':
    case 'or':
      return needsAdvancedQuery(filter.left) || needsAdvancedQuery(filter.right);
    case 'range':
      return true;
    case 'compare':
      return filter.op === 'ne' || !BASIC_PROPERTIES.has(filter.property);
    case 'startswith':
      return !BASIC_PROPERTIES.has(filter.property) || filter.property === 'department';
  }
}

/** The filter in the language's own words, canonical (for cards, the audit trail and saved selections). */
export function describeFilter(filter: SelectionFilter): string {
  const quote = (text: string): string => `'${text.replaceAll("'", "''")}'`;
  const inner = (node: SelectionFilter, parent: 'and' | 'or' | undefined): string => {
    switch (node.kind) {
      case 'and':
      case 'or': {
        const text = `${inner(node.left, node.kind)} ${node.kind} ${inner(node.right, node.kind)}`;
        return parent !== undefined && parent !== node.kind ? `(${text})` : text;
      }
      case 'compare':
        return `${node.property} ${node.op} ${typeof node.value === 'boolean' ? String(node.value) : quote(node.value)}`;
      case 'startswith':
        return `startswith(${node.property},${quote(node.value)})`;
      case 'range':
        return `${node.property} ${node.op} ${node.value}`;
    }
  };
  return inner(filter, undefined);
}

/** Whether a stored value is a well-formed filter tree (storage is read back as plain JSON). */
export function isSelectionFilter(value: unknown, depth = 0): value is SelectionFilter {
  if (depth > MAX_NESTING * 2 + 2 || typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  switch (v.kind) {
    case 'and':
    case 'or':
      return isSelectionFilter(v.left, depth + 1) && isSelectionFilter(v.right, depth + 1);
    case 'compare':
      if (v.op !== 'eq' && v.op !== 'ne') return false;
      if (v.property === 'accountEnabled') return typeof v.value === 'boolean';
      return isTextProperty(v.property) && typeof v.value === 'string';
    case 'startswith':
      return isTextProperty(v.property) && !NO_STARTSWITH.has(v.property) && typeof v.value === 'string';
    case 'range':
      return (
        v.property === 'createdDateTime' && (v.op === 'ge' || v.op === 'le') && typeof v.value === 'string' && UTC_INSTANT.test(v.value)
      );
    default:
      return false;
  }
}

function isTextProperty(value: unknown): value is TextProperty {
  return typeof value === 'string' && (TEXT_PROPERTIES as readonly string[]).includes(value);
}

const UTC_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

type Token =
  | { readonly type: 'word'; readonly text: string; readonly at: number }
  | { readonly type: 'string'; readonly value: string; readonly at: number }
  | { readonly type: '(' | ')' | ','; readonly at: number };

function problem(code: FilterProblem['code'], sentence: string): Result<never, FilterProblem> {
  return err({ code, detail: `${sentence} ${FILTER_HELP}` });
}

/** Typographic quotes Teams and phones put in for a plain quote. */
const SINGLE_QUOTES = new Set(["'", '\u2018', '\u2019']);

function tokenize(text: string): Result<Token[], FilterProblem> {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\u00A0') {
      i += 1;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ type: c, at: i });
      i += 1;
    } else if (SINGLE_QUOTES.has(c)) {
      const start = i;
      let value = '';
      i += 1;
      let closed = false;
      while (i < text.length) {
        const d = text.charAt(i);
        if (SINGLE_QUOTES.has(d)) {
          if (SINGLE_QUOTES.has(text.charAt(i + 1))) {
            value += "'";
            i += 2;
            continue;
          }
          closed = true;
          i += 1;
          break;
        }
        value += d;
        i += 1;
      }
      if (!closed) return problem('syntax', 'A quoted value is not closed.');
      tokens.push({ type: 'string', value, at: start });
    } else if (c === '"' || c === '\u201C' || c === '\u201D') {
      return problem('syntax', 'Put text in single quotes, not double quotes.');
    } else if (/[A-Za-z0-9]/.test(c)) {
      const match = /^[A-Za-z0-9:.+-]+/.exec(text.slice(i, i + 64));
      const word = match?.[0] ?? c;
      tokens.push({ type: 'word', text: word, at: i });
      i += word.length;
    } else {
      return problem('syntax', `“${c}” has no meaning in a filter.`);
    }
  }
  return ok(tokens);
}

/** Parses the text after `revoke where` into a filter tree, or says exactly what is wrong. */
export function parseSelectionFilter(input: string): Result<SelectionFilter, FilterProblem> {
  const text = typeof input === 'string' ? input.trim() : '';
  if (text === '')
    return problem('empty', 'Tell me which users, e.g. revoke where department eq \u0027HP\u0027 and accountEnabled eq false.');
  if (text.length > MAX_LENGTH) return problem('too_long', `That filter is too long (at most ${MAX_LENGTH} characters).`);
  const unsafe = findUnsafeCharacter(text);
  if (unsafe) return problem('bad_characters', `The filter contains ${describeUnsafe(unsafe)}. Please retype it without it.`);
  const tokens = tokenize(text);
  if (!tokens.ok) return tokens;
  return new Parser(tokens.value).parse();
}

class Parser {
  private position = 0;
  private conditions = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parse(): Result<SelectionFilter, FilterProblem> {
    const tree = this.or(0);
    if (!tree.ok) return tree;
    const extra = this.tokens[this.position];
    if (extra) return problem('syntax', `I didn’t expect ${this.show(extra)} there.`);
    return tree;
  }

  private show(token: Token): string {
    if (token.type === 'word') return `“${token.text.slice(0, 40)}”`;
    if (token.type === 'string') return 'a quoted value';
    return `“${token.type}”`;
  }

  private keyword(word: string): boolean {
    const token = this.tokens[this.position];
    return token?.type === 'word' && token.text.toLowerCase() === word;
  }

  private or(depth: number): Result<SelectionFilter, FilterProblem> {
    let left = this.and(depth);
    while (left.ok && this.keyword('or')) {
      this.position += 1;
      const right = this.and(depth);
      if (!right.ok) return right;
      left = ok({ kind: 'or', left: left.value, right: right.value });
    }
    return left;
  }

  private and(depth: number): Result<SelectionFilter, FilterProblem> {
    let left = this.primary(depth);
    while (left.ok && this.keyword('and')) {
      this.position += 1;
      const right = this.primary(depth);
      if (!right.ok) return right;
      left = ok({ kind: 'and', left: left.value, right: right.value });
    }
    return left;
  }

  private primary(depth: number): Result<SelectionFilter, FilterProblem> {
    const token = this.tokens[this.position];
    if (!token) return problem('syntax', 'The filter ends too early.');
    if (token.type === '(') {
      if (depth >= MAX_NESTING) return problem('too_complex', `That filter nests parentheses too deep (at most ${MAX_NESTING}).`);
      this.position += 1;
      const inner = this.or(depth + 1);
      if (!inner.ok) return inner;
      if (this.tokens[this.position]?.type !== ')') return problem('syntax', 'A parenthesis is not closed.');
      this.position += 1;
      return inner;
    }
    if (token.type !== 'word') return problem('syntax', `I expected a property name, not ${this.show(token)}.`);
    this.conditions += 1;
    if (this.conditions > MAX_CONDITIONS) return problem('too_complex', `That filter has too many conditions (at most ${MAX_CONDITIONS}).`);
    const word = token.text.toLowerCase();
    if (word === 'startswith' && this.tokens[this.position + 1]?.type === '(') return this.startswith();
    if (word === 'not') return problem('operator', '“not” isn’t part of the language; use ne instead.');
    const property = canonicalProperty(token.text);
    if (!property) return problem('unknown_property', `“${token.text.slice(0, 40)}” isn’t a property I can filter on.`);
    const operatorToken = this.tokens[this.position + 1];
    const operator = operatorToken?.type === 'word' ? operatorToken.text.toLowerCase() : undefined;
    const operand = this.tokens[this.position + 2];
    if (operator === undefined) return problem('syntax', `After ${property} I expected an operator (eq, ne, ge or le).`);
    this.position += 3;
    if (property === 'createdDateTime') {
      if (operator !== 'ge' && operator !== 'le')
        return problem('operator', 'createdDateTime takes ge or le with a date, e.g. createdDateTime ge 2026-01-01.');
      const at = operand?.type === 'word' ? utcInstant(operand.text) : undefined;
      if (!at) return problem('value', 'createdDateTime needs a date like 2026-01-01 or 2026-01-01T09:00:00Z.');
      return ok({ kind: 'range', property, op: operator, value: at });
    }
    if (operator !== 'eq' && operator !== 'ne')
      return problem('operator', `“${operator.slice(0, 20)}” can’t be used with ${property}; use eq or ne (or startswith).`);
    if (property === 'accountEnabled') {
      const value = operand?.type === 'word' ? operand.text.toLowerCase() : undefined;
      if (value !== 'true' && value !== 'false') return problem('value', 'accountEnabled takes true or false, without quotes.');
      return ok({ kind: 'compare', property, op: operator, value: value === 'true' });
    }
    if (operand?.type !== 'string' || !isTextProperty(property))
      return problem('value', `${property} takes text in single quotes, e.g. ${property} eq 'HP'.`);
    const checked = checkValue(operand.value);
    if (!checked.ok) return checked;
    return ok({ kind: 'compare', property, op: operator, value: checked.value });
  }

  private startswith(): Result<SelectionFilter, FilterProblem> {
    const [, open, name, comma, literal, close] = this.tokens.slice(this.position, this.position + 6);
    if (open?.type !== '(' || name?.type !== 'word' || comma?.type !== ',' || literal?.type !== 'string' || close?.type !== ')')
      return problem('syntax', 'startswith is written startswith(property,\u0027text\u0027).');
    const property = canonicalProperty(name.text);
    if (!property || !isTextProperty(property) || NO_STARTSWITH.has(property))
      return problem('unknown_property', `startswith can’t be used with “${name.text.slice(0, 40)}”.`);
    const checked = checkValue(literal.value);
    if (!checked.ok) return checked;
    this.position += 6;
    return ok({ kind: 'startswith', property, value: checked.value });
  }
}

function checkValue(value: string): Result<string, FilterProblem> {
  const normalized = value.normalize('NFC');
  if (normalized.length > MAX_VALUE_LENGTH) return problem('value', `A value is too long (at most ${MAX_VALUE_LENGTH} characters).`);
  return ok(normalized);
}

function canonicalProperty(word: string): (typeof ALL_PROPERTIES)[number] | undefined {
  const lower = word.toLowerCase();
  return ALL_PROPERTIES.find((p) => p.toLowerCase() === lower);
}

/** `2026-01-01` (midnight UTC) or `2026-01-01T09:00:00Z` / `2026-01-01T09:00Z` → `2026-01-01T09:00:00Z`; undefined when not a real date. */
function utcInstant(text: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?Z)?$/.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map((part: string | undefined) => Number(part ?? 0));
  const at = Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 1, hour ?? 0, minute ?? 0, second ?? 0);
  const back = new Date(at);
  if (
    !Number.isFinite(at) ||
    back.getUTCFullYear() !== year ||
    back.getUTCMonth() !== (month ?? 1) - 1 ||
    back.getUTCDate() !== day ||
    (hour ?? 0) > 23 ||
    (minute ?? 0) > 59 ||
    (second ?? 0) > 59
  )
    return undefined;
  return `${back.toISOString().slice(0, 19)}Z`;
}
