/**
 * Turns use-case outcomes into card views, and views into cards. The cards show what the
 * server holds — a request is always rendered from its stored record, never from card data.
 */
import type { AlertCase } from '../domain/alert';
import type { RequesterAdvice } from '../app/evidence/requesterAdvice';
import type { RequestEvidence, RunEvidence } from '../app/evidence/signInChecks';
import type { DirectoryFailure, UserRecord } from '../app/ports/directory';
import { describeMethod, leftAfterRemoving } from '../domain/authMethods';
import { CONTAINMENT_STEPS, isChosen } from '../domain/revocationRequest';
import type { WhoAmI } from '../app/revocation/revocationService';
import type { AdaptiveCard, CardRenderer } from '../cards/render';
import type { ApprovalView, ContainmentLine, RiskyView, ScheduleView, TargetView, Verification } from '../cards/views';
import { canRetry, type ContainmentStep, type RevocationRequest, type TargetSnapshot } from '../domain/revocationRequest';
import type { RevocationFailureCode } from '../domain/problems';
import { describeCapability, rolesThatMayRevoke } from '../domain/roles';
import type { Clock } from '../domain/clock';
import type { Explanation } from './explain';
import { explainDirectoryFailure } from './explain';
import {
  adviceView,
  methodsView,
  runSignInsFailureView,
  runSignInsView,
  signInsFailureView,
  signInsView,
  type EvidenceWording,
} from './evidence/evidenceViews';

export function targetView(target: TargetSnapshot): TargetView {
  return {
    id: target.id,
    displayName: target.displayName,
    userPrincipalName: target.userPrincipalName,
    jobTitle: target.jobTitle,
    department: target.department,
    accountEnabled: target.accountEnabled,
    isGuest: target.userType === 'Guest',
    tier: target.tier,
    roleNames: target.roles.map((r) => r.displayName),
    rolesThatMayRevoke: rolesThatMayRevoke(target.roles, target.inRoleAssignableGroup === true).map((r) => r.displayName),
    sessionsValidFrom: target.signInSessionsValidFrom,
    isSelf: target.self === true,
  };
}

/** How one viewer sees a request: their role in it and extras for this rendering. */
export interface ViewContext {
  /** Four eyes is on: the security channel's name (pending cards then ask for approval). */
  readonly approvalChannelName?: string;
  readonly viewer?: ApprovalView['viewer'];
  /** A line for this viewer only (e.g. why their approval did not go through). */
  readonly notice?: string;
  readonly refreshUserIds?: string[];
  readonly correlationId?: string;
  /** The requester's "can I?" advice, for their lookup card. */
  readonly advice?: RequesterAdvice;
}

const APPROVAL_STATE: Record<RevocationRequest['state'], ApprovalView['state']> = {
  pending: 'awaiting',
  awaitingApproval: 'awaiting',
  executing: 'running',
  succeeded: 'approved',
  failed: 'failed',
  rejected: 'rejected',
  expired: 'expired',
  cancelled: 'withdrawn',
};

/** The delegated Graph permissions each containment step asks for (names such as Directory.AccessAsUser.All). */
export type StepPermissions = Readonly<Record<ContainmentStep, readonly string[]>>;

export class Presenter {
  /**
   * @param stepPermissions What each containment step asks Entra for, so a step refused for want
   * of consent names what an admin must grant.
   * @param approvalChannelName Four eyes: the security channel's current name (pending cards then
   * ask for approval); undefined when approvals are off.
   */
  constructor(
    private readonly cards: CardRenderer,
    private readonly botName: string,
    private readonly clock: Clock,
    private readonly stepPermissions: StepPermissions,
    private readonly approvalChannelName?: () => string,
    private readonly evidenceWording: EvidenceWording = {
      auditPermissions: [],
      pimPermissions: [],
      authMethodPermissions: [],
      recentMethodDays: 7,
    },
  ) {}

