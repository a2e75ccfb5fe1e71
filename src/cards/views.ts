/**
 * View models: plain data the use cases produce and the card renderer turns into Adaptive Cards.
 * Every string here is shown as literal text — never as markdown or template syntax — so a use case
 * can put Graph data (names, job titles, error messages) in any field without escaping it.
 * Times are ISO 8601 strings; cards show them in the reader's own time zone.
 */
import type { AlertCase } from '../domain/alert';

/** How privileged the target is, which decides which directory roles may revoke them. */
export type TargetTier = 'nonAdmin' | 'limitedAdmin' | 'privilegedAdmin';

/** The person whose sessions would be revoked. */
export interface TargetView {
  id: string;
  displayName: string;
  userPrincipalName: string;
  jobTitle?: string;
  department?: string;
  accountEnabled: boolean;
  isGuest: boolean;
  tier: TargetTier;
  roleNames: string[];
  /** roles that may revoke this target, e.g. ['Helpdesk Administrator', …] */
  rolesThatMayRevoke: string[];
  /** ISO; undefined = never revoked/unknown */
  sessionsValidFrom?: string;
  isSelf: boolean;
}

/** The confirmation card: who the target is, who may revoke them, Revoke / Cancel. */
export interface LookupView {
  requestId: string;
  target: TargetView;
  requesterName: string;
  /** ISO */
  expiresAt: string;
  /**
   * Teams user MRIs (`29:…`) whose clients refresh this card automatically (verb refresh, data
   * { subjectId }). Omitted = no `refresh` on the card. `[]` = manual refresh only. At most MAX_REFRESH_USER_IDS (60) are used.
   */
  refreshUserIds?: string[];
  /** Four eyes: the security channel's name; the card then asks for a reason and offers "Request revocation". */
  approvalChannelName?: string;
  /** "Can I?": whether the requester's own roles would let them revoke, in words. */
  advice?: AdviceView;
  /** The target's sign-in methods as read for this card, with their toggles; undefined until reviewed. */
  methods?: MethodsView;
  /** Offers "Review sign-in methods" (not for your own sessions). */
  canReviewMethods?: boolean;
}

/** The "can I?" line: e.g. "You can revoke Adele's sessions (User Administrator)". */
export interface AdviceView {
  /** One or two sentences; the second, when present, about PIM. */
  lines: string[];
  tone: 'good' | 'warning';
}

/** The target's sign-in methods on a lookup card. */
export interface MethodsView {
  /** ISO: when they were read. */
  readAt: string;
  /** Methods that may be ticked for removal: the toggle's input id and its title. */
  removable: { inputId: string; title: string; recent: boolean }[];
  /** Methods listed but not offered (the password), with why. */
  fixed: string[];
  /** What removing every method would mean, when there is something to remove. */
  warning?: string;
  /** Why the list could not be read (then nothing else is shown). */
  problem?: string;
}

/** A request in the four-eyes flow: the approval card in the security channel and the requester's copy. */
export interface ApprovalView {
  requestId: string;
  target: TargetView;
  requesterName: string;
  reason?: string;
  requestedAt: string;
  expiresAt: string;
  channelName: string;
  state: 'awaiting' | 'running' | 'approved' | 'failed' | 'rejected' | 'expired' | 'withdrawn';
  decidedByName?: string;
  decidedAt?: string;
  rejectReason?: string;
  graphRequestId?: string;
  /** Earlier approvals that did not go through, e.g. "Paul Password — lacks the directory role". */
  attempts: string[];
  /** What this viewer may do: approve/reject (an approver), withdraw (the requester), or nothing. */
  viewer: 'approver' | 'requester' | 'readOnly';
  /** Teams user ids whose clients refresh the card to their own view (at most 60); undefined = no refresh block. */
  refreshUserIds?: string[];
  /** A line for this viewer only, e.g. why their approval did not go through. */
  notice?: string;
  /** After an approved revoke: whether signInSessionsValidFromDateTime was read back and moved. */
  verification?: Verification;
  /** Containment steps the requester ticked (what the approver approves). */
  containmentPlanned?: string[];
  /** Their results, once run. */
  containment?: ContainmentLine[];
  /** Approved and revoked: the card offers "Check sign-ins". */
  canCheckSignIns?: boolean;
}

