/**
 * Every namespace of the state store, in one place: what each holds and who writes it. A new
 * kind of record gets its name here, so two features never share a namespace by accident and a
 * reader sees at once what a deployment's store holds. The names are stored data: never rename one.
 */
export const NAMESPACE = {
  /** Single revocation requests (src/domain/revocationRequest.ts), by request id. */
  requests: 'revocation-requests',
  /** Pick lists of several name matches, by pick id; they live as long as a request may wait. */
  picks: 'pick-lists',
  /** The one request per target waiting for approval: `tenant|target` → its request id. */
  awaitingByTarget: 'awaiting-approval-by-target',
  /** Bulk runs (src/domain/bulkRun.ts), one document per run, by run id. */
  bulkRuns: 'bulk-runs',
  /** A running bulk run's item states, in pages of a few hundred users, by `{runId}/{page}` (src/app/bulk/bulkRunPages.ts). */
  bulkRunItems: 'bulk-run-items',
  /** Where a single request's requester saw their card, so a decision can update it and tell them. */
  requesterConversations: 'request-conversations',
  /** The same for bulk runs (the run's own card, for progress and the final report). */
  bulkRequesterConversations: 'bulk-requester-conversations',
  /** A command waiting for its sender to sign in, by `tenant|person|conversation`. */
  parkedCommands: 'parked-commands',
  /** Sign-in token exchanges already acted on (Teams sends one from every open client). */
  tokenExchanges: 'token-exchanges',
  /** What the last sign-in checks of a bulk run found, per user, by run id (a check continues where the last one stopped). */
  signInChecks: 'sign-in-checks',
  /** The security channel's conversation reference, learned from Teams. */
  channelReferences: 'channel-references',
  /** Scheduled revocations (src/domain/schedule.ts): the intent only, never a token; by schedule id. The scheduler loop reads them. */
  schedules: 'scheduled-revocations',
  /** Where the person who armed a schedule talks to the bot (their due cards go there), by schedule id. */
  scheduleConversations: 'schedule-conversations',
  /** Saved selections (src/domain/selectionFilter.ts trees), by `tenant|name in lower case`. */
  selections: 'saved-selections',
  /** The last selection each person previewed, so `save selection "…"` can name it: by `tenant|person`. */
  lastSelections: 'last-selections',
  /** Alerts received on POST /api/alerts (src/domain/alert.ts), by alert id. */
  alerts: 'alerts',
  /** Exactly once per alert: a hash of `tenant|source|externalId` → its alert id (created by compare-and-set). */
  alertsByExternalId: 'alerts-by-external-id',
} as const;

/** One of the store's namespaces. */
export type StoreNamespace = (typeof NAMESPACE)[keyof typeof NAMESPACE];
