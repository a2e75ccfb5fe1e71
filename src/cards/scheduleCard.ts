/** Data for cards/schedule.json: a schedule shown back before arming, a due card, and the `scheduled` list. */
import { markdownText, plainText } from './text';
import type { ScheduleView } from './views';

export const SCHEDULE_TEMPLATE = 'schedule.json';

export interface ScheduleCardData {
  title: string;
  titleColor: 'Default' | 'Good' | 'Attention' | 'Warning';
  hasHeadline: boolean;
  headline: string;
  hasFacts: boolean;
  facts: { title: string; value: string }[];
  lines: { text: string }[];
  items: { id: string; text: string }[];
  hasStatus: boolean;
  status: string;
  footnote: string;
  scheduleId: string;
  canArm: boolean;
  canRequest: boolean;
  canApprove: boolean;
  canRun: boolean;
  runTitle: string;
  occurrence: string;
  canCancel: boolean;
  cancelTitle: string;
  fallbackText: string;
}

const COLORS: Readonly<Record<ScheduleView['tone'], ScheduleCardData['titleColor']>> = {
  info: 'Default',
  warning: 'Warning',
  good: 'Good',
  attention: 'Attention',
};

/** Every text is escaped here: names, filters and labels are data, never markdown. */
export function scheduleCardData(view: ScheduleView): ScheduleCardData {
  return {
    title: markdownText(view.title),
    titleColor: COLORS[view.tone],
    hasHeadline: view.headline !== undefined,
    headline: markdownText(view.headline ?? ''),
    hasFacts: view.facts.length > 0,
    facts: view.facts.map((f) => ({ title: plainText(f.title), value: plainText(f.value) })),
    lines: view.lines.map((text) => ({ text: markdownText(text) })),
    items: (view.items ?? []).map((item) => ({ id: item.id, text: markdownText(item.text) })),
    hasStatus: view.status !== undefined,
    status: markdownText(view.status ?? ''),
    footnote: markdownText(
      'No credential is stored: at the due time the bot posts a card, and whoever clicks it acts with their own sign-in, once.',
    ),
    scheduleId: view.scheduleId ?? '',
    canArm: view.actions?.arm === true,
    canRequest: view.actions?.request === true,
    canApprove: view.actions?.approve === true,
    canRun: view.actions?.run !== undefined,
    runTitle: plainText(view.actions?.run?.title ?? ''),
    occurrence: String(view.actions?.run?.occurrence ?? ''),
    canCancel: view.actions?.cancel !== undefined,
    cancelTitle: plainText(view.actions?.cancel ?? ''),
    fallbackText: markdownText(`${plainText(view.title)}${view.headline ? `: ${plainText(view.headline)}` : ''}`),
  };
}
