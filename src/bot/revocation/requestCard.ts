/**
 * A single request's card as this person sees it here: the lookup, working, result or closed
 * card, or — once it went to the security channel — the four-eyes card in this viewer's version.
 */
import type { AdaptiveCard } from '../../cards/render';
import type { RevocationRequest } from '../../domain/revocationRequest';
import { viewerOf } from '../approval/viewer';
import type { ViewContext } from '../present';
import type { BotServices, Turn } from '../turn';

/** The card for `request` as this turn's person sees it; `extra` overrides the viewer or adds a notice or refresh list. */
export async function requestCard(turn: Turn, request: RevocationRequest, extra: ViewContext = {}): Promise<AdaptiveCard> {
  const approvals = turn.bot.approvals;
  if (!approvals || !(request.approval || request.state === 'awaitingApproval')) return turn.bot.presenter.request(request, extra);
  return turn.bot.presenter.request(request, {
    approvalChannelName: await approvals.channel.displayName(),
    viewer: viewerOf(turn, request.requester),
    ...extra,
  });
}

/** The card everyone sees (read only), for updates posted outside a turn. */
export async function requestCardForEveryone(bot: BotServices, request: RevocationRequest, extra: ViewContext = {}): Promise<AdaptiveCard> {
  const channelName = bot.approvals ? await bot.approvals.channel.displayName() : undefined;
  return bot.presenter.request(request, { ...(channelName ? { approvalChannelName: channelName } : {}), viewer: 'readOnly', ...extra });
}
