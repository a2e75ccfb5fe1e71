/** Data for cards/audit.json: the newest audit records, one block each, newest first. */
import { localDateAndTime, markdownIdentifier, markdownText, plainText } from './text';

/** Template file under cards/. */
export const AUDIT_TEMPLATE = 'audit.json';

/** One audit record as the card shows it. Every string is shown literally. */
export interface AuditEntryView {
  /** ISO time of the event. */
  at: string;
  /** The audit action, e.g. 'revocation.succeeded'. */
  action: string;
  outcome: 'ok' | 'refused' | 'failed' | 'info';
  /** Who acted, e.g. 'Uma Useradmin (uma@contoso.com)'. */
  actor?: string;
  /** Whom it was about. */
  target?: string;
  /** Why (a failure or refusal code), when there is one. */
  code?: string;
  graphRequestId?: string;
  /** A short reference to the request (its first 8 characters), to match records of one request. */
  requestRef?: string;
  detail?: string;
}

/** `audit`: the newest records matching the reader's filter. */
export interface AuditView {
  /** e.g. 'Last 10 actions' or 'Last 10 actions about Adele Vance (adele@contoso.com)'. */
  scope: string;
  entries: AuditEntryView[];
  /** Older matching records exist. */
  more: boolean;
  /** e.g. 'At most 50 records fit on a card.' */
  note?: string;
}

/** What each action is called on the card. */
export const AUDIT_ACTION_LABELS: Readonly<Record<string, string>> = {
  'command.received': 'Command received',
  'command.refused': 'Command refused',
  'lookup.completed': 'Looked up',
  'lookup.failed': 'Lookup failed',
  'request.created': 'Revocation requested',
  'request.cancelled': 'Request cancelled',
  'request.expired': 'Request expired',
  'request.confirmed': 'Request confirmed',
  'request.refused': 'Click refused',
  'revocation.started': 'Revocation started',
  'revocation.succeeded': 'Sessions revoked',
  'revocation.failed': 'Revocation failed',
  'signin.refused': 'Sign-in refused',
  'approval.requested': 'Approval requested',
  'approval.approved': 'Approved',
  'approval.rejected': 'Rejected',
  'containment.succeeded': 'Containment step done',
  'containment.failed': 'Containment step failed',
  'signins.checked': 'Sign-in logs checked',
  'methods.read': 'Sign-in methods read',
  'audit.viewed': 'Audit trail viewed',
  'audit.exported': 'Audit trail exported',
  'audit.refused': 'Audit trail refused',
  'schedule.armed': 'Schedule armed',
  'schedule.cancelled': 'Schedule cancelled',
  'schedule.due': 'Schedule due',
  'schedule.reminded': 'Schedule reminder',
  'schedule.missed': 'Schedule missed',
  'alert.received': 'Alert received',
  'alert.refused': 'Alert refused',
};

const COLORS: Readonly<Record<AuditEntryView['outcome'], string>> = {
  ok: 'Good',
  failed: 'Attention',
  refused: 'Warning',
  info: 'Default',
};
const OUTCOME_WORDS: Readonly<Record<AuditEntryView['outcome'], string>> = {
  ok: 'succeeded',
  failed: 'failed',
  refused: 'refused',
  info: 'recorded',
};

/** What cards/audit.json binds. */
export interface AuditCardData {
  scope: string;
  isEmpty: boolean;
  entries: { headline: string; color: string; facts: { title: string; value: string }[] }[];
  hasNote: boolean;
  note: string;
  fallbackText: string;
}

/** Binds an {@link AuditView} for cards/audit.json. */
export function auditCardData(view: AuditView): AuditCardData {
  const entries = view.entries.map((entry) => {
    const label = AUDIT_ACTION_LABELS[entry.action] ?? entry.action;
    const facts: { title: string; value: string }[] = [];
    if (entry.actor) facts.push({ title: 'By', value: markdownText(entry.actor) });
    if (entry.target) facts.push({ title: 'About', value: markdownText(entry.target) });
    facts.push({
      title: 'Outcome',
      value: markdownText(entry.code ? `${OUTCOME_WORDS[entry.outcome]} (${entry.code})` : OUTCOME_WORDS[entry.outcome]),
    });
    if (entry.detail) facts.push({ title: 'Detail', value: markdownText(entry.detail) });
    if (entry.requestRef) facts.push({ title: 'Request', value: markdownIdentifier(entry.requestRef) });
    if (entry.graphRequestId) facts.push({ title: 'Graph request id', value: markdownIdentifier(entry.graphRequestId) });
    return {
      headline: `${localDateAndTime(entry.at, markdownIdentifier(entry.at))} · ${markdownText(label)}`,
      color: COLORS[entry.outcome],
      facts,
    };
  });
  const notes = [view.more ? 'Older records match too: ask for more (audit 50) or use npm run audit:export.' : '', view.note ?? '']
    .filter((n) => n !== '')
    .join(' ');
  return {
    scope: markdownText(view.scope),
    isEmpty: entries.length === 0,
    entries,
    hasNote: notes !== '',
    note: markdownText(notes),
    fallbackText: markdownText(
      `Audit trail: ${plainText(view.scope)}, ${view.entries.length} record${view.entries.length === 1 ? '' : 's'}.`,
    ),
  };
}
