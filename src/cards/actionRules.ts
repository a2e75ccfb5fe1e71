/**
 * What an Action.Execute on this bot's cards may carry. Data holds opaque ids only — never names,
 * UPNs or anything else a person could read or forge meaning into — so the bot re-reads everything
 * it acts on from its own request store.
 */
import { VERB, type Verb } from './verbs';
import { isRecord } from '../domain/json';
import { isObjectId } from '../domain/targetReference';

/**
 * The data key that names what a click is about: a request, a pick list or a bulk run (an opaque
 * id the bot reloads from its store).
 */
export const SUBJECT_ID_KEY = 'subjectId';

/** The key cards posted before the rename carry instead (`requestId`); still accepted, never written. */
export const LEGACY_SUBJECT_ID_KEY = 'requestId';

/** The only keys an Action.Execute's `data` may have, per verb. */
export const ACTION_DATA_KEYS: Readonly<Record<Verb, readonly string[]>> = {
  [VERB.confirm]: [SUBJECT_ID_KEY],
  [VERB.cancel]: [SUBJECT_ID_KEY],
  [VERB.retry]: [SUBJECT_ID_KEY],
  [VERB.refresh]: [SUBJECT_ID_KEY],
  [VERB.pick]: [SUBJECT_ID_KEY, 'choice'],
  [VERB.request]: [SUBJECT_ID_KEY],
  [VERB.approve]: [SUBJECT_ID_KEY],
  [VERB.reject]: [SUBJECT_ID_KEY],
  [VERB.bulkStart]: [SUBJECT_ID_KEY],
  [VERB.bulkRequest]: [SUBJECT_ID_KEY],
  [VERB.bulkApprove]: [SUBJECT_ID_KEY],
  [VERB.bulkReject]: [SUBJECT_ID_KEY],
  [VERB.bulkCancel]: [SUBJECT_ID_KEY],
  [VERB.bulkRefresh]: [SUBJECT_ID_KEY],
  [VERB.reviewMethods]: [SUBJECT_ID_KEY],
  [VERB.checkSignIns]: [SUBJECT_ID_KEY],
  [VERB.recheckSignIns]: [SUBJECT_ID_KEY],
  [VERB.checkRunSignIns]: [SUBJECT_ID_KEY],
  [VERB.recheckRunSignIns]: [SUBJECT_ID_KEY],
  [VERB.scheduleArm]: [SUBJECT_ID_KEY],
  [VERB.scheduleRun]: [SUBJECT_ID_KEY, 'occurrence'],
  [VERB.scheduleCancel]: [SUBJECT_ID_KEY],
  [VERB.scheduleRequest]: [SUBJECT_ID_KEY],
  [VERB.scheduleApprove]: [SUBJECT_ID_KEY],
  [VERB.scheduleReject]: [SUBJECT_ID_KEY],
  [VERB.alertRevoke]: [SUBJECT_ID_KEY],
  [VERB.alertContain]: [SUBJECT_ID_KEY],
  [VERB.alertConfirmCompromised]: [SUBJECT_ID_KEY],
  [VERB.alertDismissRisk]: [SUBJECT_ID_KEY],
  [VERB.alertClose]: [SUBJECT_ID_KEY],
  [VERB.alertDetails]: [SUBJECT_ID_KEY],
  [VERB.riskyEscalate]: [SUBJECT_ID_KEY, 'choice'],
};

/** The subject id a click's data carries (lower-cased), from either key; undefined unless it is a GUID. */
export function subjectIdOf(data: Readonly<Record<string, unknown>>): string | undefined {
  const id = data[SUBJECT_ID_KEY] ?? data[LEGACY_SUBJECT_ID_KEY];
  return typeof id === 'string' && isObjectId(id) ? id.toLowerCase() : undefined;
}

/** Oldest Adaptive Card schema version the templates may declare (Universal Actions + isEnabled etc.). */
export const MIN_CARD_VERSION = '1.5';

/** True when `version` ("1.5", "1.6") is at least `minimum`. */
export function isVersionAtLeast(version: string, minimum: string): boolean {
  const parse = (v: string): number[] => v.split('.').map((part) => Number.parseInt(part, 10));
  const have = parse(version);
  const need = parse(minimum);
  if (!/^\d+(\.\d+)*$/.test(version)) return false;
  for (let i = 0; i < Math.max(have.length, need.length); i += 1) {
    const a = have[i] ?? 0;
    const b = need[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/** Every Action.Execute anywhere in `node` (actions, ActionSets, selectAction, refresh), with its JSON path. */
export function findExecuteActions(node: unknown, path = '$'): { path: string; action: Record<string, unknown> }[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => findExecuteActions(item, `${path}[${i}]`));
  if (!isRecord(node)) return [];
  const own = node.type === 'Action.Execute' ? [{ path, action: node }] : [];
  return own.concat(Object.entries(node).flatMap(([key, value]) => findExecuteActions(value, `${path}.${key}`)));
}

/** Problems with the Action.Execute actions in `card` (unknown verb, data keys beyond {@link ACTION_DATA_KEYS}); [] when none. */
export function actionProblems(card: unknown, isKnownVerb: (verb: unknown) => verb is Verb): string[] {
  return findExecuteActions(card).flatMap(({ path, action }) => {
    const verb = action.verb;
    if (!isKnownVerb(verb)) return [`${path}: verb ${JSON.stringify(verb)} is not one of the bot's verbs`];
    const data = action.data;
    if (!isRecord(data)) return [`${path}: data must be an object`];
    const allowed = ACTION_DATA_KEYS[verb];
    return Object.keys(data)
      .filter((key) => !allowed.includes(key))
      .map((key) => `${path}: data key "${key}" is not allowed for ${verb}`);
  });
}
