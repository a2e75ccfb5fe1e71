/**
 * Bulk runs at the Teams edge: `revoke group "…"` / `revoke department "…"` resolve the members
 * into a run with a confirmation card (count, sample, admins by tier); starting it — or, with a
 * security channel, an approver approving it — revokes in $batch chunks in the background,
 * updating the card as batches finish, with a final report that lists every failure and why.
 */
import { TurnContext, type CloudAdapter, type ConversationReference, type InvokeResponse } from 'botbuilder';
import type { BulkRevocationService, BulkSourceRequest, ExecutionOutcome, StartOutcome } from '../app/bulk/bulkRevocationService';
import { supportsBulk, type BulkDirectoryGateway } from '../app/ports/directory';
import { NAMESPACE } from '../app/ports/namespaces';
import type { StateStore } from '../app/ports/stateStore';
import type { AdaptiveCard, CardRenderer } from '../cards/render';
import type { BulkView } from '../cards/views';
import { deadlineIn, msUntil, type Clock, type Deadline } from '../domain/clock';
import type { BulkSource } from '../domain/bulkCommand';
import { describeBulkSource } from '../domain/bulkCommand';
import { progressOf, reportOf, summarize, type BulkRun } from '../domain/bulkRun';
import type { PersonRef } from '../domain/revocationRequest';
import type { DelegatedSession } from '../identity/delegatedSessions';
import type { Logger } from '../observability/logger';
import { cardActivity, cardResponse, messageResponse, publish, replaceForEveryone } from './cardUpdates';
import { explainApprovalRoute, explainDecision, explainDirectoryFailure, STORAGE_UNAVAILABLE } from './explain';
import type { Presenter } from './present';
import type { SecurityChannel } from './securityChannel';
import type { TurnPerson } from './turnPerson';

const TIER_LABEL = { nonAdmin: 'no admin role', limitedAdmin: 'limited admin', privilegedAdmin: 'privileged admin' } as const;

interface RequesterConversation {
  readonly reference: Partial<ConversationReference>;
  readonly activityId?: string;
}

export interface BulkFlowOptions {
  readonly appId: string;
  readonly service: BulkRevocationService;
  readonly cards: CardRenderer;
  readonly presenter: Presenter;
  readonly store: StateStore;
  readonly logger: Logger;
  readonly channel?: SecurityChannel;
  readonly maxTargets: number;
  readonly clock: Clock;
  readonly authenticate: (context: TurnContext, person: TurnPerson) => Promise<DelegatedSession | InvokeResponse>;
  readonly track: (task: Promise<unknown>) => void;
  /** Least time between two progress updates of one card (Teams limits message updates per conversation). */
  readonly progressIntervalInMs?: number;
}

export class BulkFlow {
  constructor(private readonly options: BulkFlowOptions) {}

