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
    case 'running':
      return `Started by ${by}. This card updates as batches finish.`;
    case 'completed': {
      const p = view.progress;
      const verified = view.verified ? ` (${view.verified} confirmed by reading back after an interruption)` : '';
      return p ? `Done ${when}: ${p.done} revoked${verified}, ${p.failed} not revoked.` : `Done ${when}.`;
    }
    case 'cancelled':
      return view.progress && view.progress.done > 0
        ? `Cancelled by ${by} after ${view.progress.done} were revoked; the rest were not.`
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
  return {
    runId: view.runId,
    title,
    titleColor,
    headline: markdownText(`${view.total} users in ${view.sourceLabel}`),
    requester: markdownText(view.requesterName),
    hasReason: Boolean(view.reason),
    reason: markdownText(view.reason ?? ''),
    total: String(view.total),
    adminSummary: markdownText(adminSummary),
    hasProgress: view.progress !== undefined,
    done: String(view.progress?.done ?? 0),
    failed: String(view.progress?.failed ?? 0),
    remaining: String(view.progress?.remaining ?? 0),
    hasSample: view.sample.length > 0 && (view.state === 'pending' || view.state === 'awaiting'),
    sample: markdownText(
      view.total > view.sample.length
        ? `Including ${view.sample.join(', ')} and ${view.total - view.sample.length} more.`
        : `Including ${listText(view.sample, 'and')}.`,
    ),
    hasAdmins: shownAdmins.length > 0 && open,
    adminList: markdownText(
      `Admins in it: ${shownAdmins.join('; ')}${view.admins.length > shownAdmins.length ? `; and ${view.admins.length - shownAdmins.length} more` : ''}. Entra decides per person; privileged admins need a Privileged Authentication Administrator or Global Administrator.`,
    ),
    status: status(view),
    hasFailures: view.failures.length > 0,
    failureList: view.failures
      .map((f) => `- ${markdownText(f.name)} (${markdownIdentifier(f.userPrincipalName)}): ${markdownText(f.reason)}`)
      .join('\r'),
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
    fallbackText: markdownText(`${title}: ${view.total} users in ${plainText(view.sourceLabel)}.`),
    canCheckSignIns: view.canCheckSignIns === true && (view.state === 'completed' || view.state === 'cancelled'),
    ...refreshBinding(open || view.state === 'running' ? view.runId : undefined, view.refreshUserIds),
  };
}
