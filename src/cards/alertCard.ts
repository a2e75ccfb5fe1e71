/** Data for cards/alert.json: an alert from a security tool, its users, its actions and what was done. */
import { alertUserText, sourceName, type AlertCase, type AlertStepResult, type AlertUserDetails } from '../domain/alert';
import type { TargetTier } from '../domain/roles';
import type { RevocationFailureCode } from '../domain/problems';
import { localDateAndTime, markdownIdentifier, markdownText, plainText } from './text';
import type { AlertView } from './views';

/** Template file under cards/. */
export const ALERT_TEMPLATE = 'alert.json';

/** What cards/alert.json binds. */
export interface AlertCardData {
  id: string;
  heading: string;
  headingColor: string;
  alertTitle: string;
  facts: { label: string; value: string }[];
  hasDetails: boolean;
  details: string;
  users: { line: string }[];
  hasResults: boolean;
  results: { line: string; color: string }[];
  status: string;
  hasNotice: boolean;
  notice: string;
  open: boolean;
  canLoadDetails: boolean;
  detailsLoaded: boolean;
  detailsBy: string;
  hasLink: boolean;
  link: string;
  fallbackText: string;
}

const SEVERITY_COLOR: Readonly<Record<AlertCase['alert']['severity'], string>> = {
  high: 'Attention',
  medium: 'Warning',
  low: 'Default',
  informational: 'Default',
};

const ACTION_TEXT: Readonly<Record<NonNullable<AlertCase['action']>, string>> = {
  revoke: 'revoke sessions',
  revokeAndContain: 'revoke and contain',
  confirmCompromised: 'confirm compromised',
  dismissRisk: 'dismiss the risk',
};

const STEP_TEXT: Readonly<Record<AlertStepResult['step'], string>> = {
  lookup: 'Look-up',
  revoke: 'Sessions revoked',
  disableAccount: 'Account disabled',
  resetPassword: 'Password reset',
  disableDevices: 'Devices disabled',
  confirmCompromised: 'Confirmed compromised in Identity Protection',
  dismissRisk: 'Risk dismissed in Identity Protection',
};

const STEP_ATTEMPT: Readonly<Record<AlertStepResult['step'], string>> = {
  lookup: 'Looking up',
  revoke: 'Revoking the sessions of',
  disableAccount: 'Disabling the account of',
  resetPassword: 'Resetting the password of',
  disableDevices: 'Disabling the devices of',
  confirmCompromised: 'Confirming compromised',
  dismissRisk: 'Dismissing the risk of',
};

const FAILURE_TEXT: Readonly<Record<RevocationFailureCode, string>> = {
  forbidden: 'your roles do not allow it',
  not_found: 'no such user',
  bad_request: 'Graph refused the request',
  throttled: 'Microsoft Graph is busy; try again shortly',
  graph_unavailable: 'Microsoft Graph did not answer',
  timeout: 'it took too long',
  consent_required: 'the tenant has not consented to this permission',
  interaction_required: 'you need to sign in again',
  sign_in_expired: 'your sign-in expired',
  token_invalid: 'your sign-in was not accepted',
  not_licensed: 'the tenant has no Microsoft Entra ID P2',
  unexpected: 'something unexpected went wrong',
};

