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
  /** The requester reads the target's sign-in methods onto the lookup card. */
  reviewMethods: 'revocation.methods',
  /** After a revoke: what the sign-in logs say since (posted as a new card). */
  checkSignIns: 'signIns.check',
  /** The same again, on the evidence card itself. */
  recheckSignIns: 'signIns.recheck',
  /** After a bulk run: one check for every user it revoked. */
  checkRunSignIns: 'signIns.checkRun',
  recheckRunSignIns: 'signIns.recheckRun',
  /** Scheduled revocations: arm a proposal, run a due card (data { subjectId, occurrence }), cancel. */
  scheduleArm: 'schedule.arm',
  scheduleRun: 'schedule.run',
  scheduleCancel: 'schedule.cancel',
  /** Four eyes: the author asks for approval; an approver approves (arms) or rejects. */
  scheduleRequest: 'schedule.request',
  scheduleApprove: 'schedule.approve',
  scheduleReject: 'schedule.reject',
  /** An alert in the security channel (data { subjectId: alertId }): each action runs with the clicker's token. */
  alertRevoke: 'alert.revoke',
  alertContain: 'alert.contain',
  alertConfirmCompromised: 'alert.confirmCompromised',
  alertDismissRisk: 'alert.dismissRisk',
  /** "Show details": the first clicker's token loads the alert's users (roles, tier, account, last revoke, risk). */
  alertDetails: 'alert.details',
  /** From the `risky` inbox (data { subjectId: pickId, choice }): send that user to the security channel as an alert. */
  riskyEscalate: 'risky.escalate',
  /** "Not our case": closes the alert with the clicker's note, nothing done in the directory. */
  alertClose: 'alert.close',
} as const;

/** One of the verbs in {@link VERB}. */
export type Verb = (typeof VERB)[keyof typeof VERB];

/** Every verb the bot accepts; an invoke with any other verb is refused. */
export const ALL_VERBS: readonly Verb[] = Object.freeze(Object.values(VERB));

/** True when `value` is one of the bot's verbs (use it to narrow an invoke's `action.verb`). */
export function isVerb(value: unknown): value is Verb {
  return typeof value === 'string' && (ALL_VERBS as readonly string[]).includes(value);
}