  /** The card for a request in whatever state the store holds it, as this viewer sees it. */
  request(request: RevocationRequest, context: ViewContext = {}): AdaptiveCard {
    context = { approvalChannelName: this.approvalChannelName?.(), ...context };
    if (request.approval) return this.approval(request, context);
    const correlationId = context.correlationId;
    const target = targetView(request.target);
    switch (request.state) {
      case 'pending':
        return this.cards.lookup({
          requestId: request.id,
          target,
          requesterName: request.requester.name,
          expiresAt: request.expiresAt,
          approvalChannelName: request.target.self ? undefined : context.approvalChannelName,
          // In four-eyes mode the approver acts, so the requester's own roles are beside the point.
          advice:
            context.advice && !context.approvalChannelName ? adviceView(context.advice, request.target, this.evidenceWording) : undefined,
          methods: request.methods ? methodsView(request.methods, request.target, this.clock.now(), this.evidenceWording) : undefined,
          canReviewMethods: request.target.self !== true,
        });
      case 'awaitingApproval':
      case 'rejected':
        return this.approval(request, context);
      case 'executing':
        return this.cards.working({ target, requesterName: request.requester.name, message: 'Revoking sessions…', requestId: request.id });
      case 'succeeded':
        return this.cards.succeeded({
          target,
          requestId: request.id,
          revokedAt: request.outcome?.kind === 'revoked' ? request.outcome.at : (request.decidedAt ?? this.clock.now().toISOString()),
          revokedByName: request.decidedBy?.name ?? request.requester.name,
          graphRequestId: request.outcome?.graphRequestId,
          ...verificationOf(request),
          containment: containmentLines(request, this.stepPermissions),
        });
      case 'failed': {
        const code = request.outcome?.kind === 'refused' ? request.outcome.code : 'unexpected';
        const why = explainDirectoryFailure(code, request.target.displayName);
        return this.cards.failed({
          requestId: request.id,
          target,
          title: why.title,
          message: why.message,
          rolesNeeded: code === 'forbidden' ? target.rolesThatMayRevoke : [],
          hint: why.hint,
          graphRequestId: request.outcome?.graphRequestId,
          correlationId,
          canRetry: canRetry(request, this.clock.now()),
          containment: containmentLines(request, this.stepPermissions),
        });
      }
      case 'cancelled':
        return this.cards.closed({
          target,
          title: 'Cancelled',
          message: `${request.decidedBy?.name ?? 'The requester'} cancelled this request. Nothing was changed.`,
        });
      case 'expired':
        return this.cards.closed({
          target,
          title: 'Expired',
          message: 'This request expired before anyone confirmed it. Nothing was changed. Look the user up again to start over.',
        });
    }
  }

  /** The four-eyes card: in the security channel (approvers act on it) and the requester's copy. */
  approval(request: RevocationRequest, context: ViewContext = {}): AdaptiveCard {
    const approval = request.approval;
    const lastOutcome = request.outcome;
    return this.cards.approval({
      requestId: request.id,
      target: targetView(request.target),
      requesterName: request.requester.name,
      reason: approval?.reason,
      requestedAt: approval?.requestedAt ?? request.createdAt,
      expiresAt: request.expiresAt,
      channelName: context.approvalChannelName ?? 'the security channel',
      state: APPROVAL_STATE[request.state],
      decidedByName: request.decidedBy?.name,
      decidedAt: request.completedAt ?? request.decidedAt,
      rejectReason: approval?.rejectReason,
      graphRequestId: lastOutcome?.graphRequestId,
      attempts: (approval?.failedAttempts ?? []).map((a) => `${a.by.name} — ${explainDirectoryFailure(a.code).title.toLowerCase()}`),
      viewer: context.viewer ?? 'readOnly',
      refreshUserIds: context.refreshUserIds,
      notice: context.notice,
      verification: verificationOf(request).verification,
      containmentPlanned: plannedSteps(request),
      containment: containmentLines(request, this.stepPermissions),
      canCheckSignIns: request.state === 'succeeded',
    });
  }

  /** What the sign-in logs say since a request's revoke. */
  signIns(found: RequestEvidence): AdaptiveCard {
    return this.cards.signIns(signInsView(found));
  }

  /** Why a request's sign-in logs could not be read. */
  signInsFailure(request: RevocationRequest, revokedAt: Date, failure: DirectoryFailure): AdaptiveCard {
    return this.cards.signIns(signInsFailureView(request, revokedAt, failure, this.clock.now(), this.evidenceWording));
  }

