/**
 * The telemetry allow-list: every attribute a span or a metric may carry, what its value may look
 * like, and the shapes a span name may take. Whatever is not listed, or does not fit, is dropped
 * before it reaches the SDK (deny by default), so no token, secret, user principal name or display
 * name can be exported by mistake. The only ids are object ids — the tenant, the acting person —
 * and the opaque id of a bulk run. Routes and codes are checked by shape (lower-case words): their
 * values come from the code's own closed sets (the routes table, the domain's codes).
 */
import { findCredentials } from '../domain/credentialText';
import { isObjectId } from '../domain/targetReference';

export type AttributeValue = string | number | boolean;
/** Attributes as callers give them; undefined values are left out. */
export type Attributes = Readonly<Record<string, AttributeValue | undefined>>;

type Rule = (value: AttributeValue) => boolean;

const oneOf =
  (...values: readonly string[]): Rule =>
  (value) =>
    typeof value === 'string' && values.includes(value);
const shaped =
  (pattern: RegExp, maxLength: number): Rule =>
  (value) =>
    typeof value === 'string' && value.length <= maxLength && pattern.test(value);
const integerIn =
  (min: number, max: number): Rule =>
  (value) =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
const objectId: Rule = (value) => typeof value === 'string' && isObjectId(value);

/** A code from one of the bot's closed sets: lower-case words joined by `_` or `.` (rate_limited, revocation.failed). */
const CODE = shaped(/^[a-z][a-z0-9]*(?:[._][a-z0-9]+)*$/, 64);
/** A route in the bot's routes table: a command (`revoke group`), a card verb (`revocation.confirm`) or an invoke (`signin/tokenExchange`). */
const ROUTE = /^[a-z][a-zA-Z]*(?:[ ./][a-z][a-zA-Z]*){0,3}$/;
/**
 * A Graph route template (src/graph/graphTelemetry.ts): segments that are names Graph defines
 * (letters and dots, an optional leading `$`, no digits) or `{id}`, where a key was.
 */
const URL_TEMPLATE = /^(?:\/(?:\$?[A-Za-z][A-Za-z.]*(?:\(\{id\}\))?|\{id\}))+$/;
/** Why a call or a turn failed: an HTTP status code, or a library's error class name (OpenTelemetry's error.type). */
const ERROR_TYPE = /^(?:[1-5][0-9]{2}|[A-Za-z][A-Za-z0-9_.]*)$/;
const HTTP_METHODS = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'] as const;

/**
 * Every attribute telemetry may carry. Names follow OpenTelemetry's semantic conventions where
 * they exist (https://opentelemetry.io/docs/specs/semconv/http/http-spans/, enduser.id); the
 * bot's own are under `revoker.`.
 */
export const ATTRIBUTE_RULES = {
  /** The Bot Framework activity type of a turn. */
  'revoker.turn.kind': oneOf('message', 'invoke', 'conversationUpdate', 'installationUpdate', 'messageReaction', 'event'),
  'revoker.turn.route': shaped(ROUTE, 40),
  'revoker.tenant.id': objectId,
  /** The acting person's Entra object id (Application Insights shows it as the authenticated user id). */
  'enduser.id': objectId,
  'http.request.method': oneOf(...HTTP_METHODS),
  'url.template': shaped(URL_TEMPLATE, 160),
  /** A host name as URL parsing gives it (lower case, labels of at most 63 characters) or an IP address. */
  'server.address': shaped(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$|^\[[0-9a-f:]+\]$/, 253),
  'server.port': integerIn(1, 65_535),
  'http.response.status_code': integerIn(100, 599),
  'error.type': shaped(ERROR_TYPE, 64),
  'revoker.revocation.outcome': oneOf('succeeded', 'failed'),
  'revoker.failure.code': CODE,
  'revoker.refusal.code': CODE,
  /** The audit action that recorded a refusal (command.refused, request.refused, signin.refused, audit.refused). */
  'revoker.audit.action': CODE,
  'revoker.bulk.status': oneOf('done', 'failed', 'remaining'),
  /** A bulk run's id: a random GUID the bot made, naming no one. */
  'revoker.bulk.run.id': objectId,
  'revoker.storage.operation': oneOf(
    'state.get',
    'state.create',
    'state.replace',
    'state.delete',
    'state.list',
    'audit.append',
    'audit.list',
  ),
} as const satisfies Readonly<Record<string, Rule>>;

export type AttributeName = keyof typeof ATTRIBUTE_RULES;

/**
 * The allowed part of `attributes`: listed names whose values fit their rule and hold nothing
 * credential-shaped (src/domain/credentialText.ts, as the logger masks); everything else is dropped.
 */
export function allowedAttributes(attributes: Attributes | undefined): Record<string, AttributeValue> {
  const allowed: Record<string, AttributeValue> = {};
  if (!attributes) return allowed;
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || !Object.hasOwn(ATTRIBUTE_RULES, name) || !ATTRIBUTE_RULES[name as AttributeName](value)) continue;
    if (typeof value === 'string' && findCredentials(value, { minBearerLength: 8 }).length > 0) continue;
    allowed[name] = value;
  }
  return allowed;
}

const SPAN_NAMES: readonly RegExp[] = [
  new RegExp(`^turn(?: ${ROUTE.source.slice(1, -1)})?$`),
  new RegExp(`^(?:${HTTP_METHODS.join('|')}) ${URL_TEMPLATE.source.slice(1, -1)}$`),
  /^storage (?:state|audit)\.[a-z]+$/,
];

/** Whether a span may be called `name`: `turn <route>`, `<METHOD> <Graph route template>` or `storage <operation>`. */
export function isAllowedSpanName(name: string): boolean {
  return name.length <= 200 && SPAN_NAMES.some((pattern) => pattern.test(name));
}
