/**
 * Query options on Graph collections and entities: $select, $filter, $search, $orderby,
 * $count, $top and paging with @odata.nextLink/$skiptoken, including Graph's rule that
 * $search, $count and advanced filters need `ConsistencyLevel: eventual`.
 */
import { badRequest, failure, success, type GraphError, type GraphResult } from './responses';
import {
  checkFilter,
  decodeSkipToken,
  DEFAULT_PAGE_SIZE,
  encodeSkipToken,
  evaluateFilter,
  evaluateSearch,
  parseFilter,
  parseSearch,
  parseSelect,
  parseTop,
  type FilterCapabilities,
  type Parsed,
  type QueryProblem,
} from './odata';
import type { Json } from './resources';

/** What a handler knows about the request it is answering. */
export interface QueryContext {
  /** The path after /v1.0, as sent (for @odata.nextLink). */
  readonly rawPath: string;
  readonly query: URLSearchParams;
  header(name: string): string | undefined;
  /** e.g. https://127.0.0.1:4443 */
  readonly endpoint: string;
}

export function problem(p: QueryProblem): GraphError {
  return failure(400, p.code, p.message);
}

function consistencyEventual(ctx: QueryContext): boolean {
  return ctx.header('consistencylevel')?.trim().toLowerCase() === 'eventual';
}

/**
 * Refuses system query options the operation does not support, and any given twice (OData's
 * rule: a client that leaves a raw `&` in a value can smuggle in a second `$filter`, which Graph
 * refuses rather than picking one).
 */
function checkOptions(ctx: QueryContext, allowed: readonly string[]): GraphError | undefined {
  const seen = new Set<string>();
  for (const name of ctx.query.keys()) {
    const option = name.toLowerCase();
    if (!option.startsWith('$')) continue;
    if (!allowed.includes(option)) return badRequest(`The query parameter '${name}' is not supported.`);
    if (seen.has(option)) return badRequest(`Query option '${name}' was specified more than once, but it must be specified at most once.`);
    seen.add(option);
  }
  return undefined;
}

function option(ctx: QueryContext, name: string): string | undefined {
  for (const [key, value] of ctx.query) if (key.toLowerCase() === name) return value;
  return undefined;
}

function metadataUrl(ctx: QueryContext, fragment: string): string {
  return `${ctx.endpoint}/v1.0/$metadata#${fragment}`;
}

/** Reads $select for an entity or collection; undefined when absent. */
function selection(ctx: QueryContext, properties: readonly string[], typeName: string): Parsed<string[] | undefined> {
  const text = option(ctx, '$select');
  if (text === undefined) return { ok: true, value: undefined };
  return parseSelect(text, properties, typeName);
}

export interface EntitySpec {
  readonly typeName: string;
  readonly properties: readonly string[];
  /** e.g. 'users' → `$metadata#users/$entity` or `$metadata#users(id,displayName)/$entity`. */
  readonly entitySet: string;
}

/** GET of a single entity: only $select is accepted. */
export function getEntity(ctx: QueryContext, spec: EntitySpec, shape: (select: readonly string[] | undefined) => Json): GraphResult {
  const refused = checkOptions(ctx, ['$select']);
  if (refused) return refused;
  const select = selection(ctx, spec.properties, spec.typeName);
  if (!select.ok) return problem(select);
  const set = select.value ? `${spec.entitySet}(${select.value.join(',')})` : spec.entitySet;
  return success(200, { '@odata.context': metadataUrl(ctx, `${set}/$entity`), ...shape(select.value) });
}

export interface CollectionSpec<T> {
  readonly typeName: string;
  /** Properties $select may name. */
  readonly properties: readonly string[];
  /** The context fragment, e.g. 'users' or 'directoryObjects'. */
  readonly contextFragment: string;
  /** Whether $select shows in the context URL (entity sets like users and groups). */
  readonly selectInContext?: boolean;
  readonly read: (item: T, property: string) => unknown;
  readonly filter?: FilterCapabilities;
  readonly searchable?: readonly string[];
  readonly orderable?: readonly string[];
  /** $expand support: returns the extra properties to add to each item. */
  readonly expand?: (text: string) => Parsed<(item: T) => Json>;
  /** Whether $top and paging apply. */
  readonly paged?: boolean;
  /** Page size without $top, and the largest $top allowed (directory collections: 100 and 999). */
  readonly defaultTop?: number;
  readonly maxTop?: number;
  readonly shape: (item: T, select: readonly string[] | undefined) => Json;
}

function nextLink(ctx: QueryContext, offset: number): string {
  const parts: string[] = [];
  for (const [key, value] of ctx.query) {
    if (key.toLowerCase() === '$skiptoken') continue;
    parts.push(`${encodeURIComponent(key).replace(/^%24/, '$')}=${encodeURIComponent(value)}`);
  }
  parts.push(`$skiptoken=${encodeSkipToken(offset)}`);
  return `${ctx.endpoint}/v1.0${ctx.rawPath}?${parts.join('&')}`;
}