  /** One check for a whole bulk run. */
  runSignIns(found: RunEvidence): AdaptiveCard {
    return this.cards.runSignIns(runSignInsView(found, this.evidenceWording));
  }

  /** Why a run's sign-in logs could not be read. */
  runSignInsFailure(
    run: { id: string; source: { kind: string; label: string } },
    revoked: number,
    failure: DirectoryFailure,
  ): AdaptiveCard {
    return this.cards.runSignIns(
      runSignInsFailureView(run.id, `${run.source.kind} “${run.source.label}”`, revoked, failure, this.clock.now(), this.evidenceWording),
    );
  }

  pickList(pickId: string, query: string, candidates: readonly UserRecord[], truncated: boolean): AdaptiveCard {
    return this.cards.pickList({
      pickId,
      query,
      truncated,
      candidates: candidates.map((c) => ({
        displayName: c.displayName,
        userPrincipalName: c.userPrincipalName,
        jobTitle: c.jobTitle,
        department: c.department,
      })),
    });
  }

  whoami(me: WhoAmI, tenantId: string): AdaptiveCard {
    const capability = describeCapability(me.roles.map((r) => r.templateId));
    const can = (tier: 'nonAdmin' | 'limitedAdmin' | 'privilegedAdmin'): string => (capability.tiers.includes(tier) ? 'Yes' : 'No');
    return this.cards.whoami({
      name: me.user.displayName,
      userPrincipalName: me.user.userPrincipalName,
      tenantId,
      roleNames: me.roles.map((r) => r.displayName),
      capability: capability.summary,
      rows: [
        { label: 'Revoke users without admin roles', value: can('nonAdmin') },
        { label: 'Revoke limited admins', value: capability.tiers.includes('limitedAdmin') ? 'Some (depends on their role)' : 'No' },
        { label: 'Revoke privileged admins', value: can('privilegedAdmin') },
        { label: 'Revoke your own sessions', value: 'Yes' },
      ],
    });
  }

  help(unrecognised?: string): AdaptiveCard {
    return this.cards.help({ botName: this.botName, unrecognised });
  }

  /** A scheduled revocation's card (src/bot/schedule/scheduleViews.ts makes the view). */
  schedule(view: ScheduleView): AdaptiveCard {
    return this.cards.schedule(view);
  }

  /** `risky`: the users at risk, each opening their lookup card. */
  risky(view: RiskyView): AdaptiveCard {
    return this.cards.risky(view);
  }

  /** An alert from a security tool, as everyone in the security channel sees it (with a line for one viewer). */
  alert(alert: AlertCase, notice?: string): AdaptiveCard {
    return this.cards.alert({ alert, ...(notice !== undefined ? { notice } : {}) });
  }

  notice(title: string, message: string, tone: 'info' | 'warning' | 'error' = 'info', correlationId?: string): AdaptiveCard {
    return this.cards.notice({ title, message, tone, correlationId });
  }

  failure(
    why: Explanation,
    options: { target?: TargetSnapshot; correlationId?: string; graphRequestId?: string; rolesNeeded?: string[] } = {},
  ): AdaptiveCard {
    return this.cards.failed({
      target: options.target ? targetView(options.target) : undefined,
      title: why.title,
      message: why.message,
      hint: why.hint,
      rolesNeeded: options.rolesNeeded ?? [],
      correlationId: options.correlationId,
      graphRequestId: options.graphRequestId,
      canRetry: false,
    });
  }
}

