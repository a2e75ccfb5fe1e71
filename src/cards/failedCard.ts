/** Data for cards/failed.json: what went wrong, which roles would do, what to try, Retry. */
import { targetText, type TargetText } from './targetText';
import { containmentText } from './succeededCard';
import { listText, markdownIdentifier, markdownText, plainText } from './text';
import type { FailedView } from './views';

/** Template file under cards/. */
export const FAILED_TEMPLATE = 'failed.json';

/** What cards/failed.json binds. */
export interface FailedCardData {
  requestId: string;
  title: string;
  message: string;
  hasTarget: boolean;
  /** placeholder strings when there is no target; the template shows it only when hasTarget */
  target: Pick<TargetText, 'name' | 'upn'>;
  hasRolesNeeded: boolean;
  /** "Role A or Role B" */
  rolesNeeded: string;
  hasHint: boolean;
  hint: string;
  hasGraphRequestId: boolean;
  graphRequestId: string;
  hasCorrelationId: boolean;
  correlationId: string;
  canRetry: boolean;
  hasContainment: boolean;
  /** ✓/✗ lines of the containment steps that ran before the revoke was refused */
  containment: string;
  fallbackText: string;
}

/** Binds a {@link FailedView} for cards/failed.json. */
export function failedCardData(view: FailedView): FailedCardData {
  const roles = view.rolesNeeded
    .map(plainText)
    .filter((role) => role !== '')
    .map(markdownText);
  const hint = plainText(view.hint ?? '');
  const graphRequestId = plainText(view.graphRequestId ?? '');
  const correlationId = plainText(view.correlationId ?? '');
  const target = view.target === undefined ? undefined : targetText(view.target);
  return {
    requestId: view.requestId ?? '',
    title: markdownText(view.title),
    message: markdownText(view.message),
    hasTarget: target !== undefined,
    target: { name: target?.name ?? '', upn: target?.upn ?? '' },
    hasRolesNeeded: roles.length > 0,
    rolesNeeded: listText(roles, 'or'),
    hasHint: hint !== '',
    hint: markdownText(hint),
    hasGraphRequestId: graphRequestId !== '',
    graphRequestId: markdownIdentifier(graphRequestId),
    hasCorrelationId: correlationId !== '',
    correlationId: markdownIdentifier(correlationId),
    canRetry: view.canRetry && view.requestId !== undefined && view.requestId !== '',
    hasContainment: (view.containment?.length ?? 0) > 0,
    containment: containmentText(view.containment),
    fallbackText: markdownText(`${plainText(view.title)}: ${plainText(view.message)}`),
  };
}
