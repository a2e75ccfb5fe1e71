/**
 * Each kind of approvable subject at the Teams edge: its workflow, its card in each viewer's
 * version, the access its executor needs, and what its requester reads. The four-eyes handlers
 * (handlers.ts) are written once over this; single requests and bulk runs plug in here.
 */
import type { BotAdapter } from 'botbuilder';
import type { Acting } from '../../app/acting';
import type { AlertActing } from '../../app/alerts/alertApprovals';
import type { ApprovalWorkflow } from '../../app/approval/approvalWorkflow';
import type { BulkApproverActing } from '../../app/bulk/bulkApprovals';
import type { ExecutionOutcome } from '../../app/bulk/bulkExecution';
import { NAMESPACE, type StoreNamespace } from '../../app/ports/namespaces';
import type { AdaptiveCard } from '../../cards/render';
import type { AlertAction, AlertCase } from '../../domain/alert';
import type { Approvable } from '../../domain/approval';
import type { BulkRun } from '../../domain/bulkRun';
import type { PersonRef } from '../../domain/people';
import type { RevocationRequest } from '../../domain/revocationRequest';
import type { DelegatedSession } from '../../identity/delegatedSessions';
import { atConversation, publish } from '../cardUpdates';
import { explainDirectoryFailure } from '../explain';
import { reportWhenFinished, runCard, runCardForEveryone, runDecisionText, updateRunCards, watchProgress } from '../bulk/runCards';
import { requestCard, requestCardForEveryone } from '../revocation/requestCard';
import type { BotServices, Turn } from '../turn';
import { actingFor, bulkActingFor, toPersonRef } from '../turnHelpers';
import { isRequester } from '../../domain/people';
import type { ScheduledRevocation } from '../../domain/schedule';
import { approvalView } from '../schedule/scheduleViews';
import type { TurnPerson } from '../turnPerson';
import type { SecurityChannel } from '../securityChannel';
import type { Viewer } from './viewer';

/** How a four-eyes card is shown beyond its subject. */
export interface SubjectViewExtra {
  readonly viewer?: Viewer;
  /** Teams user ids whose clients refresh the card to their own view. */
  readonly refreshUserIds?: string[];
  /** A line for this viewer only (e.g. why their approval did not go through). */
  readonly notice?: string;
}

/** One kind of approvable subject, as the four-eyes handlers use it. */
export interface SubjectAtEdge<T extends Approvable, A extends { readonly person: PersonRef }, E> {
  readonly workflow: ApprovalWorkflow<T, A, E>;
  /** Where the requester's conversations are kept for this kind. */
  readonly conversations: StoreNamespace;
  /** The card as this turn's person sees it (or as `extra.viewer`). */
  card(turn: Turn, subject: T, extra?: SubjectViewExtra): Promise<AdaptiveCard>;
  /** The card as everyone sees it, for updates outside a turn. */
  cardForEveryone(subject: T, extra?: SubjectViewExtra): Promise<AdaptiveCard>;
  /** The approver's access for this kind's executor; undefined when this deployment cannot run it. */
  acting(person: TurnPerson, session: DelegatedSession, adapter: BotAdapter): A | undefined;
  /** What the requester reads once it is decided. */
  decisionText(subject: T): string;
  /** Why an approval did not go through, for kinds whose failed approvals wait for the next approver. */
  stillWaitingNotice?(subject: T): string;
  /** What the requester is told, for kinds of which one per target may wait: another about the same target already waits. */
  duplicateNotice?(existing: T, channelName: string): { title: string; message: string };
  /** For kinds whose approved work goes on after the click: keeps the cards current, and reports when it ends. */
  follow?(adapter: BotAdapter, execution: E): void;
  /** Updates the subject's other cards for everyone (the approval card in the channel, a run's own card). */
  updateCards(adapter: BotAdapter, subject: T): Promise<void>;
}

/** Single revocation requests at the edge; undefined when approvals are off. */
export function requestSubjects(bot: BotServices): SubjectAtEdge<RevocationRequest, Acting, never> | undefined {
  const approvals = bot.approvals;
  if (!approvals) return undefined;
  return {
    workflow: approvals.requests,
    conversations: NAMESPACE.requesterConversations,
    card: (turn, request, extra = {}) => requestCard(turn, request, extra),
    cardForEveryone: (request, extra = {}) => requestCardForEveryone(bot, request, extra),
    acting: (person, session) => actingFor(person, session),
    decisionText(request) {
      const by = request.decidedBy?.name ?? 'An approver';
      const who = request.target.displayName;
      if (request.state === 'succeeded') return `${by} approved your request: ${who}'s sessions are revoked.`;
      if (request.state === 'rejected')
        return `${by} rejected your request to revoke ${who}'s sessions${request.approval?.rejectReason ? `: “${request.approval.rejectReason}”` : '.'}`;
      return `${by} approved your request for ${who}, but the revocation failed. See the card for why.`;
    },
    stillWaitingNotice(request) {
      // This approver could not do it (e.g. lacks the role); the request waits for the next one.
      const attempt = request.outcome?.kind === 'refused' ? request.outcome : undefined;
      const why = explainDirectoryFailure(attempt?.code ?? 'unexpected', request.target.displayName);
      const roles = attempt?.rolesNeeded?.map((r) => r.displayName) ?? [];
      return `${why.title}. ${why.message}${roles.length ? ` It needs ${roles.join(' or ')}.` : ''} ${why.hint ?? ''} The request stays open for another approver.`.trim();
    },
    duplicateNotice: (existing, channelName) => ({
      title: 'Already waiting for approval',
      message: `${existing.target.displayName} already has a revocation request from ${existing.requester.name} waiting in ${channelName}. Follow that one instead of sending a second.`,
    }),
    // The approval card in the channel, for everyone (e.g. after a withdrawal from outside the channel).
    updateCards: (adapter, request) =>
      updateChannelCard(bot, approvals.channel, adapter, request.approval?.card, () => requestCardForEveryone(bot, request), {
        requestId: request.id,
      }),
  };
}

