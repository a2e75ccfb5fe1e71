/** Data for cards/closed.json: the request ended without a revocation (cancelled, expired). */
import { targetPlainLabel, targetText, type TargetText } from './targetText';
import { markdownText, plainText } from './text';
import type { ClosedView } from './views';

/** Template file under cards/. */
export const CLOSED_TEMPLATE = 'closed.json';

/** What cards/closed.json binds. */
export interface ClosedCardData {
  title: string;
  message: string;
  target: TargetText;
  fallbackText: string;
}

/** Binds a {@link ClosedView} for cards/closed.json. */
export function closedCardData(view: ClosedView): ClosedCardData {
  return {
    title: markdownText(view.title),
    message: markdownText(view.message),
    target: targetText(view.target),
    fallbackText: markdownText(`${plainText(view.title)}: ${targetPlainLabel(view.target)}. ${plainText(view.message)}`),
  };
}
