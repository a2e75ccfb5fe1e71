/** Data for cards/bulk.json: a bulk run from confirmation to final report. */
import { refreshBinding, type RefreshBinding } from './refresh';
import { listText, localDateAndTime, markdownIdentifier, markdownText, plainText } from './text';
import type { BulkView } from './views';

export const BULK_TEMPLATE = 'bulk.json';

export interface BulkCardData extends RefreshBinding {
  runId: string;
  title: string;
  titleColor: 'Default' | 'Good' | 'Attention' | 'Warning';
  headline: string;
  requester: string;
  hasReason: boolean;
  reason: string;
  /** Counts are strings: FactSet values must be. */
  total: string;
  adminSummary: string;
  hasProgress: boolean;
  done: string;
  failed: string;
  remaining: string;
  hasSample: boolean;
  sample: string;
  hasAdmins: boolean;
  adminList: string;
  status: string;
  hasFailures: boolean;
  failureList: string;
  hasNotice: boolean;
  notice: string;
  askReason: boolean;
  isApprover: boolean;
  isOpen: boolean;
  canStart: boolean;
  canRequest: boolean;
  canCancel: boolean;
  canRefresh: boolean;
  expiresAt: string;
  fallbackText: string;
  canCheckSignIns: boolean;
}

/** Failures listed on the card; the rest are counted (each one is in the audit trail), so a large run's card stays small. */
export const FAILURES_SHOWN = 20;

const COUNT = new Intl.NumberFormat('en-US');

/** A count as people read it: 10,000. */
function count(n: number): string {
  return COUNT.format(n);
}

/**
 * Time left in words, rounded as a person would say it: "less than a minute left",
 * "about 4 minutes left", "about 1.5 hours left"; undefined when unknown.
 */
export function timeLeftText(ms: number | undefined): string | undefined {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return undefined;
  if (ms < 60_000) return 'less than a minute left';
  const minutes = Math.round(ms / 60_000);
  if (minutes < 90) return `about ${minutes} minute${minutes === 1 ? '' : 's'} left`;
  const hours = Math.round(ms / 1_800_000) / 2;
  return `about ${hours} hours left`;
}

const TITLES: Record<BulkView['state'], [string, BulkCardData['titleColor']]> = {
  pending: ['Revoke sign-in sessions of many users?', 'Warning'],
  awaiting: ['Approval needed: bulk revocation', 'Warning'],
  running: ['Revoking sessions…', 'Default'],
  completed: ['Bulk revocation finished', 'Good'],
  cancelled: ['Cancelled', 'Default'],
  rejected: ['Rejected', 'Default'],
  expired: ['Expired', 'Default'],
};

function status(view: BulkView): string {
  // Names are escaped here; the sentence itself carries {{DATE()}} functions and must not be.
  const by = markdownText(view.decidedByName ?? 'someone');
  const when = localDateAndTime(view.decidedAt, '');
  switch (view.state) {
    case 'pending':
      return view.approvalChannelName
        ? `Your organisation requires a second person to approve. The request goes to ${markdownText(view.approvalChannelName)}.`
        : 'Check who is in it, then revoke.';
    case 'awaiting':
      return view.viewer === 'approver'
        ? 'Check who is in it, then approve or reject. You cannot approve your own requests.'
        : 'Waiting for an approver.';
    case 'running': {
      const left = timeLeftText(view.timeLeftInMs);
      const pace = left ? ` ${left.charAt(0).toUpperCase()}${left.slice(1)} at the pace Microsoft Graph allows.` : '';
      return `Started by ${by}.${pace} This card updates as batches finish.`;
    }
    case 'completed': {
      const p = view.progress;
      const verified = view.verified ? ` (${view.verified} confirmed by reading back after an interruption)` : '';
      return p ? `Done ${when}: ${count(p.done)} revoked${verified}, ${count(p.failed)} not revoked.` : `Done ${when}.`;
    }
    case 'cancelled':
      return view.progress && view.progress.done > 0
        ? `Cancelled by ${by} after ${count(view.progress.done)} were revoked; the rest were not.`
        : `Cancelled by ${by}. Nothing was changed.`;
    case 'rejected':
      return view.rejectReason
        ? `Rejected by ${by} ${when}: “${markdownText(view.rejectReason)}”`
        : `Rejected by ${by} ${when}. Nothing was changed.`;
    case 'expired':
      return 'Nobody started or approved this in time. Nothing was changed.';
  }
}