/** Several directory users match a query; choosing candidate i sends verb pick with data { subjectId: pickId, choice: i }. */
export interface PickListView {
  pickId: string;
  query: string;
  candidates: { displayName: string; userPrincipalName: string; jobTitle?: string; department?: string }[];
  truncated: boolean;
}

/** Shown while the revocation runs. */
export interface WorkingView {
  target: TargetView;
  requesterName: string;
  /** e.g. 'Revoking sessions…' */
  message: string;
  /** With refreshUserIds: adds a `refresh` (verb refresh, data { subjectId }) so those clients fetch the final card. */
  requestId?: string;
  /** See {@link LookupView.refreshUserIds}; used only together with requestId. */
  refreshUserIds?: string[];
}

/** The revocation went through. */
export interface SucceededView {
  target: TargetView;
  /** With it, the card offers "Check sign-ins" (verb signIns.check, data { subjectId }). */
  requestId?: string;
  /** ISO */
  revokedAt: string;
  revokedByName: string;
  graphRequestId?: string;
  /** the new signInSessionsValidFromDateTime read back, when verified (ISO) */
  verifiedValidFrom?: string;
  /** Whether that read-back showed the revocation (see {@link Verification}); undefined: not read. */
  verification?: Verification;
  /** One line per containment step that ran. */
  containment?: ContainmentLine[];
}

/** A containment step's result, e.g. { label: 'Account disabled', ok: true } or { label: 'Devices', ok: false, detail: 'refused: …' }. */
export interface ContainmentLine {
  label: string;
  ok: boolean;
  detail?: string;
}

/** Something stopped the revocation (or the lookup). */
export interface FailedView {
  requestId?: string;
  target?: TargetView;
  title: string;
  message: string;
  /** directory roles that would have allowed it; [] = don't show the line */
  rolesNeeded: string[];
  hint?: string;
  graphRequestId?: string;
  correlationId?: string;
  /** shows Retry (verb retry, data { subjectId }) — only when requestId is set too */
  canRetry: boolean;
  /** Containment steps that ran before the revoke was refused (e.g. the account is disabled already). */
  containment?: ContainmentLine[];
}

/** The request ended without a revocation. */
export interface ClosedView {
  target: TargetView;
  /** 'Cancelled' | 'Expired' */
  title: string;
  message: string;
}

/** `whoami`: who the bot thinks you are and what Entra would let you revoke. */
export interface WhoAmIView {
  name: string;
  userPrincipalName: string;
  tenantId: string;
  roleNames: string[];
  capability: string;
  /** e.g. 'Revoke non-admins: yes' rows */
  rows: { label: string; value: string }[];
}

/** `help`, or the answer to a message the bot did not understand. */
export interface HelpView {
  /** the text the bot did not understand, if that is why help is shown */
  unrecognised?: string;
  botName: string;
}

/** A one-off message: sign-in needed, throttled, not supported here, … */
export interface NoticeView {
  title: string;
  message: string;
  tone: 'info' | 'warning' | 'error';
  correlationId?: string;
}

/** A scheduled revocation: shown back before arming, its due card, or the `scheduled` list (items with cancel buttons). */
export interface ScheduleView {
  tone: 'info' | 'warning' | 'good' | 'attention';
  title: string;
  headline?: string;
  facts: readonly { title: string; value: string }[];
  lines: readonly string[];
  items?: readonly { id: string; text: string }[];
  status?: string;
  scheduleId?: string;
  actions?: { arm?: boolean; request?: boolean; approve?: boolean; run?: { occurrence: number; title: string }; cancel?: string };
}

