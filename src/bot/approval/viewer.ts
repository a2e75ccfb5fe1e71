/**
 * Who is looking at a four-eyes card: the requester (who may withdraw), an approver (anyone in
 * the security channel: approve or reject), or anyone else (read only). This decides only what a
 * card shows; the approval workflow decides what a click may do.
 */
import type { ApprovalView } from '../../cards/views';
import { isRequester, type Requester } from '../../domain/people';
import type { Turn } from '../turn';
import { toPersonRef } from '../turnHelpers';

/** What a viewer may do on a four-eyes card. */
export type Viewer = ApprovalView['viewer'];

/** How this turn's person sees a subject `requester` asked for. */
export function viewerOf(turn: Turn, requester: Requester): Viewer {
  if (isRequester(requester, toPersonRef(turn.person))) return 'requester';
  return turn.bot.approvals?.channel.isHere(turn.context.activity) ? 'approver' : 'readOnly';
}
