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
  hasAdvice: boolean;
  advice: string;
  adviceColor: 'Good' | 'Warning';
  canReviewMethods: boolean;
  hasMethods: boolean;
  methodsHeading: string;
  /** One toggle per removable method: its input id and plain-text title. */
  methodToggles: { id: string; title: string }[];
  /** Lines for listed methods not offered for removal. */
  hasFixedMethods: boolean;
  fixedMethods: string;
  hasMethodWarning: boolean;
  methodWarning: string;
  hasMethodsProblem: boolean;
  methodsProblem: string;
}

/** Binds a {@link LookupView} for cards/lookup.json. */
export function lookupCardData(view: LookupView): LookupCardData {
  const methods = view.methods;
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
    hasAdvice: (view.advice?.lines.length ?? 0) > 0,
    advice: (view.advice?.lines ?? []).map(markdownText).join(' '),
    adviceColor: view.advice?.tone === 'good' ? 'Good' : 'Warning',
    canReviewMethods: view.canReviewMethods === true && !view.target.isSelf,
    hasMethods: methods !== undefined && methods.problem === undefined,
    methodsHeading: methods
      ? `**Sign-in methods** (read ${localTime(methods.readAt, 'just now')}): tick the ones to remove. Methods added recently are marked ⚠.`
      : '',
    methodToggles: (methods?.problem === undefined ? (methods?.removable ?? []) : []).map((m) => ({
      id: m.inputId,
      title: plainText(m.title),
    })),
    hasFixedMethods: (methods?.fixed.length ?? 0) > 0 && methods?.problem === undefined,
    fixedMethods: (methods?.fixed ?? []).map((line) => markdownText(line)).join('\r'),
    hasMethodWarning: methods?.warning !== undefined && methods.problem === undefined,
    methodWarning: markdownText(methods?.warning ?? ''),
    hasMethodsProblem: methods?.problem !== undefined,
    methodsProblem: markdownText(methods?.problem ?? ''),
    ...refreshBinding(view.requestId, view.refreshUserIds),
  };
}