  /** The message turn: resolves the members and shows the confirmation card. */
  async prepare(context: TurnContext, person: TurnPerson, session: DelegatedSession, source: BulkSource): Promise<void> {
    const directory = session.directory;
    const label = describeBulkSource(source);
    if (!supportsBulk(directory)) return void (await this.notice(context, 'Bulk revocation isn’t available', 'This deployment cannot read groups or departments.', 'warning'));
    const request: BulkSourceRequest = source.kind === 'department' ? { kind: 'department', department: source.name } : { kind: 'group', group: source.ref };
    const prepared = await this.options.service.prepare({ person: personRef(person, session), directory }, request, { maxTargets: this.options.maxTargets });
    switch (prepared.kind) {
      case 'prepared': {
        const sent = await context.sendActivity(cardActivity(await this.card(context, person, prepared.run)));
        if (sent?.id) {
          await this.options.service.attachCard(prepared.run.id, { conversationId: context.activity.conversation.id, activityId: sent.id });
          // Where the requester's card is, for progress updates and the final report (also after a restart).
          await this.options.store.create(NAMESPACE.bulkRequesterConversations, prepared.run.id, { reference: TurnContext.getConversationReference(context.activity), activityId: sent.id } satisfies RequesterConversation, {
            expiresAt: new Date(Date.parse(prepared.run.expiresAt) + 7 * 24 * 3600_000),
          });
        }
        return;
      }
      case 'too_many':
        return this.notice(
          context,
          'Too many users for one run',
          `The ${label} has ${prepared.exact ? prepared.count : `more than ${prepared.maxTargets}`} users; one run takes at most ${prepared.maxTargets}. Split it (for example by department), or ask your administrator about BULK_MAX_TARGETS.`,
          'warning',
        );
      case 'empty':
        return this.notice(context, 'Nobody to revoke', `The ${label} has no users in it.`, 'info');
      case 'not_found':
        return this.notice(context, 'Not found', `No ${label} exists in your directory. Check the name, or use the group's object id.`, 'info');
      case 'ambiguous_group':
        return this.notice(context, 'Several groups have that name', `More than one ${label} exists. Use the group's object id instead: revoke group <object id>.`, 'info');
      case 'failed': {
        // Reading members is a permission matter (GroupMember.Read.All / User.Read.All), not a directory role.
        const why =
          prepared.failure.code === 'forbidden'
            ? { title: 'Couldn’t read who is in it', message: `Microsoft Graph refused to list the members of the ${label}. The app may lack the GroupMember.Read.All permission in your organisation.`, hint: 'Ask your Entra administrator to grant it (see the set-up guide).' }
            : explainDirectoryFailure(prepared.failure.code);
        await context.sendActivity(cardActivity(this.options.presenter.failure(why, { graphRequestId: prepared.failure.graphRequestId })));
        return;
      }
    }
  }

  /** Requester, no approvals: start revoking now with their own token. */
  async start(context: TurnContext, person: TurnPerson, runId: string): Promise<InvokeResponse> {
    const run = await this.options.service.get(runId);
    if (!run) return cardResponse(this.options.presenter.failure(explainDecision('not_found')));
    if (run.requester.aadObjectId !== person.aadObjectId) return messageResponse(explainDecision('not_requester', run.requester.name).message);
    if (run.state !== 'pending') return cardResponse(await this.card(context, person, run));
    const session = await this.options.authenticate(context, person);
    if ('status' in session) return session;
    const directory = session.directory;
    if (!supportsBulk(directory)) return messageResponse('Bulk revocation isn’t available in this deployment.');
    const started = await this.options.service.start({ person: personRef(person, session), directory }, runId, this.observer(context.adapter as CloudAdapter));
    return this.afterStart(context, person, started);
  }

  /** Requester, four eyes: send the run to the security channel. */
  async request(context: TurnContext, person: TurnPerson, runId: string, data: Record<string, unknown>): Promise<InvokeResponse> {
    const { channel } = this.options;
    const run = await this.options.service.get(runId);
    if (!run) return cardResponse(this.options.presenter.failure(explainDecision('not_found')));
    if (run.requester.aadObjectId !== person.aadObjectId) return messageResponse(explainDecision('not_requester', run.requester.name).message);
    if (!channel) return messageResponse('Approvals are not set up here.');
    const channelName = await channel.displayName();
    const known = await channel.get();
    if (!known || known.isPrivate) return this.keepOpen(context, person, run, explainApprovalRoute(known ? 'private_channel' : 'channel_unknown', channelName));
    const reason = typeof data.reason === 'string' ? data.reason : undefined;
    const submitted = await this.options.service.submitForApproval(toPersonRef(person), runId, { channelId: known.channelId, reason });
    if (submitted.kind === 'refused') return cardResponse(submitted.run ? await this.card(context, person, submitted.run) : this.options.presenter.failure(explainDecision(submitted.problem)));
    const adapter = context.adapter as CloudAdapter;
    const audience = (await channel.memberIds(adapter, 61)).filter((id) => id !== person.teamsId).slice(0, 60);
    const posted = await channel.post(adapter, cardActivity(this.options.cards.bulk(this.view(submitted.run, { viewer: 'readOnly', refreshUserIds: audience }))));
    if (!posted.ok) {
      const back = await this.options.service.unroute(runId);
      return this.keepOpen(context, person, back ?? run, explainApprovalRoute(posted.problem, channelName));
    }
    await this.options.service.attachApprovalCard(runId, { conversationId: posted.conversationId, activityId: posted.activityId });
    const card = await this.card(context, person, submitted.run);
    if (context.activity.replyToId) await replaceForEveryone(context, context.activity.replyToId, card, this.options.logger);
    return cardResponse(card);
  }

