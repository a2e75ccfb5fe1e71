/** Data for cards/runSignIns.json: one sign-in check for every user a bulk run revoked, summarised. */
import { signInLineText } from './signInsCard';
import { localDateAndTime, markdownIdentifier, markdownText, plainText } from './text';
import type { RunSignInsView } from './views';

export const RUN_SIGN_INS_TEMPLATE = 'runSignIns.json';

/** Users named on the card at most (the rest are counted). */
const MAX_NAMED = 15;

export interface RunSignInsCardData {
  runId: string;
  headline: string;
  verdict: string;
  verdictColor: 'Good' | 'Warning' | 'Attention' | 'Default';
  revoked: string;
  checked: string;
  succeeded: string;
  failedOnly: string;
  checkedAt: string;
  hasWindow: boolean;
  windowEnds: string;
  hasSucceeded: boolean;
  succeededList: string;
  hasNotes: boolean;
  notes: string;
  fallbackText: string;
}

const COLORS: Record<RunSignInsView['verdict'], RunSignInsCardData['verdictColor']> = {
  none: 'Good',
  failedOnly: 'Warning',
  succeeded: 'Attention',
  partial: 'Default',
};

export function runSignInsCardData(view: RunSignInsView): RunSignInsCardData {
  const named = view.succeeded.slice(0, MAX_NAMED).map((u) => {
    const last = u.last ? ` — last: ${signInLineText(u.last).slice(2)}` : '';
    return `- ${markdownText(u.name)} (${markdownIdentifier(u.userPrincipalName)}): ${u.count} success${u.count === 1 ? '' : 'es'}${last}`;
  });
  if (view.succeeded.length > MAX_NAMED) named.push(`- and ${view.succeeded.length - MAX_NAMED} more`);
  const notes = [...view.notes];
  if (view.problem) notes.unshift([view.problem.title, view.problem.message, view.problem.hint].filter(Boolean).join(': '));
  notes.push('Sign-in logs arrive minutes late: check again later.');
  return {
    runId: view.runId,
    headline: markdownText(`Sign-ins since the revoke: ${view.sourceLabel}`),
    verdict: `**${markdownText(view.verdictText)}**`,
    verdictColor: COLORS[view.verdict],
    revoked: String(view.revoked),
    checked: String(view.checked),
    succeeded: String(view.succeeded.length),
    failedOnly: String(view.failedOnly),
    checkedAt: localDateAndTime(view.checkedAt, 'just now'),
    hasWindow: view.residualWindowEndsAt !== undefined,
    windowEnds: localDateAndTime(view.residualWindowEndsAt, ''),
    hasSucceeded: named.length > 0,
    succeededList: `**Signed in successfully after their revoke:**\r${named.join('\r')}`,
    hasNotes: notes.length > 0,
    notes: notes.map(markdownText).join(' '),
    fallbackText: markdownText(`Sign-ins since the revoke, ${plainText(view.sourceLabel)}: ${plainText(view.verdictText)}`),
  };
}
