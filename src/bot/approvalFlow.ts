/**
 * The four-eyes flow at the Teams edge: the requester's "Request revocation" posts an approval
 * card to the security channel; an approver's Approve runs the revoke with the approver's own
 * sign-in, Reject closes it. The channel card is updated for everyone, the requester is told
 * in their own conversation, and each viewer sees their own view (Universal Actions refresh).
 * The server decides every click from its stored record.
 */
import { TurnContext, type CloudAdapter, type ConversationReference, type InvokeResponse } from 'botbuilder';
import type { ApprovalService, DecisionOutcome } from '../app/approvalService';
import { NAMESPACE } from '../app/ports/namespaces';
import type { StateStore } from '../app/ports/stateStore';
import type { Acting } from '../app/acting';
import type { RevocationService } from '../app/revocationService';
import type { AdaptiveCard } from '../cards/render';
import { deadlineIn } from '../domain/clock';
import type { PersonRef, RevocationRequest } from '../domain/revocationRequest';
import type { DelegatedSession } from '../identity/delegatedSessions';
import type { Logger } from '../observability/logger';
import { cardActivity, cardResponse, messageResponse, publish, replaceForEveryone } from './cardUpdates';
import { containmentFrom } from './containmentChoice';
import { explainApprovalRoute, explainDecision, explainDirectoryFailure, STORAGE_UNAVAILABLE } from './explain';
import type { Presenter, ViewContext } from './present';
import type { SecurityChannel } from './securityChannel';
import type { TurnPerson } from './turnPerson';

/** Where the requester's copy of the card is, so decisions can update it and tell them. */
interface RequesterConversation {
  readonly reference: Partial<ConversationReference>;
  readonly activityId?: string;
}

export interface ApprovalFlowOptions {
  readonly appId: string;
  readonly approvals: ApprovalService;
  readonly requests: RevocationService;
  readonly channel: SecurityChannel;
  readonly presenter: Presenter;
  readonly store: StateStore;
  readonly logger: Logger;
  readonly invokeBudgetInMs: number;
  readonly backgroundBudgetInMs?: number;
  /** The clicker's delegated session, or the 401 loginRequest to answer with. */
  readonly authenticate: (context: TurnContext, person: TurnPerson) => Promise<DelegatedSession | InvokeResponse>;
  /** Keeps work that continues after the invoke was answered, for graceful shutdown. */
  readonly track: (task: Promise<unknown>) => void;
}

export class ApprovalFlow {
  constructor(private readonly options: ApprovalFlowOptions) {}

  /** How this person sees this request here: approvers act in the security channel, the requester may withdraw. */
  async viewFor(context: TurnContext, person: TurnPerson, request: RevocationRequest, extra: Partial<ViewContext> = {}): Promise<ViewContext> {
    const isRequester = person.aadObjectId === request.requester.aadObjectId;
    const viewer = isRequester ? 'requester' : this.options.channel.isHere(context.activity) ? 'approver' : 'readOnly';
    return { approvalChannelName: await this.options.channel.displayName(), viewer, ...extra };
  }

  /** The requester sends a pending request to the security channel. */
  async request(context: TurnContext, person: TurnPerson, requestId: string, data: Record<string, unknown>): Promise<InvokeResponse> {
    const { presenter, channel } = this.options;
    const request = await this.options.requests.get(requestId);
    if (!request) return cardResponse(presenter.failure(explainDecision('not_found')));
    if (request.requester.aadObjectId !== person.aadObjectId || request.tenantId !== person.tenantId) {
      return messageResponse(explainDecision('not_requester', request.requester.name).message);
    }
    const channelName = await channel.displayName();
    const known = await channel.get();
    if (!known || known.isPrivate) {
      return this.keepOpen(context, request, explainApprovalRoute(known ? 'private_channel' : 'channel_unknown', channelName), channelName);
    }
    const reason = typeof data.reason === 'string' ? data.reason : undefined;
    const submitted = await this.options.approvals.submit(toPersonRef(person), requestId, { channelId: known.channelId, reason, containment: containmentFrom(data) });
    if (submitted.kind === 'duplicate') {
      const other = submitted.existing;
      return cardResponse(
        presenter.notice(
          'Already waiting for approval',
          `${other.target.displayName} already has a revocation request from ${other.requester.name} waiting in ${channelName}. Follow that one instead of sending a second.`,
          'info',
        ),
      );
    }
    if (submitted.kind === 'refused') {
      return cardResponse(submitted.request ? presenter.request(submitted.request, await this.viewFor(context, person, submitted.request)) : presenter.failure(explainDecision(submitted.problem)));
    }
    const audience = await this.audience(context, submitted.request, person.teamsId);
    const adapter = context.adapter as CloudAdapter;
    const posted = await channel.post(adapter, cardActivity(presenter.request(submitted.request, { approvalChannelName: channelName, viewer: 'readOnly', refreshUserIds: audience })));
    if (!posted.ok) {
      const back = await this.options.approvals.unroute(toPersonRef(person), requestId, submitted.previousExpiresAt, posted.problem);
      return this.keepOpen(context, back ?? request, explainApprovalRoute(posted.problem, channelName), channelName);
    }
    await this.options.approvals.attachCard(requestId, { conversationId: posted.conversationId, activityId: posted.activityId });
    const requesterCopy: RequesterConversation = { reference: TurnContext.getConversationReference(context.activity), activityId: context.activity.replyToId };
    await this.options.store.create(NAMESPACE.requesterConversations, requestId, requesterCopy, { expiresAt: new Date(Date.parse(submitted.request.expiresAt) + 7 * 24 * 3600_000) });
    const card = presenter.request(submitted.request, { approvalChannelName: channelName, viewer: 'requester' });
    if (context.activity.replyToId) await replaceForEveryone(context, context.activity.replyToId, card, this.options.logger);
    return cardResponse(card);
  }