  /** An approver in the security channel approves: the run starts with the approver's token. */
  async approve(context: TurnContext, person: TurnPerson, runId: string): Promise<InvokeResponse> {
    const gate = await this.approverGate(context, person, runId);
    if ('status' in gate) return gate;
    const session = await this.options.authenticate(context, person);
    if ('status' in session) return session;
    const directory = session.directory;
    if (!supportsBulk(directory)) return messageResponse('Bulk revocation isn’t available in this deployment.');
    const started = await this.options.service.approve({ person: personRef(person, session), directory }, runId, this.observer(context.adapter as CloudAdapter));
    return this.afterStart(context, person, started);
  }

  async reject(context: TurnContext, person: TurnPerson, runId: string, data: Record<string, unknown>): Promise<InvokeResponse> {
    const gate = await this.approverGate(context, person, runId);
    if ('status' in gate) return gate;
    const outcome = await this.options.service.reject(toPersonRef(person), runId, typeof data.note === 'string' ? data.note : undefined);
    if (outcome.kind === 'refused') return cardResponse(outcome.run ? await this.card(context, person, outcome.run) : this.options.presenter.failure(explainDecision(outcome.problem)));
    const everyone = this.options.cards.bulk(this.view(outcome.run, { viewer: 'readOnly' }));
    if (context.activity.replyToId) await replaceForEveryone(context, context.activity.replyToId, everyone, this.options.logger);
    await this.tellRequester(context.adapter as CloudAdapter, outcome.run);
    return cardResponse(everyone);
  }

  /** The requester cancels a pending run, withdraws one waiting for approval, or stops a running one. */
  async cancel(context: TurnContext, person: TurnPerson, runId: string): Promise<InvokeResponse> {
    const outcome = await this.options.service.cancel(toPersonRef(person), runId);
    if (outcome.kind === 'refused') {
      if (outcome.problem === 'not_requester') return messageResponse(explainDecision('not_requester', outcome.run?.requester.name).message);
      return cardResponse(outcome.run ? await this.card(context, person, outcome.run) : this.options.presenter.failure(explainDecision(outcome.problem)));
    }
    const card = await this.card(context, person, outcome.run);
    if (context.activity.replyToId) await replaceForEveryone(context, context.activity.replyToId, card, this.options.logger);
    await this.updateCards(context.adapter as CloudAdapter, outcome.run);
    return cardResponse(card);
  }

  /** The card as this person sees it now; the person whose token runs a paused run resumes it. */
  async refresh(context: TurnContext, person: TurnPerson, runId: string): Promise<InvokeResponse> {
    const run = await this.options.service.get(runId);
    if (!run) return cardResponse(this.options.presenter.failure(explainDecision('not_found')));
    // A run no instance is executing (a restart, an expired sign-in) continues when the person whose token runs it clicks.
    if (run.state === 'running' && !this.options.service.isExecuting(runId) && run.decidedBy?.aadObjectId === person.aadObjectId) {
      const session = await this.options.authenticate(context, person);
      if ('status' in session) return session;
      const directory = session.directory;
      if (supportsBulk(directory)) {
        const resumed = await this.options.service.resume(runId, () => directory, this.observer(context.adapter as CloudAdapter));
        if (resumed.kind === 'resumed') this.finishLater(context.adapter as CloudAdapter, resumed.finished);
      }
    }
    const current = (await this.options.service.get(runId)) ?? run;
    return cardResponse(await this.card(context, person, current));
  }

