/**
 * How the Teams client reads Adaptive Cards and Universal Action answers (docs/teams-protocol.md):
 * finding an Action.Execute, collecting input values, and classifying the invoke response
 * under both HTTP conventions (botbuilder's HTTP status = statusCode, or HTTP 200 with the
 * status inside the body).
 */
import { arr, isObject, obj, str, type JsonObject } from './json';
import type { InvokeError } from './types';

export const LOGIN_REQUEST = 'application/vnd.microsoft.activity.loginRequest';
export const CARD_RESPONSE = 'application/vnd.microsoft.card.adaptive';
export const MESSAGE_RESPONSE = 'application/vnd.microsoft.activity.message';

export interface ExecuteAction {
  readonly id?: string;
  readonly verb: string;
  readonly title?: string;
  readonly data: JsonObject;
}

/** Universal Actions need card version 1.4 or later; older cards don't get Action.Execute. */
export function supportsUniversalActions(card: JsonObject): boolean {
  const [major = 0, minor = 0] = (str(card.version) ?? '0').split('.').map((n) => Number.parseInt(n, 10));
  return major > 1 || (major === 1 && minor >= 4);
}

/** Every element and action of the card, depth first (containers, columns, action sets, show-cards). */
function* walk(node: unknown): Generator<JsonObject> {
  if (Array.isArray(node)) {
    for (const item of node) yield* walk(item);
    return;
  }
  if (!isObject(node)) return;
  yield node;
  for (const key of ['body', 'items', 'columns', 'actions', 'card', 'inlineAction', 'selectAction']) {
    if (node[key] !== undefined) yield* walk(node[key]);
  }
}

function toExecute(node: JsonObject): ExecuteAction | undefined {
  if (node.type !== 'Action.Execute') return undefined;
  const verb = str(node.verb) ?? '';
  return {
    ...(str(node.id) ? { id: str(node.id) } : {}),
    verb,
    ...(str(node.title) ? { title: str(node.title) } : {}),
    data: { ...obj(node.data) },
  };
}

/** The Action.Execute whose title or verb is `name` (actions and ActionSets anywhere in the card; not the refresh action). */
export function findExecuteAction(card: JsonObject, name: string): ExecuteAction | undefined {
  for (const node of walk([card.body, card.actions])) {
    const action = toExecute(node);
    if (action && (action.title === name || action.verb === name)) return action;
  }
  return undefined;
}

/** The card's refresh action and who it refreshes for. */
export function refreshOf(card: JsonObject): { action: ExecuteAction; userIds?: readonly string[] } | undefined {
  const refresh = obj(card.refresh);
  const action = isObject(refresh.action) ? toExecute(refresh.action) : undefined;
  if (!action) return undefined;
  return Array.isArray(refresh.userIds)
    ? { action, userIds: refresh.userIds.filter((u): u is string => typeof u === 'string') }
    : { action };
}

/** The ids of all Input.* elements in the card. */
export function inputIds(card: JsonObject): Set<string> {
  const ids = new Set<string>();
  for (const node of walk([card.body, card.actions])) {
    if (typeof node.type === 'string' && node.type.startsWith('Input.') && str(node.id)) ids.add(str(node.id) ?? '');
  }
  return ids;
}

/** The inputs' initial values (what the client sends when the user changed nothing). */
export function initialInputValues(card: JsonObject): Record<string, string> {
  const values: Record<string, string> = {};
  for (const node of walk([card.body, card.actions])) {
    const id = str(node.id);
    const value = node.value;
    const given = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
    if (typeof node.type === 'string' && node.type.startsWith('Input.') && id && given) {
      values[id] = String(value);
    }
  }
  return values;
}

/** How the client reads an adaptiveCard/action answer. */
export type ActionAnswer =
  | { readonly kind: 'card'; readonly card: JsonObject }
  | { readonly kind: 'message'; readonly text: string }
  | { readonly kind: 'loginRequest'; readonly oauthCard: JsonObject }
  | { readonly kind: 'preconditionFailed'; readonly error: InvokeError }
  | { readonly kind: 'empty' }
  | { readonly kind: 'error'; readonly status: number; readonly error: InvokeError };

/** The semantic status: the body's statusCode when it has one (HTTP 200 convention), else the HTTP status. */
export function semanticStatus(httpStatus: number, body: unknown): number {
  const code = isObject(body) ? body.statusCode : undefined;
  return typeof code === 'number' ? code : httpStatus;
}

function errorOf(status: number, body: unknown): InvokeError {
  const value = isObject(body) ? obj(body.value) : {};
  const nested = isObject(body) ? obj(body.error) : {};
  const code = str(value.code) ?? str(nested.code) ?? `HTTP ${status}`;
  const message = str(value.message) ?? str(nested.message) ?? (typeof body === 'string' ? body : '');
  return { code, message };
}

export function classifyActionAnswer(httpStatus: number, body: unknown): ActionAnswer {
  if (httpStatus === 0) return { kind: 'error', status: 0, error: errorOf(0, body) };
  const status = semanticStatus(httpStatus, body);
  const type = isObject(body) ? str(body.type) : undefined;
  if (status === 401 && type === LOGIN_REQUEST && isObject(body) && isObject(body.value))
    return { kind: 'loginRequest', oauthCard: body.value };
  if (status === 412) return { kind: 'preconditionFailed', error: errorOf(status, body) };
  if (status === 200 && httpStatus >= 200 && httpStatus < 300) {
    if (type === CARD_RESPONSE && isObject(body) && isObject(body.value)) return { kind: 'card', card: body.value };
    if (type === MESSAGE_RESPONSE && isObject(body)) return { kind: 'message', text: typeof body.value === 'string' ? body.value : '' };
    if (body === undefined || (isObject(body) && type === undefined)) return { kind: 'empty' };
  }
  return { kind: 'error', status, error: errorOf(status, body) };
}

/** A short label for a step, e.g. 'invoke→401 loginRequest'. */
export function describeAnswer(prefix: string, httpStatus: number, answer: ActionAnswer): string {
  if (httpStatus === 0) return `${prefix}→unreachable`;
  switch (answer.kind) {
    case 'loginRequest':
      return `${prefix}→401 loginRequest`;
    case 'preconditionFailed':
      return `${prefix}→412`;
    case 'error':
      return `${prefix}→${answer.status} ${answer.error.code}`;
    default:
      return `${prefix}→200`;
  }
}

/** The sign-in button's URL of an OAuthCard. */
export function signInUrlOf(oauthCard: JsonObject): string | undefined {
  for (const button of arr(oauthCard.buttons)) {
    if (isObject(button) && (button.type === 'signin' || button.type === 'openUrl') && str(button.value)) return str(button.value);
  }
  return undefined;
}
