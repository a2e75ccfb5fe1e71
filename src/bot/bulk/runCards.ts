/**
 * A bulk run's cards: one card from confirmation to final report, in this viewer's version; the
 * run's own card and its approval card kept current as batches finish (at most once per
 * interval); and the final report, with the requester told when an approved run ends.
 */
import type { BotAdapter, ConversationReference } from 'botbuilder';
import type { BulkObserver, ExecutionOutcome } from '../../app/bulk/bulkExecution';
import { NAMESPACE } from '../../app/ports/namespaces';
import type { AdaptiveCard } from '../../cards/render';
import type { BulkView } from '../../cards/views';
import { progressOf, reportOf, summarize, type BulkRun } from '../../domain/bulkRun';
import { deadlineIn, msUntil, type Deadline } from '../../domain/clock';
import { requesterConversation, tellRequester } from '../approval/requesterConversations';
import { viewerOf } from '../approval/viewer';
import { atConversation, publish } from '../cardUpdates';
import { explainDirectoryFailure } from '../explain';
import type { BotServices, BulkRuns, Turn } from '../turn';

/** The answer to a bulk click when this bot runs without bulk revocation. */
export const NO_BULK = 'Bulk revocation is not set up here.';

const TIER_LABEL = { nonAdmin: 'no admin role', limitedAdmin: 'limited admin', privilegedAdmin: 'privileged admin' } as const;

/** How a bulk card is shown beyond its run: to whom, who refreshes it, a line for this viewer. */
export type RunViewExtra = Pick<BulkView, 'viewer'> & Partial<BulkView>;

/** The run's card as this turn's person sees it: the requester, an approver in the security channel, or anyone else. */
export function runCard(turn: Turn, bulk: BulkRuns, run: BulkRun, extra: Partial<BulkView> = {}): AdaptiveCard {
  return bulk.cards.bulk(runView(turn.bot, bulk, run, { viewer: viewerOf(turn, run.requester), ...extra }));
}

/** The run's card as everyone sees it (read only). */
export function runCardForEveryone(bot: BotServices, bulk: BulkRuns, run: BulkRun, extra: Partial<BulkView> = {}): AdaptiveCard {
  return bulk.cards.bulk(runView(bot, bulk, run, { viewer: 'readOnly', ...extra }));
}

/** A run as the card shows it. */
export function runView(bot: BotServices, bulk: BulkRuns, run: BulkRun, extra: RunViewExtra): BulkView {
  const summary = summarize(run.items);
  const report = reportOf(run);
  const started = run.state === 'running' || run.state === 'completed' || (run.state === 'cancelled' && run.startedAt !== undefined);
  const state: BulkView['state'] = run.state === 'awaitingApproval' ? 'awaiting' : run.state;
  const paused =
    run.state === 'running' &&
    !bulk.service.isExecuting(run.id) &&
    (run.stopped !== undefined || !run.execution || Date.parse(run.execution.leaseUntil) < bot.clock.now().getTime());
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
    // Known while this instance executes it: the users not yet sent, at the pace Graph allows.
    timeLeftInMs: run.state === 'running' ? bulk.service.timeLeftInMs(run.id) : undefined,
    failures: report.failures.map((f) => ({
      name: f.displayName,
      userPrincipalName: f.userPrincipalName,
      reason: explainDirectoryFailure(f.code, f.displayName).title.toLowerCase(),
    })),
    verified: report.verified,
    decidedByName: run.decidedBy?.name,
    decidedAt: run.completedAt ?? run.decidedAt,
    reason: run.approval?.reason,
    rejectReason: run.approval?.rejectReason,
    expiresAt: run.expiresAt,
    approvalChannelName: bot.approvals ? bot.approvals.channel.cachedDisplayName() : undefined,
    canCheckSignIns: report.done > 0,
    notice: paused
      ? `Paused: ${run.decidedBy?.name ?? 'the person who started it'} can click Refresh to continue (their sign-in is needed again).`
      : undefined,
    ...extra,
  };
}

/** What the requester reads once an approver decided their run (or the approved run ended). */
export function runDecisionText(run: BulkRun): string {
  const by = run.decidedBy?.name ?? 'An approver';
  const report = reportOf(run);
  return run.state === 'rejected'
    ? `${by} rejected your bulk request for the ${run.source.label}${run.approval?.rejectReason ? `: “${run.approval.rejectReason}”` : '.'}`
    : `${by} approved your bulk request for the ${run.source.label}: ${report.done} revoked, ${report.failed} not revoked.`;
}

/** Replaces the run's own card and its approval card for everyone; a card that cannot be updated is logged. */
export async function updateRunCards(bot: BotServices, bulk: BulkRuns, adapter: BotAdapter, run: BulkRun): Promise<void> {
  const card = runCardForEveryone(bot, bulk, run);
  const targets: { conversationId: string; activityId: string }[] = [];
  if (run.card) targets.push(run.card);
  if (run.approval?.card) targets.push(run.approval.card);
  const requester = await requesterConversation(bot, NAMESPACE.bulkRequesterConversations, run.id);
  for (const target of targets) {
    const reference = await referenceFor(bot, target.conversationId, requester?.reference);
    if (!reference) continue;
    try {
      await publish(adapter, bot.appId, reference, target.activityId, card, bot.logger);
    } catch (error) {
      bot.logger.warn({ err: error, runId: run.id }, 'could not update a bulk card');
    }
  }
}

/** Progress: updates the run's cards (counts and time left) as batches finish, at most once per interval (and always at the end). */
export function watchProgress(bot: BotServices, bulk: BulkRuns, adapter: BotAdapter): BulkObserver {
  let next: Deadline = 0;
  return {
    onProgress: async (_progress, run) => {
      if (msUntil(next) > 0 && progressOf(run).remaining > 0) return;
      next = deadlineIn(bulk.progressIntervalInMs ?? 1000);
      await updateRunCards(bot, bulk, adapter, run);
    },
  };
}

/** When the execution ends: the final report on the run's cards and, for an approved run, the requester told. */
export function reportWhenFinished(bot: BotServices, bulk: BulkRuns, adapter: BotAdapter, finished: Promise<ExecutionOutcome>): void {
  bot.track(
    finished
      .then(async (outcome) => {
        const run = 'run' in outcome ? outcome.run : undefined;
        if (!run) return;
        await updateRunCards(bot, bulk, adapter, run);
        if (run.approval)
          await tellRequester(
            bot,
            adapter,
            NAMESPACE.bulkRequesterConversations,
            run.id,
            runCardForEveryone(bot, bulk, run),
            runDecisionText(run),
          );
      })
      .catch((error: unknown) => bot.logger.error({ err: error }, 'bulk run report failed')),
  );
}

/** A conversation reference for a card in the security channel (any thread) or in the requester's conversation. */
async function referenceFor(
  bot: BotServices,
  conversationId: string,
  requesterReference?: Partial<ConversationReference>,
): Promise<Partial<ConversationReference> | undefined> {
  const known = await bot.approvals?.channel.get();
  if (known && conversationId.split(';')[0] === known.channelId) return atConversation(known.reference, conversationId);
  if (requesterReference) return atConversation(requesterReference, conversationId);
  return undefined;
}