  private afterStart(context: TurnContext, person: TurnPerson, started: StartOutcome): Promise<InvokeResponse> | InvokeResponse {
    if (started.kind === 'storage_unavailable') return cardResponse(this.options.presenter.failure(STORAGE_UNAVAILABLE));
    if (started.kind === 'refused') {
      if (started.problem === 'self_approval') return messageResponse(explainDecision('self_approval').message);
      return (async () => cardResponse(started.run ? await this.card(context, person, started.run) : this.options.presenter.failure(explainDecision(started.problem))))();
    }
    this.finishLater(context.adapter as CloudAdapter, started.finished);
    return (async () => {
      const card = this.options.cards.bulk(this.view(started.run, { viewer: 'readOnly' }));
      if (context.activity.replyToId) await replaceForEveryone(context, context.activity.replyToId, card, this.options.logger);
      return cardResponse(card);
    })();
  }

  /** When the run ends: the final report on its cards and, for approved runs, the requester told. */
  private finishLater(adapter: CloudAdapter, finished: Promise<ExecutionOutcome>): void {
    this.options.track(
      finished
        .then(async (outcome) => {
          const run = 'run' in outcome && outcome.run ? outcome.run : undefined;
          if (!run) return;
          await this.updateCards(adapter, run);
          if (run.approval) await this.tellRequester(adapter, run);
        })
        .catch((error: unknown) => this.options.logger.error({ err: error }, 'bulk run report failed')),
    );
  }

  /** Progress: update the run's cards as batches finish, at most once per interval. */
  private observer(adapter: CloudAdapter): { onProgress: (progress: unknown, run: BulkRun) => Promise<void> } {
    let next: Deadline = 0;
    return {
      onProgress: async (_progress, run) => {
        if (msUntil(next) > 0 && progressOf(run).remaining > 0) return;
        next = deadlineIn(this.options.progressIntervalInMs ?? 1000);
        await this.updateCards(adapter, run);
      },
    };
  }

  /** Replaces the run's card (and its approval card) for everyone. */
  private async updateCards(adapter: CloudAdapter, run: BulkRun): Promise<void> {
    const card = this.options.cards.bulk(this.view(run, { viewer: 'readOnly' }));
    const targets: { conversationId: string; activityId: string }[] = [];
    if (run.card) targets.push(run.card);
    if (run.approval?.card) targets.push(run.approval.card);
    const requester = await this.options.store.get<RequesterConversation>(NAMESPACE.bulkRequesterConversations, run.id);
    for (const target of targets) {
      const reference = await this.referenceFor(target.conversationId, requester?.value.reference);
      if (!reference) continue;
      try {
        await publish(adapter, this.options.appId, reference, target.activityId, card, this.options.logger);
      } catch (error) {
        this.options.logger.warn({ err: error, runId: run.id }, 'could not update a bulk card');
      }
    }
  }

  private async referenceFor(conversationId: string, requesterReference?: Partial<ConversationReference>): Promise<Partial<ConversationReference> | undefined> {
    const known = await this.options.channel?.get();
    if (known && conversationId.split(';')[0] === known.channelId) return { ...known.reference, conversation: { ...known.reference.conversation!, id: conversationId } };
    if (requesterReference) return { ...requesterReference, conversation: { ...requesterReference.conversation!, id: conversationId } };
    return undefined;
  }

  private async tellRequester(adapter: CloudAdapter, run: BulkRun): Promise<void> {
    const stored = await this.options.store.get<RequesterConversation>(NAMESPACE.bulkRequesterConversations, run.id);
    if (!stored) return;
    const by = run.decidedBy?.name ?? 'An approver';
    const report = reportOf(run);
    const what =
      run.state === 'rejected'
        ? `${by} rejected your bulk request for the ${run.source.label}${run.approval?.rejectReason ? `: “${run.approval.rejectReason}”` : '.'}`
        : `${by} approved your bulk request for the ${run.source.label}: ${report.done} revoked, ${report.failed} not revoked.`;
    try {
      await publish(adapter, this.options.appId, stored.value.reference, stored.value.activityId, this.options.cards.bulk(this.view(run, { viewer: 'readOnly' })), this.options.logger, what);
    } catch (error) {
      this.options.logger.warn({ err: error, runId: run.id }, 'could not tell the requester');
    }
  }