/** Binds an {@link AlertView} for cards/alert.json. */
export function alertCardData(view: AlertView): AlertCardData {
  const { alert } = view;
  const a = alert.alert;
  const open = alert.state === 'awaitingApproval';
  const facts = [
    { label: 'Source', value: markdownText(sourceName(a.source)) },
    { label: 'Severity', value: markdownText(a.severity) },
    { label: 'Incident', value: markdownText(a.externalId) },
    { label: 'Received', value: localDateAndTime(a.receivedAt, 'unknown') },
  ];
  const results = (alert.results ?? []).map((r) => ({
    line: markdownText(
      r.ok
        ? `✓ ${STEP_TEXT[r.step]}: ${r.user}${r.detail ? ` (${r.detail})` : ''}`
        : `✗ ${STEP_ATTEMPT[r.step]} ${r.user} did not go through: ${FAILURE_TEXT[r.code ?? 'unexpected']}.`,
    ),
    color: r.ok ? 'Good' : 'Attention',
  }));
  const heading = `Security alert · ${a.severity}`;
  return {
    id: alert.id,
    heading: markdownText(heading),
    headingColor: SEVERITY_COLOR[a.severity],
    alertTitle: markdownText(a.title),
    facts,
    hasDetails: a.details !== undefined,
    details: markdownText(a.details ?? ''),
    users: alert.details
      ? alert.details.users.map((u) => ({ line: detailLine(u) }))
      : a.users.map((u) => ({ line: `• ${markdownIdentifier(alertUserText(u))}` })),
    hasResults: results.length > 0,
    results,
    status: markdownText(statusOf(alert)),
    hasNotice: view.notice !== undefined,
    notice: markdownText(view.notice ?? ''),
    open,
    canLoadDetails: (open || alert.state === 'pending') && alert.details === undefined,
    detailsLoaded: alert.details !== undefined,
    detailsBy: alert.details
      ? `Details read ${localDateAndTime(alert.details.at, 'earlier')} with ${markdownText(alert.details.by.name)}’s sign-in.`
      : '',
    hasLink: a.link !== undefined,
    link: a.link ?? '',
    fallbackText: markdownText(`${heading}: ${plainText(a.title)}`),
  };
}

const TIER_TEXT: Readonly<Record<TargetTier, string>> = {
  nonAdmin: 'no admin role',
  limitedAdmin: 'limited admin',
  privilegedAdmin: 'privileged admin',
};

/** One user as "Show details" read them: who, tier and roles, account, last revoke, risk. */
function detailLine(u: AlertUserDetails): string {
  if (u.problem) return `• ${markdownIdentifier(u.ref)}: ${markdownText(FAILURE_TEXT[u.problem])}`;
  const who = `${markdownText(u.displayName ?? '')} (${markdownIdentifier(u.userPrincipalName ?? u.ref)})`;
  const parts = [
    u.tier ? `${TIER_TEXT[u.tier]}${u.roles && u.roles.length > 0 ? `: ${markdownText(u.roles.join(', '))}` : ''}` : 'roles unknown',
    u.accountEnabled === false ? 'account disabled' : 'account enabled',
    u.signInSessionsValidFrom
      ? `sessions last revoked ${localDateAndTime(u.signInSessionsValidFrom, 'unknown')}`
      : 'sessions never revoked',
    u.risk
      ? `risk ${markdownText(u.risk.level)} (${markdownText(u.risk.state)})`
      : u.riskProblem
        ? `risk not shown: ${markdownText(FAILURE_TEXT[u.riskProblem])}`
        : 'no risk recorded',
  ];
  return `• ${who} · ${parts.join(' · ')}`;
}

function statusOf(alert: AlertCase): string {
  const by = alert.decidedBy?.name ?? 'An approver';
  switch (alert.state) {
    case 'pending':
    case 'awaitingApproval': {
      const tried = alert.approval?.failedAttempts.length ?? 0;
      return `Waiting for someone in this channel to act; each action runs with your own sign-in.${tried > 0 ? ` ${tried} attempt${tried === 1 ? '' : 's'} did not go through.` : ''}`;
    }
    case 'executing':
      return `${by} chose to ${ACTION_TEXT[alert.action ?? 'revoke']}; working on it…`;
    case 'done':
      return `${by} chose to ${ACTION_TEXT[alert.action ?? 'revoke']}.`;
    case 'rejected':
      return `${by} closed it: not our case${alert.approval?.rejectReason ? ` — “${alert.approval.rejectReason}”` : '.'}`;
    case 'cancelled':
      return 'Closed.';
    case 'expired':
      return 'Nobody acted before it expired; nothing was done.';
  }
}