/** Bulk runs at the edge; undefined when approvals or bulk runs are off. */
export function bulkSubjects(bot: BotServices): SubjectAtEdge<BulkRun, BulkApproverActing, Promise<ExecutionOutcome>> | undefined {
  const approvals = bot.approvals;
  const bulk = bot.bulk;
  if (!approvals || !bulk) return undefined;
  return {
    workflow: approvals.bulk,
    conversations: NAMESPACE.bulkRequesterConversations,
    card: async (turn, run, extra = {}) => runCard(turn, bulk, run, extra),
    cardForEveryone: async (run, extra = {}) => runCardForEveryone(bot, bulk, run, extra),
    acting(person, session, adapter) {
      const acting = bulkActingFor(person, session);
      return acting ? { ...acting, observer: watchProgress(bot, bulk, adapter) } : undefined;
    },
    decisionText: (run) => runDecisionText(run),
    follow: (adapter, finished) => reportWhenFinished(bot, bulk, adapter, finished),
    updateCards: (adapter, run) => updateRunCards(bot, bulk, adapter, run),
  };
}

/**
 * Alerts at the edge, for one clicked action; undefined when alerts are off. An alert has no
 * requester conversation (its requester is the alert's source): nothing is ever stored under its
 * id in the requesters' namespace, so nobody is told beyond the channel card.
 */
export function alertSubjects(bot: BotServices, action: AlertAction): SubjectAtEdge<AlertCase, AlertActing, never> | undefined {
  const approvals = bot.approvals;
  const workflow = approvals?.alerts;
  if (!approvals || !workflow) return undefined;
  return {
    workflow,
    conversations: NAMESPACE.requesterConversations,
    card: async (_turn, alert, extra = {}) => bot.presenter.alert(alert, extra.notice),
    cardForEveryone: async (alert) => bot.presenter.alert(alert),
    acting: (person, session) => ({ ...actingFor(person, session), action }),
    decisionText: () => '',
    stillWaitingNotice: () => 'Your action did not go through (see the card for why); the alert stays open for someone else.',
    updateCards: (adapter, alert) =>
      updateChannelCard(bot, approvals.channel, adapter, alert.approval?.card, () => bot.presenter.alert(alert), { alertId: alert.id }),
  };
}

/** Scheduled revocations at the edge; undefined when approvals or scheduling are off. */
export function scheduleSubjects(bot: BotServices): SubjectAtEdge<ScheduledRevocation, { readonly person: PersonRef }, never> | undefined {
  const approvals = bot.approvals;
  if (!approvals || !bot.schedules) return undefined;
  const everyone = (schedule: ScheduledRevocation, extra: SubjectViewExtra = {}): AdaptiveCard =>
    bot.presenter.schedule(approvalView(schedule, false, extra.notice));
  return {
    workflow: approvals.schedules,
    conversations: NAMESPACE.scheduleConversations,
    card: async (turn, schedule, extra = {}) =>
      bot.presenter.schedule(
        approvalView(
          schedule,
          isRequester(schedule.requester, toPersonRef(turn.person)) && !approvals.channel.isHere(turn.context.activity),
          extra.notice,
        ),
      ),
    cardForEveryone: async (schedule, extra = {}) => everyone(schedule, extra),
    acting: (person) => ({ person: toPersonRef(person) }),
    decisionText(schedule) {
      const by = schedule.decidedBy?.name ?? 'An approver';
      return schedule.state === 'armed'
        ? `${by} approved your schedule: it is armed.`
        : `${by} rejected your schedule${schedule.approval?.rejectReason ? `: “${schedule.approval.rejectReason}”` : '.'}`;
    },
    updateCards: (adapter, schedule) =>
      updateChannelCard(bot, approvals.channel, adapter, schedule.approval?.card, () => everyone(schedule), { scheduleId: schedule.id }),
  };
}

/**
 * Updates a subject's card in the security channel, for everyone. A failure is logged, not
 * thrown: the stored state is what counts, and the card catches up at the next update.
 */
async function updateChannelCard(
  bot: BotServices,
  channel: SecurityChannel,
  adapter: BotAdapter,
  card: { readonly conversationId: string; readonly activityId: string } | undefined,
  content: () => AdaptiveCard | Promise<AdaptiveCard>,
  about: Readonly<Record<string, string>>,
): Promise<void> {
  const known = await channel.get();
  if (!known || !card) return;
  try {
    await publish(adapter, bot.appId, atConversation(known.reference, card.conversationId), card.activityId, await content(), bot.logger);
  } catch (error) {
    bot.logger.warn({ err: error, ...about }, 'could not update the card in the security channel');
  }
}