  private async approverGate(context: TurnContext, person: TurnPerson, runId: string): Promise<BulkRun | InvokeResponse> {
    const run = await this.options.service.get(runId);
    if (!run) return cardResponse(this.options.presenter.failure(explainDecision('not_found')));
    if (run.requester.aadObjectId === person.aadObjectId) return messageResponse(explainDecision('self_approval').message);
    if (!this.options.channel?.isHere(context.activity)) return messageResponse(`Approvals happen in ${(await this.options.channel?.displayName()) ?? 'the security channel'}.`);
    if (run.state !== 'awaitingApproval') return cardResponse(await this.card(context, person, run));
    return run;
  }

  private async keepOpen(context: TurnContext, person: TurnPerson, run: BulkRun, why: { title: string; message: string; hint?: string }): Promise<InvokeResponse> {
    await this.notice(context, why.title, `${why.message} ${why.hint ?? ''}`.trim(), 'warning');
    return cardResponse(await this.card(context, person, run));
  }

  private async notice(context: TurnContext, title: string, message: string, tone: 'info' | 'warning' | 'error'): Promise<void> {
    await context.sendActivity(cardActivity(this.options.presenter.notice(title, message, tone)));
  }

  /** The card for this viewer here: the requester, an approver in the security channel, or anyone else. */
  private async card(context: TurnContext, person: TurnPerson, run: BulkRun): Promise<AdaptiveCard> {
    const viewer = person.aadObjectId === run.requester.aadObjectId ? 'requester' : this.options.channel?.isHere(context.activity) ? 'approver' : 'readOnly';
    return this.options.cards.bulk(this.view(run, { viewer }));
  }

  /** A run as the card shows it. */
  view(run: BulkRun, extra: Pick<BulkView, 'viewer'> & Partial<BulkView>): BulkView {
    const summary = summarize(run.items);
    const report = reportOf(run);
    const started = run.state === 'running' || run.state === 'completed' || (run.state === 'cancelled' && run.startedAt !== undefined);
    const state: BulkView['state'] = run.state === 'awaitingApproval' ? 'awaiting' : run.state;
    return {
      runId: run.id,
      sourceLabel: `${run.source.kind} “${run.source.label}”`,
      requesterName: run.requester.name,
      state,
      total: run.items.length,
      sample: summary.sample,
      tierCounts: summary.tiers,
      admins: summary.admins.map((a) => `${a.displayName} (${a.tier ? TIER_LABEL[a.tier] : 'role unknown'})`),
      progress: started ? progressOf(run) : undefined,
      failures: report.failures.map((f) => ({ name: f.displayName, userPrincipalName: f.userPrincipalName, reason: explainDirectoryFailure(f.code, f.displayName).title.toLowerCase() })),
      verified: report.verified,
      decidedByName: run.decidedBy?.name,
      decidedAt: run.completedAt ?? run.decidedAt,
      reason: run.approval?.reason,
      rejectReason: run.approval?.rejectReason,
      expiresAt: run.expiresAt,
      approvalChannelName: this.options.channel ? this.options.channel.cachedDisplayName() : undefined,
      notice:
        run.state === 'running' && !this.options.service.isExecuting(run.id) && (run.stopped || !run.execution || Date.parse(run.execution.leaseUntil) < this.options.clock.now().getTime())
          ? `Paused: ${run.decidedBy?.name ?? 'the person who started it'} can click Refresh to continue (their sign-in is needed again).`
          : undefined,
      ...extra,
    };
  }
}

function personRef(person: TurnPerson, session: DelegatedSession): PersonRef {
  return { tenantId: person.tenantId, aadObjectId: person.aadObjectId, name: person.name, userPrincipalName: session.user.userPrincipalName };
}

function toPersonRef(person: TurnPerson): PersonRef {
  return { tenantId: person.tenantId, aadObjectId: person.aadObjectId, name: person.name };
}

export type { BulkDirectoryGateway };
