/** Data for cards/lookup.json: the confirmation card (who, who may revoke, Revoke / Cancel). */
import { refreshBinding, type RefreshBinding } from './refresh';
import { targetPlainLabel, targetText, type TargetText } from './targetText';
import { localTime, markdownText, plainText } from './text';
import type { LookupView } from './views';

/** Template file under cards/. */
export const LOOKUP_TEMPLATE = 'lookup.json';

/** What cards/lookup.json binds. */
export interface LookupCardData extends RefreshBinding {
  requestId: string;
  target: TargetText;
  requester: string;
  /** date/time function for the expiry */
  expiresAt: string;
  fallbackText: string;
  /** Four eyes: ask for a reason and send to the security channel instead of revoking. */
  needsApproval: boolean;
  channelName: string;
}

/** Binds a {@link LookupView} for cards/lookup.json. */
export function lookupCardData(view: LookupView): LookupCardData {
  return {
    requestId: view.requestId,
    target: targetText(view.target),
    requester: markdownText(view.requesterName),
    expiresAt: localTime(view.expiresAt, 'soon'),
    fallbackText: markdownText(
      `Revoke sign-in sessions for ${targetPlainLabel(view.target)}? Requested by ${plainText(view.requesterName)}.`,
    ),
    needsApproval: view.approvalChannelName !== undefined,
    channelName: markdownText(view.approvalChannelName ?? ''),
    ...refreshBinding(view.requestId, view.refreshUserIds),
  };
}