const STEP_DONE: Record<ContainmentStep, string> = {
  disableAccount: 'Account disabled',
  resetPassword: 'Password reset to a random one nobody saw',
  disableDevices: 'Devices',
  confirmCompromised: 'Confirmed compromised in Identity Protection (risk: high)',
  removeMethods: 'Removed',
};
/** Who Entra lets do each step (for users without admin roles; admin targets need more). */
const STEP_ROLES: Record<ContainmentStep, string> = {
  disableAccount:
    'Entra refused: it needs User Administrator, Authentication Administrator, Privileged Authentication Administrator or Global Administrator',
  resetPassword: 'Entra refused: it needs Helpdesk, Password, User, Authentication, Privileged Authentication or Global Administrator',
  disableDevices: 'Entra refused: it needs Cloud Device Administrator, Intune Administrator or Global Administrator',
  confirmCompromised: 'Entra refused: it needs Security Administrator or Global Administrator',
  removeMethods:
    'Entra refused: it needs Authentication Administrator (for users without admin roles) or Privileged Authentication Administrator',
};
const STEP_PLANNED: Record<ContainmentStep, string> = {
  disableAccount: 'disable the account',
  resetPassword: 'reset the password',
  disableDevices: 'disable their devices',
  confirmCompromised: 'confirm the user compromised in Identity Protection',
  removeMethods: 'remove',
};
/** Why a step is not available in a tenant without the licence it needs. */
const STEP_LICENCE: Partial<Record<ContainmentStep, string>> = {
  confirmCompromised: 'not available in this tenant: Identity Protection needs Microsoft Entra ID P2',
};

/** "A", "A and B", "A, B and C". */
function listOf(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1) ?? ''}`;
}

/** Why a step was not done, in words the person (or the admin they forward it to) can act on. */
function whyNotDone(step: ContainmentStep, code: RevocationFailureCode | undefined, permissions: StepPermissions): string {
  if (code === 'forbidden') return STEP_ROLES[step];
  if (code === 'not_licensed') return STEP_LICENCE[step] ?? 'not available in this tenant (licence)';
  if (code === 'consent_required' && permissions[step].length > 0) {
    return `the app isn’t approved for this step yet: an Entra admin can grant admin consent for ${listOf(permissions[step])}`;
  }
  return code ? explainDirectoryFailure(code).title.toLowerCase() : 'failed';
}

/** What each containment step did, in words: done, or not done and why. */
function containmentLines(request: RevocationRequest, permissions: StepPermissions): ContainmentLine[] | undefined {
  const results = request.outcome?.containment;
  return results?.map((r) => {
    if (r.step === 'removeMethods')
      // One line per method: "✓ Removed: Phone +1 555 0100" or "✗ Remove Phone …: not done — why".
      return r.ok
        ? { label: STEP_DONE.removeMethods, ok: true, detail: r.detail }
        : { label: `Remove ${r.detail ?? 'a sign-in method'}`, ok: false, detail: `not done — ${whyNotDone(r.step, r.code, permissions)}` };
    return {
      label:
        r.step === 'disableDevices' ? 'Devices' : r.ok ? STEP_DONE[r.step] : STEP_PLANNED[r.step].replace(/^./, (c) => c.toUpperCase()),
      ok: r.ok,
      detail: r.ok ? r.detail : `${r.detail ? `${r.detail}; ` : ''}not done — ${whyNotDone(r.step, r.code, permissions)}`,
    };
  });
}

/** The steps the approver approves with the revoke, in the order they run, each method by name. */
function plannedSteps(request: RevocationRequest): string[] | undefined {
  const choice = request.containment;
  if (!choice) return undefined;
  const steps = CONTAINMENT_STEPS.filter((step) => isChosen(choice, step)).flatMap((step) =>
    step === 'removeMethods'
      ? (choice.removeMethods ?? []).flatMap((i) => {
          const method = request.methods?.items[i];
          return method ? [`remove ${describeMethod(method)}`] : [];
        })
      : [STEP_PLANNED[step]],
  );
  // Removing the last method but the password is allowed, but the approver must know what it means.
  const methods = request.methods?.items ?? [];
  if (isChosen(choice, 'removeMethods') && leftAfterRemoving(methods, choice.removeMethods ?? []) === 'none')
    steps.push('which leaves no sign-in method but the password: they must register again at their next sign-in');
  return steps;
}

/** The read-back after a revoke, for the result card (src/app/revocation/verifyRevocation.ts). */
function verificationOf(request: RevocationRequest): { verifiedValidFrom?: string; verification?: Verification } {
  const outcome = request.outcome;
  if (outcome?.kind !== 'revoked') return {};
  if (outcome.verified === undefined) return { verification: 'checking' };
  if (outcome.validFromAfter === undefined) return { verification: 'unreadable' };
  return { verifiedValidFrom: outcome.validFromAfter, verification: outcome.verified ? 'verified' : 'notMoved' };
}