function compareValues(a: unknown, b: unknown): number {
  const left = sortText(a);
  const right = sortText(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

/** A property value as $orderby compares it: case-insensitive text, a missing value first. */
function sortText(value: unknown): string {
  if (value === null || value === undefined) return '';
  const primitive = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
  return (primitive ? String(value) : JSON.stringify(value)).toLowerCase();
}

const SEARCH_NEEDS_EVENTUAL =
  "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'";

/** GET of a collection with the query options the spec allows. */
export function listCollection<T>(ctx: QueryContext, items: readonly T[], spec: CollectionSpec<T>): GraphResult {
  const allowed = ['$select', '$count'];
  if (spec.filter) allowed.push('$filter');
  if (spec.searchable) allowed.push('$search');
  if (spec.orderable) allowed.push('$orderby');
  if (spec.expand) allowed.push('$expand');
  if (spec.paged !== false) allowed.push('$top', '$skiptoken');
  const refused = checkOptions(ctx, allowed);
  if (refused) return refused;

  const eventual = consistencyEventual(ctx);
  const countText = option(ctx, '$count');
  if (countText !== undefined && countText !== 'true' && countText !== 'false')
    return badRequest(`Invalid value '${countText}' for $count.`);
  const count = countText === 'true';
  if (count && !eventual) return badRequest('$count is not currently supported.');

  let selected = [...items];

  const searchText = option(ctx, '$search');
  if (searchText !== undefined && spec.searchable) {
    if (!eventual) return badRequest(SEARCH_NEEDS_EVENTUAL, 'Request_UnsupportedQuery');
    const search = parseSearch(searchText, spec.searchable, spec.typeName);
    if (!search.ok) return problem(search);
    selected = selected.filter((item) => evaluateSearch(search.value, (p) => spec.read(item, p)));
  }

  const filterText = option(ctx, '$filter');
  if (filterText !== undefined && spec.filter) {
    const filter = parseFilter(filterText);
    if (!filter.ok) return problem(filter);
    const check = checkFilter(filter.value, spec.filter);
    if (!check.ok) return problem(check);
    // Advanced queries (endswith, ne, not) need ConsistencyLevel: eventual and $count=true.
    if (check.value.advanced && !(eventual && count)) return badRequest('Unsupported Query.', 'Request_UnsupportedQuery');
    selected = selected.filter((item) => evaluateFilter(filter.value, (p) => spec.read(item, p)));
  }

  const orderText = option(ctx, '$orderby');
  if (orderText !== undefined && spec.orderable) {
    const match = /^\s*([A-Za-z]+)(?:\s+(asc|desc))?\s*$/i.exec(orderText);
    const property = spec.orderable.find((p) => p.toLowerCase() === match?.[1]?.toLowerCase());
    if (!match || !property) return badRequest(`Invalid $orderby value '${orderText}'.`, 'Request_UnsupportedQuery');
    if (filterText !== undefined && !(eventual && count))
      return badRequest('Sorting not supported for current query.', 'Request_UnsupportedQuery');
    const direction = match[2]?.toLowerCase() === 'desc' ? -1 : 1;
    selected.sort((a, b) => direction * compareValues(spec.read(a, property), spec.read(b, property)));
  }

  const select = selection(ctx, spec.properties, spec.typeName);
  if (!select.ok) return problem(select);

  let extra: ((item: T) => Json) | undefined;
  const expandText = option(ctx, '$expand');
  if (expandText !== undefined && spec.expand) {
    const expand = spec.expand(expandText);
    if (!expand.ok) return problem(expand);
    extra = expand.value;
  }

  const total = selected.length;
  let offset = 0;
  let nextOffset: number | undefined;
  if (spec.paged !== false) {
    const topText = option(ctx, '$top');
    const top = topText === undefined ? { ok: true as const, value: spec.defaultTop ?? DEFAULT_PAGE_SIZE } : parseTop(topText, spec.maxTop);
    if (!top.ok) return problem(top);
    const skipText = option(ctx, '$skiptoken');
    if (skipText !== undefined) {
      const skip = decodeSkipToken(skipText);
      if (!skip.ok) return problem(skip);
      offset = skip.value;
    }
    if (offset + top.value < total) nextOffset = offset + top.value;
    selected = selected.slice(offset, offset + top.value);
  }

  const fragment = spec.selectInContext && select.value ? `${spec.contextFragment}(${select.value.join(',')})` : spec.contextFragment;
  const body: Json = { '@odata.context': metadataUrl(ctx, fragment) };
  if (count) body['@odata.count'] = total;
  if (nextOffset !== undefined) body['@odata.nextLink'] = nextLink(ctx, nextOffset);
  body.value = selected.map((item) => ({ ...spec.shape(item, select.value), ...extra?.(item) }));
  return success(200, body);
}