/** A bulk run (a group or a department): confirmation, approval, progress and final report in one card. */
export interface BulkView {
  runId: string;
  /** e.g. group “Finance Team” */
  sourceLabel: string;
  requesterName: string;
  state: 'pending' | 'awaiting' | 'running' | 'completed' | 'cancelled' | 'rejected' | 'expired';
  total: number;
  /** A few names, to show who is in it. */
  sample: string[];
  tierCounts: { nonAdmin: number; limitedAdmin: number; privilegedAdmin: number; unknown: number };
  /** Admins by name with their tier, e.g. "Grace Global (privileged admin)"; at most 10 shown. */
  admins: string[];
  progress?: { done: number; failed: number; remaining: number };
  /** Running: how long the users not yet sent need at the pace Graph allows (shown in words); undefined when unknown. */
  timeLeftInMs?: number;
  /** Every user not revoked, and why, for the report (the card lists the first few). */
  failures: { name: string; userPrincipalName: string; reason: string }[];
  /** Revoked as found by reading back after an interruption. */
  verified?: number;
  decidedByName?: string;
  decidedAt?: string;
  reason?: string;
  rejectReason?: string;
  expiresAt: string;
  viewer: 'requester' | 'approver' | 'readOnly';
  /** Four eyes: where the request goes (bulk runs always need approval when a channel is configured). */
  approvalChannelName?: string;
  refreshUserIds?: string[];
  notice?: string;
  /** Users were revoked: the report offers one "Check sign-ins" for the whole run. */
  canCheckSignIns?: boolean;
}

/** One sign-in row on an evidence card. */
export interface SignInLine {
  /** ISO */
  at: string;
  app?: string;
  client?: string;
  ipAddress?: string;
  location?: string;
  interactive?: boolean;
  /** For failures: the error code in words, e.g. "wrong user name or password (50126)". */
  outcome?: string;
}

/** What the sign-in logs say since a revoke (one person), or why they could not be read. */
export interface SignInsView {
  /** The request (for Check again). */
  requestId: string;
  targetName: string;
  targetUpn: string;
  /** ISO times. */
  revokedAt: string;
  checkedAt: string;
  residualWindowEndsAt?: string;
  /** Whether the residual window has ended at checkedAt. */
  residualWindowOver?: boolean;
  verdict?: 'none' | 'failedOnly' | 'succeeded';
  /** The verdict in words. */
  verdictText: string;
  successes: SignInLine[];
  failures: SignInLine[];
  /** Rows beyond those listed. */
  moreSuccesses: number;
  moreFailures: number;
  /** Rows just before the revoke, not counted. */
  justBefore: number;
  truncated: boolean;
  /** Why the logs could not be read: title, message, roles that can, what an admin can grant. */
  problem?: { title: string; message: string; hint?: string };
}

/** What the sign-in logs say since a bulk run's revokes, summarised. */
export interface RunSignInsView {
  runId: string;
  sourceLabel: string;
  checkedAt: string;
  revoked: number;
  checked: number;
  failedOnly: number;
  verdictText: string;
  verdict: 'none' | 'failedOnly' | 'succeeded' | 'partial';
  /** Users with a success after their revoke: name, UPN and the last success. */
  succeeded: { name: string; userPrincipalName: string; last?: SignInLine; count: number }[];
  residualWindowEndsAt?: string;
  /** A note: users not checked yet, or why some could not be read. */
  notes: string[];
  problem?: { title: string; message: string; hint?: string };
}

/** An alert from a security tool, in the security channel: what it says, each user, and what an approver did. */
export interface AlertView {
  alert: AlertCase;
  /** A line for this viewer only (e.g. why their action did not go through). */
  notice?: string;
}

/** The `risky` inbox: users Identity Protection has at risk, in the order shown; each opens a lookup. */
export interface RiskyView {
  /** The pick list their buttons choose from. */
  pickId: string;
  users: readonly {
    displayName: string;
    userPrincipalName: string;
    riskLevel: string;
    riskLastUpdatedDateTime?: string;
  }[];
  truncated: boolean;
  /** Four eyes: each entry may be sent to the security channel as an alert. */
  escalate?: boolean;
}

/**
 * The read-back after a revoke: 'verified' (the directory shows it), 'notMoved' (Graph still
 * shows the old time), 'checking' (it runs after the answer; the card is updated when it is
 * done), 'unreadable' (the user could not be read back).
 */
export type Verification = 'verified' | 'notMoved' | 'checking' | 'unreadable';
