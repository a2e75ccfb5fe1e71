/**
 * The one place where codes become words. Every refusal and failure the domain, the
 * directory or sign-in can produce has a title and a message a helpdesk agent understands,
 * and a hint where there is something they can do. Error messages from libraries never
 * reach a card.
 */
import type { ApprovalRouteProblem } from '../app/approval/approvalWorkflow';
import type { DirectoryFailureCode } from '../app/ports/directory';
import type { DecisionProblem } from '../domain/problems';
import type { TokenProblem } from '../identity/ssoTokenValidator';

export interface Explanation {
  readonly title: string;
  readonly message: string;
  readonly hint?: string;
}

export function explainDirectoryFailure(code: DirectoryFailureCode, targetName?: string): Explanation {
  const who = targetName ?? 'this user';
  switch (code) {
    case 'forbidden':
      return {
        title: 'You can’t revoke this user’s sessions',
        message: `Microsoft Entra ID refused: your account lacks a directory role that may revoke ${who}'s sessions.`,
        hint: 'If you have an eligible role in Privileged Identity Management, activate it and try again, or ask someone who holds one of the roles listed.',
      };
    case 'not_found':
      return {
        title: 'User not found',
        message: `Microsoft Graph has no user ${targetName ? `“${targetName}”` : 'by that name'} any more. They may have been deleted.`,
      };
    case 'bad_request':
      return { title: 'Microsoft Graph rejected the request', message: 'Graph said the request was not valid. Nothing was changed.' };
    case 'throttled':
      return {
        title: 'Microsoft Graph is busy',
        message: 'Graph asked us to slow down and did not answer in time. Nothing was changed.',
        hint: 'Try again in a minute.',
      };
    case 'graph_unavailable':
      return {
        title: 'Microsoft 365 didn’t answer',
        message: 'Microsoft Graph or Entra ID could not be reached or had an error. Nothing was changed as far as we know.',
        hint: 'Try again in a minute.',
      };
    case 'timeout':
      return {
        title: 'Microsoft Graph took too long',
        message: 'Graph did not answer in time, so we can’t tell whether anything changed.',
        hint: 'Look the user up again to see when sessions were last revoked, then retry if needed.',
      };
    case 'consent_required':
      return {
        title: 'The app isn’t approved in your organisation yet',
        message: 'An administrator must grant admin consent to Session Revoker’s Microsoft Graph permissions before it can act for you.',
        hint: 'Ask your Entra administrator to grant admin consent for Session Revoker.',
      };
    case 'interaction_required':
      return {
        title: 'Microsoft Entra ID wants you to sign in again',
        message: 'Your organisation requires a fresh sign-in or multi-factor authentication before this action.',
        hint: 'Sign in again with the button, complete MFA, then retry.',
      };
    case 'sign_in_expired':
      return {
        title: 'Your sign-in has expired',
        message: 'Your Teams sign-in is too old to act on your behalf.',
        hint: 'Click again; Teams will sign you in afresh.',
      };
    case 'token_invalid':
      return {
        title: 'Your sign-in couldn’t be used',
        message: 'Microsoft Entra ID did not accept your Teams sign-in for this app.',
        hint: 'Sign out of Teams and back in. If it keeps happening, tell your Teams administrator.',
      };
    case 'bot_misconfigured':
      return {
        title: 'Session Revoker is not set up correctly',
        message: 'Microsoft Entra ID refused the app’s own credentials. This is a configuration problem, not yours.',
        hint: 'Tell your Teams administrator: run `npm run doctor` on the deployment.',
      };
    case 'not_licensed':
      return {
        title: 'Not available in this tenant',
        message: 'Your organisation’s Microsoft Entra ID licence does not include this feature.',
        hint: 'Sign-in logs need Microsoft Entra ID P1 or P2; Identity Protection and Privileged Identity Management need P2.',
      };
    case 'unexpected':
      return {
        title: 'Something went wrong',
        message: 'Microsoft Graph answered in a way we did not expect. Nothing was changed as far as we know.',
      };
  }
}

/** Who asked, and where approvals happen: the words some refusals need. */
export interface DecisionContext {
  readonly requesterName?: string;
  readonly channelName?: string;
}

