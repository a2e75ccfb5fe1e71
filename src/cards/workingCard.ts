/** Data for cards/working.json: progress while the revocation runs. */
import { refreshBinding, type RefreshBinding } from './refresh';
import { targetPlainLabel, targetText, type TargetText } from './targetText';
import { markdownText, plainText } from './text';
import type { WorkingView } from './views';

/** Template file under cards/. */
export const WORKING_TEMPLATE = 'working.json';

/** What cards/working.json binds. */
export interface WorkingCardData extends RefreshBinding {
  requestId: string;
  message: string;
  target: TargetText;
  requester: string;
  fallbackText: string;
}

/** Binds a {@link WorkingView} for cards/working.json. */
export function workingCardData(view: WorkingView): WorkingCardData {
  return {
    requestId: view.requestId ?? '',
    message: markdownText(view.message),
    target: targetText(view.target),
    requester: markdownText(view.requesterName),
    fallbackText: markdownText(`${plainText(view.message)} ${targetPlainLabel(view.target)}`),
    ...refreshBinding(view.requestId, view.refreshUserIds),
  };
}
