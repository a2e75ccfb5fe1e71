/** Data for cards/signIns.json: what the sign-in logs say since a revoke, or why they could not be read. */
import { localDateAndTime, markdownIdentifier, markdownText, plainText } from './text';
import type { SignInLine, SignInsView } from './views';

export const SIGN_INS_TEMPLATE = 'signIns.json';

export interface SignInsCardData {
  requestId: string;
  name: string;
  upn: string;
  verdict: string;
  verdictColor: 'Good' | 'Warning' | 'Attention' | 'Default';
  revokedAt: string;
  checkedAt: string;
  hasWindow: boolean;
  windowLabel: string;
  windowEnds: string;
  hasSuccesses: boolean;
  successes: string;
  hasFailures: boolean;
  failures: string;
  hasNotes: boolean;
  notes: string;
  hasProblem: boolean;
  problemTitle: string;
  problem: string;
  fallbackText: string;
}

/** "- 12/06 10:42 · Outlook · Browser · 198.51.100.23 (Lagos, NG) · interactive · wrong password (50126)". */
export function signInLineText(line: SignInLine): string {
  const where = line.ipAddress
    ? `${markdownIdentifier(`from ${line.ipAddress}`)}${line.location ? ` (${markdownText(line.location)})` : ''}`
    : '';
  const parts = [
    localDateAndTime(line.at, 'unknown time'),
    line.app ? markdownText(line.app) : '',
    line.client ? markdownText(line.client) : '',
    where,
    line.interactive === undefined ? '' : line.interactive ? 'interactive' : 'non-interactive',
    line.outcome ? markdownText(line.outcome) : '',
  ].filter((p) => p !== '');
  return `- ${parts.join(' · ')}`;
}

function lines(items: readonly SignInLine[], more: number): string {
  const shown = items.map(signInLineText);
  if (more > 0) shown.push(`- and ${more} more`);
  return shown.join('\r');
}

const COLORS: Record<NonNullable<SignInsView['verdict']>, SignInsCardData['verdictColor']> = {
  none: 'Good',
  failedOnly: 'Warning',
  succeeded: 'Attention',
};

export function signInsCardData(view: SignInsView): SignInsCardData {
  const notes: string[] = [];
  if (view.truncated) notes.push('The log held more sign-ins than were read: the counts are at least these.');
  if (view.justBefore > 0)
    notes.push(
      view.justBefore === 1
        ? 'One sign-in in the minutes just before the revoke is not counted.'
        : `${view.justBefore} sign-ins in the minutes just before the revoke are not counted.`,
    );
  if (!view.problem)
    notes.push(
      'Sign-in logs arrive minutes late (Microsoft says wait about five minutes; some take longer), so a clean result now may change: check again later.',
    );
  return {
    requestId: view.requestId,
    name: markdownText(view.targetName),
    upn: markdownIdentifier(view.targetUpn),
    verdict: view.problem ? markdownText(view.problem.title) : `**${markdownText(view.verdictText)}**`,
    verdictColor: view.problem ? 'Warning' : view.verdict ? COLORS[view.verdict] : 'Default',
    revokedAt: localDateAndTime(view.revokedAt, 'unknown'),
    checkedAt: localDateAndTime(view.checkedAt, 'just now'),
    hasWindow: view.residualWindowEndsAt !== undefined,
    windowLabel: view.residualWindowOver ? 'Residual window ended' : 'Residual window ends',
    windowEnds: localDateAndTime(view.residualWindowEndsAt, ''),
    hasSuccesses: view.successes.length > 0,
    successes: `**Succeeded after the revoke:**\r${lines(view.successes, view.moreSuccesses)}`,
    hasFailures: view.failures.length > 0,
    failures: `**Failed attempts:**\r${lines(view.failures, view.moreFailures)}`,
    hasNotes: notes.length > 0,
    notes: notes.map(markdownText).join(' '),
    hasProblem: view.problem !== undefined,
    problemTitle: markdownText(view.problem?.title ?? ''),
    problem: markdownText([view.problem?.message, view.problem?.hint].filter(Boolean).join(' ')),
    fallbackText: markdownText(
      `Sign-ins since the revoke for ${plainText(view.targetName)}: ${plainText(view.problem?.title ?? view.verdictText)}`,
    ),
  };
}
