/** Data for cards/approval.json: a request waiting for (or decided by) a second person. */
import { refreshBinding, type RefreshBinding } from './refresh';
import { targetPlainLabel, targetText, type TargetText } from './targetText';
import { localDateAndTime, markdownIdentifier, markdownText, plainText } from './text';
import type { ApprovalView } from './views';
import { containmentText } from './succeededCard';

export const APPROVAL_TEMPLATE = 'approval.json';

export interface ApprovalCardData extends RefreshBinding {
  requestId: string;
  target: TargetText;
  title: string;
  titleColor: 'Default' | 'Good' | 'Attention' | 'Warning';
  requester: string;
  hasReason: boolean;
  reason: string;
  requestedAt: string;
  expiresAt: string;
  channelName: string;
  status: string;
  hasAttempts: boolean;
  attempts: string;
  hasNotice: boolean;
  notice: string;
  hasPlan: boolean;
  plan: string;
  hasContainment: boolean;
  containment: string;
  isOpen: boolean;
  isApprover: boolean;
  isRequester: boolean;
  hasGraphRequestId: boolean;
  graphRequestId: string;
  fallbackText: string;
  canCheckSignIns: boolean;
}

const TITLES: Record<ApprovalView['state'], [string, ApprovalCardData['titleColor']]> = {
  awaiting: ['Approval needed: revoke sign-in sessions', 'Warning'],
  running: ['Approved — revoking sessions…', 'Default'],
  approved: ['Approved — sessions revoked', 'Good'],
  failed: ['Approved, but the revocation failed', 'Attention'],
  rejected: ['Rejected', 'Default'],
  expired: ['Expired without a decision', 'Default'],
  withdrawn: ['Withdrawn by the requester', 'Default'],
};

function status(view: ApprovalView): string {
  // Names are escaped here; the sentence itself carries {{DATE()}} functions and must not be.
  const by = markdownText(view.decidedByName ?? 'someone');
  const when = localDateAndTime(view.decidedAt, '');
  switch (view.state) {
    case 'awaiting':
      return view.viewer === 'approver'
        ? 'Check the details, then approve or reject. You cannot approve your own requests.'
        : 'Waiting for an approver.';
    case 'running':
      return `Approved by ${by}. Revoking sessions…`;
    case 'approved':
      return `Approved by ${by} ${when}. Sessions revoked${
        view.verification === 'verified'
          ? ' (verified: the directory shows it)'
          : view.verification === 'notMoved'
            ? '; not verified yet — the directory still shows the old time, look again in a few minutes'
            : view.verification === 'unreadable'
              ? '; not verified — the user could not be read back, look them up again to check'
              : view.verification === 'checking'
                ? '; checking that the directory shows it…'
                : ''
      }.`;
    case 'failed':
      return `Approved by ${by} ${when}, but Microsoft Graph did not revoke the sessions.`;
    case 'rejected':
      return view.rejectReason
        ? `Rejected by ${by} ${when}: “${markdownText(view.rejectReason)}”`
        : `Rejected by ${by} ${when}. Nothing was changed.`;
    case 'expired':
      return 'Nobody approved this request in time. Nothing was changed. Ask again if it is still needed.';
    case 'withdrawn':
      return 'The requester withdrew this request. Nothing was changed.';
  }
}

export function approvalCardData(view: ApprovalView): ApprovalCardData {
  const [title, titleColor] = TITLES[view.state];
  const open = view.state === 'awaiting';
  const graphRequestId = plainText(view.graphRequestId ?? '');
  return {
    requestId: view.requestId,
    target: targetText(view.target),
    title,
    titleColor,
    requester: markdownText(view.requesterName),
    hasReason: Boolean(view.reason),
    reason: markdownText(view.reason ?? ''),
    requestedAt: localDateAndTime(view.requestedAt, 'just now'),
    // Approvals wait up to a day: show the date too.
    expiresAt: localDateAndTime(view.expiresAt, 'soon'),
    channelName: markdownText(view.channelName),
    status: status(view),
    hasAttempts: view.attempts.length > 0,
    attempts: markdownText(view.attempts.map((a) => `Tried earlier: ${a}`).join('\r')),
    hasPlan: (view.containmentPlanned?.length ?? 0) > 0 && !view.containment?.length,
    plan: markdownText(`Also requested: ${(view.containmentPlanned ?? []).join(', ')}.`),
    hasContainment: (view.containment?.length ?? 0) > 0,
    containment: containmentText(view.containment),
    hasNotice: Boolean(view.notice),
    notice: markdownText(view.notice ?? ''),
    isOpen: open,
    isApprover: open && view.viewer === 'approver',
    isRequester: open && view.viewer === 'requester',
    hasGraphRequestId: graphRequestId !== '',
    graphRequestId: markdownIdentifier(graphRequestId),
    fallbackText: markdownText(`${title}: ${targetPlainLabel(view.target)}, requested by ${plainText(view.requesterName)}.`),
    canCheckSignIns: view.state === 'approved' && view.canCheckSignIns === true,
    ...refreshBinding(open ? view.requestId : undefined, view.refreshUserIds),
  };
}
