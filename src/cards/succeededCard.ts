/** Data for cards/succeeded.json: sessions revoked, the caveat, and what responders do next. */
import { targetPlainLabel, targetText, type TargetText } from './targetText';
import { localDateAndTime, markdownIdentifier, markdownText, plainText } from './text';
import type { ContainmentLine, SucceededView } from './views';

/** Containment results as card lines: ✓ done, ✗ not done with why. */
export function containmentText(lines: readonly ContainmentLine[] | undefined): string {
  return (lines ?? []).map((l) => markdownText(`${l.ok ? '✓' : '✗'} ${l.label}${l.detail ? `: ${l.detail}` : ''}`)).join('\r');
}

/** Template file under cards/. */
export const SUCCEEDED_TEMPLATE = 'succeeded.json';

/** What cards/succeeded.json binds. */
export interface SucceededCardData {
  target: TargetText;
  /** date/time functions */
  revokedAt: string;
  revokedBy: string;
  /** date/time functions; shown only when it was read back after the revoke */
  validFrom: string;
  hasValidFrom: boolean;
  notMoved: boolean;
  /** The read-back runs after the answer: the card is updated when it is done. */
  checking: boolean;
  unreadable: boolean;
  hasContainment: boolean;
  containment: string;
  hasGraphRequestId: boolean;
  graphRequestId: string;
  fallbackText: string;
  canCheckSignIns: boolean;
  requestId: string;
}

/** Binds a {@link SucceededView} for cards/succeeded.json. */
export function succeededCardData(view: SucceededView): SucceededCardData {
  const graphRequestId = plainText(view.graphRequestId ?? '');
  return {
    target: targetText(view.target),
    revokedAt: localDateAndTime(view.revokedAt, 'Just now'),
    revokedBy: markdownText(view.revokedByName),
    validFrom: `${localDateAndTime(view.verifiedValidFrom, '')}${view.verification === 'verified' ? ' (verified)' : ''}`,
    hasValidFrom: view.verifiedValidFrom !== undefined,
    notMoved: view.verification === 'notMoved',
    checking: view.verification === 'checking',
    unreadable: view.verification === 'unreadable',
    hasContainment: (view.containment?.length ?? 0) > 0,
    containment: containmentText(view.containment),
    hasGraphRequestId: graphRequestId !== '',
    graphRequestId: markdownIdentifier(graphRequestId),
    fallbackText: markdownText(`Sessions revoked for ${targetPlainLabel(view.target)} by ${plainText(view.revokedByName)}.`),
    canCheckSignIns: view.requestId !== undefined,
    requestId: view.requestId ?? '',
  };
}
