/**
 * Data for cards/risky.json: the users Identity Protection has at risk, highest level first and
 * newest first within a level; one button per user opens their lookup card (the pick-list verb),
 * where revoking, confirming compromised and asking for approval follow every rule a request has.
 */
import { targetPlainLabel } from './targetText';
import { localDateAndTime, markdownText, plainText, shorten } from './text';
import type { RiskyView } from './views';

/** Template file under cards/. */
export const RISKY_TEMPLATE = 'risky.json';

const MAX_NAME_CHARS_IN_TITLE = 40;

export interface RiskyCardData {
  pickId: string;
  summary: string;
  entries: { choice: number; title: string; details: string }[];
  truncated: boolean;
  /** Four eyes: each entry may be sent to the security channel. */
  escalate: boolean;
  more: string;
  fallbackText: string;
}

const LEVEL_TEXT: Readonly<Record<string, string>> = {
  high: 'High risk',
  medium: 'Medium risk',
  low: 'Low risk',
  hidden: 'Risk hidden',
  none: 'No risk',
};

/** Binds a {@link RiskyView} for cards/risky.json. */
export function riskyCardData(view: RiskyView): RiskyCardData {
  const entries = view.users.map((user, choice) => ({
    choice,
    title: targetPlainLabel({
      displayName: shorten(plainText(user.displayName), MAX_NAME_CHARS_IN_TITLE),
      userPrincipalName: user.userPrincipalName,
    }),
    details: `${markdownText(LEVEL_TEXT[user.riskLevel] ?? 'Risk unknown')} · at risk since ${localDateAndTime(user.riskLastUpdatedDateTime, 'an unknown time')}`,
  }));
  const count = entries.length;
  const summary =
    count === 0
      ? 'Identity Protection has nobody at risk right now.'
      : view.escalate === true
        ? `${count} ${count === 1 ? 'person is' : 'people are'} at risk. Open one to see who they are and ask for a revoke (with confirm compromised), or ask the security channel, where someone else may revoke, contain, confirm compromised or dismiss the risk.`
        : `${count} ${count === 1 ? 'person is' : 'people are'} at risk. Open one to see who they are and act: revoke their sessions, and confirm them compromised.`;
  return {
    pickId: view.pickId,
    summary,
    entries,
    truncated: view.truncated,
    escalate: view.escalate === true,
    more: `Showing the ${count} most at risk; Identity Protection has more.`,
    fallbackText: markdownText(`Users at risk: ${count}`),
  };
}
