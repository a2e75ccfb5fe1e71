/**
 * The `verb` of every Action.Execute this bot puts on a card. Teams sends the verb back in the
 * `adaptiveCard/action` invoke; the bot routes on it and on nothing else the card carries.
 */
export const VERB = {
  confirm: 'revocation.confirm',
  cancel: 'revocation.cancel',
  pick: 'revocation.pick',
  retry: 'revocation.retry',
  refresh: 'revocation.refresh',
  /** Four eyes: the requester sends the request to the security channel. */
  request: 'revocation.request',
  approve: 'approval.approve',
  reject: 'approval.reject',
  /** Bulk runs (group or department): data { subjectId: runId }. */
  bulkStart: 'bulk.start',
  bulkRequest: 'bulk.request',
  bulkApprove: 'bulk.approve',
  bulkReject: 'bulk.reject',
  bulkCancel: 'bulk.cancel',
  bulkRefresh: 'bulk.refresh',
} as const;

/** One of the verbs in {@link VERB}. */
export type Verb = (typeof VERB)[keyof typeof VERB];

/** Every verb the bot accepts; an invoke with any other verb is refused. */
export const ALL_VERBS: readonly Verb[] = Object.freeze(Object.values(VERB));

/** True when `value` is one of the bot's verbs (use it to narrow an invoke's `action.verb`). */
export function isVerb(value: unknown): value is Verb {
  return typeof value === 'string' && (ALL_VERBS as readonly string[]).includes(value);
}