  /** An approver approves: sign in if needed, then the revoke runs with their token. */
  async approve(context: TurnContext, person: TurnPerson, requestId: string): Promise<InvokeResponse> {
    const gate = await this.approverGate(context, person, requestId);
    if ('status' in gate) return gate;
    const session = await this.options.authenticate(context, person);
    if ('status' in session) return session;
    const acting: Acting = { person: { ...toPersonRef(person), userPrincipalName: session.user.userPrincipalName }, directory: session.directory, containment: session.containment };
    const budget = this.options.invokeBudgetInMs;
    const work = this.options.approvals.approve(acting, requestId, { deadline: deadlineIn(budget + (this.options.backgroundBudgetInMs ?? 20_000)) });
    const first = await Promise.race([work, new Promise<'slow'>((resolve) => setTimeout(() => resolve('slow'), budget).unref())]);
    if (first === 'slow') {
      const reference = TurnContext.getConversationReference(context.activity);
      const adapter = context.adapter as CloudAdapter;
      const cardId = context.activity.replyToId;
      this.options.track(
        work
          .then(async (outcome) => {
            if (outcome.kind !== 'decided') return;
            const card = this.options.presenter.request(outcome.request, await this.viewFor(context, person, outcome.request, { viewer: 'readOnly' }));
            await publish(adapter, this.options.appId, reference, cardId, card, this.options.logger);
            await this.tellRequester(adapter, outcome.request);
          })
          .catch((error: unknown) => this.options.logger.error({ err: error }, 'background approval failed')),
      );
      const current = await this.options.requests.get(requestId);
      return cardResponse(current ? this.options.presenter.request(current, await this.viewFor(context, person, current)) : this.options.presenter.notice('Working on it', 'Revoking sessions…'));
    }
    return this.afterDecision(context, person, first);
  }

  /** An approver rejects, with the note they typed (optional). No sign-in needed: nothing changes in the directory. */
  async reject(context: TurnContext, person: TurnPerson, requestId: string, data: Record<string, unknown>): Promise<InvokeResponse> {
    const gate = await this.approverGate(context, person, requestId);
    if ('status' in gate) return gate;
    const note = typeof data.note === 'string' ? data.note : undefined;
    return this.afterDecision(context, person, await this.options.approvals.reject(toPersonRef(person), requestId, note));
  }

  /** The requester withdraws a request waiting for approval; the channel card says so. */
  async withdraw(context: TurnContext, person: TurnPerson, requestId: string): Promise<InvokeResponse> {
    const outcome = await this.options.approvals.withdraw(toPersonRef(person), requestId);
    if (outcome.kind === 'refused' && outcome.problem === 'not_requester') return messageResponse(explainDecision('not_requester', outcome.request?.requester.name).message);
    if (outcome.kind !== 'decided') return this.refusedCard(context, person, outcome);
    const card = this.options.presenter.request(outcome.request, await this.viewFor(context, person, outcome.request));
    if (context.activity.replyToId) await replaceForEveryone(context, context.activity.replyToId, card, this.options.logger);
    await this.updateChannelCard(context.adapter as CloudAdapter, outcome.request);
    return cardResponse(card);
  }

  /** Who gets their own view of an open approval card: the channel's members but the requester (Teams takes at most 60). */
  private async audience(context: TurnContext, request: RevocationRequest, requesterTeamsId?: string): Promise<string[]> {
    const ids = await this.options.channel.memberIds(context.adapter as CloudAdapter, 61);
    const requester = requesterTeamsId ?? (await this.requesterTeamsId(request));
    return ids.filter((id) => id !== requester).slice(0, 60);
  }

  private async requesterTeamsId(request: RevocationRequest): Promise<string | undefined> {
    const stored = await this.options.store.get<RequesterConversation>(NAMESPACE.requesterConversations, request.id);
    return stored?.value.reference.user?.id;
  }

  /** Checks common to approve and reject; answers at once when the click cannot be an approval. */
  private async approverGate(context: TurnContext, person: TurnPerson, requestId: string): Promise<RevocationRequest | InvokeResponse> {
    const request = await this.options.requests.get(requestId);
    if (!request) return cardResponse(this.options.presenter.failure(explainDecision('not_found')));
    if (request.requester.aadObjectId === person.aadObjectId) return messageResponse(explainDecision('self_approval').message);
    if (!this.options.channel.isHere(context.activity)) return messageResponse(`Approvals happen in ${await this.options.channel.displayName()}.`);
    // An approved revoke interrupted by a crash is the approvers' to recover (ApprovalService.approve).
    if (request.state !== 'awaitingApproval' && !this.options.approvals.isStaleExecution(request)) return cardResponse(this.options.presenter.request(request, await this.viewFor(context, person, request)));
    return request;
  }