export function explainDecision(problem: DecisionProblem, context: DecisionContext = {}): Explanation {
  const { requesterName, channelName } = context;
  switch (problem) {
    case 'not_requester':
      return { title: 'Not your request', message: `Only ${requesterName ?? 'the person who asked'} can confirm or cancel this request.` };
    case 'expired':
      return { title: 'This request has expired', message: 'Look the user up again to start a new request.' };
    case 'already_decided':
      return { title: 'Already done', message: 'This request was already completed or cancelled.' };
    case 'in_progress':
      return { title: 'Already working on it', message: 'This revocation is running now. The card will update when it finishes.' };
    case 'not_found':
      return { title: 'Request not found', message: 'This card refers to a request we no longer have. Look the user up again.' };
    case 'wrong_tenant':
      return { title: 'Not available here', message: 'This request belongs to another organisation.' };
    case 'outside_approval_channel':
      return { title: 'Approve in the security channel', message: `Approvals happen in ${channelName ?? 'the security channel'}.` };
    case 'self_approval':
      return {
        title: 'Someone else must approve',
        message: 'You asked for this, so another member of the security team has to approve it.',
      };
    case 'approval_required':
      return {
        title: 'This needs an approver',
        message:
          'Your organisation requires a second person to approve revocations. Use Request revocation to send it to the security team.',
      };
    case 'awaiting_approval':
      return { title: 'Waiting for approval', message: 'This request is with the security team. It runs when one of them approves it.' };
  }
}

export function explainApprovalRoute(problem: ApprovalRouteProblem, channelName: string): Explanation {
  switch (problem) {
    case 'channel_unknown':
    case 'bot_not_in_team':
      return {
        title: 'Session Revoker isn’t in the security channel yet',
        message: `Approval requests go to ${channelName}, but Session Revoker hasn’t been added to that team. Nothing was lost: your request is still open.`,
        hint: 'Ask a Teams admin to add Session Revoker to the security team, then click Request revocation again.',
      };
    case 'private_channel':
      return {
        title: 'The security channel is a private channel',
        message: 'Bots can’t post approval requests to private channels. Nothing was lost: your request is still open.',
        hint: 'Ask your Teams admin to set SECURITY_CHANNEL_ID to a standard channel of the security team.',
      };
    case 'post_failed':
      return {
        title: 'Couldn’t post to the security channel',
        message: `Teams didn’t accept the approval card for ${channelName}. Nothing was lost: your request is still open.`,
        hint: 'Try again in a minute.',
      };
  }
}

export function explainSignIn(problem: TokenProblem | 'sign_in_unavailable' | 'bad_code'): Explanation {
  switch (problem) {
    case 'expired':
      return { title: 'Your sign-in has expired', message: 'Click again; Teams will sign you in afresh.' };
    case 'subject':
      return {
        title: 'That sign-in belongs to someone else',
        message: 'The sign-in Teams sent is not for the person who clicked, so we did not use it.',
      };
    case 'tenant':
      return { title: 'Not available for your organisation', message: 'Session Revoker only serves the organisation it is installed for.' };
    case 'keys_unavailable':
      return {
        title: 'Microsoft Entra ID didn’t answer',
        message: 'We could not check your sign-in because Entra ID could not be reached.',
        hint: 'Try again in a minute.',
      };
    case 'sign_in_unavailable':
      return {
        title: 'Sign-in isn’t available right now',
        message: 'The sign-in service could not be reached.',
        hint: 'Try again in a minute, or use the bot in a 1:1 chat where Teams signs you in automatically.',
      };
    case 'bad_code':
      return { title: 'That sign-in code didn’t work', message: 'The code was wrong or already used.', hint: 'Start the sign-in again.' };
    case 'malformed':
    case 'signature':
    case 'issuer':
    case 'audience':
    case 'not_user_token':
      return {
        title: 'Your sign-in couldn’t be used',
        message: 'The sign-in Teams sent was not valid for this app, so we did not use it.',
        hint: 'Sign out of Teams and back in. If it keeps happening, tell your Teams administrator.',
      };
  }
}

export const STORAGE_UNAVAILABLE: Explanation = {
  title: 'Can’t record this action right now',
  message: 'Session Revoker could not write its audit trail, so it did not act. Every revocation must be recorded.',
  hint: 'Try again in a minute. If it persists, tell your Teams administrator.',
};

export const UNEXPECTED: Explanation = {
  title: 'Something went wrong on our side',
  message: 'Session Revoker hit an unexpected error. Nothing was changed as far as we know.',
  hint: 'Try again. If it keeps happening, give your administrator the reference below.',
};
