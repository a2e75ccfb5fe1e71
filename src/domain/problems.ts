/**
 * The closed sets of codes the domain decides with: why a decision was refused, and why a
 * revocation failed. The bot edge turns each into words once (src/bot/explain.ts).
 */

/** Why a click or a use case call was refused. */
export type DecisionProblem =
  | 'not_requester'
  | 'expired'
  | 'already_decided'
  | 'in_progress'
  | 'not_found'
  | 'wrong_tenant'
  /** The requester tried to approve or reject their own request. */
  | 'self_approval'
  /** An approver acted from somewhere other than the channel the approval card went to. */
  | 'outside_approval_channel'
  /** The requester tried to confirm a request that now waits for an approver. */
  | 'awaiting_approval'
  /** Four eyes is required here: the requester may not revoke someone else directly. */
  | 'approval_required';

/** Why a revocation (or a containment step) did not happen. */
export type RevocationFailureCode =
  | 'forbidden'
  | 'not_found'
  | 'bad_request'
  | 'throttled'
  | 'graph_unavailable'
  | 'timeout'
  | 'consent_required'
  | 'interaction_required'
  | 'sign_in_expired'
  | 'token_invalid'
  /** The tenant lacks the licence the feature needs (Entra ID P1/P2 for sign-in logs, P2 for Identity Protection and PIM). */
  | 'not_licensed'
  | 'unexpected';
