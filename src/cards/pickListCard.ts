/** Data for cards/pickList.json: several directory users match; one button per candidate. */
import { targetPlainLabel } from './targetText';
import { markdownText, plainText, shorten } from './text';
import type { PickListView } from './views';

/** Template file under cards/. */
export const PICK_LIST_TEMPLATE = 'pickList.json';

/** Teams cuts long button titles; keep the UPN, which tells people apart, and shorten the name. */
const MAX_NAME_CHARS_IN_TITLE = 40;

/** One candidate row. */
export interface PickCandidateData {
  /** index sent back as data.choice */
  choice: number;
  /** button title: "Name (upn)", plain text */
  title: string;
  hasDetails: boolean;
  /** "Job title · Department" */
  details: string;
}

/** What cards/pickList.json binds. */
export interface PickListCardData {
  pickId: string;
  query: string;
  candidates: PickCandidateData[];
  truncated: boolean;
  shownCount: number;
  fallbackText: string;
}

/** Binds a {@link PickListView} for cards/pickList.json. */
export function pickListCardData(view: PickListView): PickListCardData {
  const candidates = view.candidates.map((candidate, choice): PickCandidateData => {
    const details = [candidate.jobTitle, candidate.department]
      .map((part) => plainText(part ?? ''))
      .filter((part) => part !== '')
      .map(markdownText);
    const shortName = shorten(plainText(candidate.displayName), MAX_NAME_CHARS_IN_TITLE);
    return {
      choice,
      title: targetPlainLabel({ displayName: shortName, userPrincipalName: candidate.userPrincipalName }),
      hasDetails: details.length > 0,
      details: details.join(' · '),
    };
  });
  return {
    pickId: view.pickId,
    query: markdownText(view.query),
    candidates,
    truncated: view.truncated,
    shownCount: candidates.length,
    fallbackText: markdownText(`Several people match “${plainText(view.query)}”. Pick one, or type their UPN.`),
  };
}