  private async afterDecision(context: TurnContext, person: TurnPerson, outcome: DecisionOutcome): Promise<InvokeResponse> {
    if (outcome.kind !== 'decided') return this.refusedCard(context, person, outcome);
    const request = outcome.request;
    // While it stays open, the card everyone sees keeps refreshing to each approver's own view.
    const audience = request.state === 'awaitingApproval' ? await this.audience(context, request) : undefined;
    const everyone = this.options.presenter.request(request, await this.viewFor(context, person, request, { viewer: 'readOnly', refreshUserIds: audience }));
    if (context.activity.replyToId) await replaceForEveryone(context, context.activity.replyToId, everyone, this.options.logger);
    if (request.state === 'awaitingApproval') {
      // This approver could not do it (e.g. lacks the role); the request waits for the next one.
      const attempt = request.outcome?.kind === 'refused' ? request.outcome : undefined;
      const why = explainDirectoryFailure(attempt?.code ?? 'unexpected', request.target.displayName);
      const roles = attempt?.rolesNeeded?.map((r) => r.displayName) ?? [];
      const notice = `${why.title}. ${why.message}${roles.length ? ` It needs ${roles.join(' or ')}.` : ''} ${why.hint ?? ''} The request stays open for another approver.`;
      return cardResponse(this.options.presenter.request(request, await this.viewFor(context, person, request, { notice: notice.trim() })));
    }
    await this.tellRequester(context.adapter as CloudAdapter, request);
    return cardResponse(everyone);
  }

  private async refusedCard(context: TurnContext, person: TurnPerson, outcome: Exclude<DecisionOutcome, { kind: 'decided' }>): Promise<InvokeResponse> {
    if (outcome.kind === 'storage_unavailable') return cardResponse(this.options.presenter.failure(STORAGE_UNAVAILABLE));
    if (outcome.request) return cardResponse(this.options.presenter.request(outcome.request, await this.viewFor(context, person, outcome.request)));
    return cardResponse(this.options.presenter.failure(explainDecision(outcome.problem)));
  }

  /** Updates the requester's copy and tells them the decision in their own conversation. */
  private async tellRequester(adapter: CloudAdapter, request: RevocationRequest): Promise<void> {
    const stored = await this.options.store.get<RequesterConversation>(NAMESPACE.requesterConversations, request.id);
    if (!stored) return;
    const card = this.options.presenter.request(request, { approvalChannelName: await this.options.channel.displayName(), viewer: 'readOnly' });
    const by = request.decidedBy?.name ?? 'An approver';
    const what =
      request.state === 'succeeded'
        ? `${by} approved your request: ${request.target.displayName}'s sessions are revoked.`
        : request.state === 'rejected'
          ? `${by} rejected your request to revoke ${request.target.displayName}'s sessions${request.approval?.rejectReason ? `: “${request.approval.rejectReason}”` : '.'}`
          : `${by} approved your request for ${request.target.displayName}, but the revocation failed. See the card for why.`;
    try {
      await publish(adapter, this.options.appId, stored.value.reference, stored.value.activityId, card, this.options.logger, what);
    } catch (error) {
      this.options.logger.warn({ err: error, requestId: request.id }, 'could not tell the requester');
    }
  }

  /** Replaces the approval card in the channel for everyone (after a withdrawal, from outside the channel). */
  private async updateChannelCard(adapter: CloudAdapter, request: RevocationRequest): Promise<void> {
    const known = await this.options.channel.get();
    const card = request.approval?.card;
    if (!known || !card) return;
    const rendered = this.options.presenter.request(request, { approvalChannelName: await this.options.channel.displayName(), viewer: 'readOnly' });
    try {
      await publish(adapter, this.options.appId, { ...known.reference, conversation: { ...known.reference.conversation!, id: card.conversationId } }, card.activityId, rendered, this.options.logger);
    } catch (error) {
      this.options.logger.warn({ err: error, requestId: request.id }, 'could not update the approval card');
    }
  }

  /** The request could not go to the channel: the lookup card stays, and a message says why. */
  private async keepOpen(context: TurnContext, request: RevocationRequest, why: ReturnType<typeof explainApprovalRoute>, channelName: string): Promise<InvokeResponse> {
    await context.sendActivity(cardActivity(this.options.presenter.notice(why.title, `${why.message} ${why.hint ?? ''}`.trim(), 'warning')));
    return cardResponse(this.options.presenter.request(request, { approvalChannelName: channelName, viewer: 'requester' }));
  }
}

function toPersonRef(person: TurnPerson): PersonRef {
  return { tenantId: person.tenantId, aadObjectId: person.aadObjectId, name: person.name };
}

export type { AdaptiveCard };