export function bulkCardData(view: BulkView): BulkCardData {
  const [title, titleColor] = TITLES[view.state];
  const t = view.tierCounts;
  const admins = t.limitedAdmin + t.privilegedAdmin;
  const adminSummary =
    admins === 0 && t.unknown === 0
      ? 'none'
      : `${t.privilegedAdmin} privileged, ${t.limitedAdmin} limited${t.unknown ? `, ${t.unknown} unknown (roles could not be read)` : ''}`;
  const open = view.state === 'pending' || view.state === 'awaiting';
  const isApprover = view.state === 'awaiting' && view.viewer === 'approver';
  const isRequester = view.viewer === 'requester';
  const shownAdmins = view.admins.slice(0, 10);
  const shownFailures = view.failures.slice(0, FAILURES_SHOWN);
  const moreFailures = view.failures.length - shownFailures.length;
  return {
    runId: view.runId,
    title,
    titleColor,
    headline: markdownText(`${count(view.total)} users in ${view.sourceLabel}`),
    requester: markdownText(view.requesterName),
    hasReason: Boolean(view.reason),
    reason: markdownText(view.reason ?? ''),
    total: count(view.total),
    adminSummary: markdownText(adminSummary),
    hasProgress: view.progress !== undefined,
    done: count(view.progress?.done ?? 0),
    failed: count(view.progress?.failed ?? 0),
    remaining: count(view.progress?.remaining ?? 0),
    hasSample: view.sample.length > 0 && (view.state === 'pending' || view.state === 'awaiting'),
    sample: markdownText(
      view.total > view.sample.length
        ? `Including ${view.sample.join(', ')} and ${count(view.total - view.sample.length)} more.`
        : `Including ${listText(view.sample, 'and')}.`,
    ),
    hasAdmins: shownAdmins.length > 0 && open,
    adminList: markdownText(
      `Admins in it: ${shownAdmins.join('; ')}${view.admins.length > shownAdmins.length ? `; and ${count(view.admins.length - shownAdmins.length)} more` : ''}. Entra decides per person; privileged admins need a Privileged Authentication Administrator or Global Administrator.`,
    ),
    status: status(view),
    hasFailures: view.failures.length > 0,
    failureList: [
      ...shownFailures.map((f) => `- ${markdownText(f.name)} (${markdownIdentifier(f.userPrincipalName)}): ${markdownText(f.reason)}`),
      ...(moreFailures > 0 ? [`- and ${count(moreFailures)} more; the audit trail names each one and why.`] : []),
    ].join('\r'),
    hasNotice: Boolean(view.notice),
    notice: markdownText(view.notice ?? ''),
    askReason: view.state === 'pending' && isRequester && view.approvalChannelName !== undefined,
    isApprover,
    isOpen: open,
    canStart: view.state === 'pending' && isRequester && view.approvalChannelName === undefined,
    canRequest: view.state === 'pending' && isRequester && view.approvalChannelName !== undefined,
    canCancel: isRequester && (open || view.state === 'running'),
    canRefresh: view.state === 'awaiting' || view.state === 'running',
    expiresAt: localDateAndTime(view.expiresAt, 'soon'),
    fallbackText: markdownText(`${title}: ${count(view.total)} users in ${plainText(view.sourceLabel)}.`),
    canCheckSignIns: view.canCheckSignIns === true && (view.state === 'completed' || view.state === 'cancelled'),
    ...refreshBinding(open || view.state === 'running' ? view.runId : undefined, view.refreshUserIds),
  };
}
