/** Data for cards/notice.json: a one-off message with a tone. */
import { markdownIdentifier, markdownText, plainText } from './text';
import type { NoticeView } from './views';

/** Template file under cards/. */
export const NOTICE_TEMPLATE = 'notice.json';

/** TextBlock colour per tone. */
const TONE_COLOR: Readonly<Record<NoticeView['tone'], string>> = { info: 'Default', warning: 'Warning', error: 'Attention' };

/** What cards/notice.json binds. */
export interface NoticeCardData {
  title: string;
  message: string;
  titleColor: string;
  hasCorrelationId: boolean;
  correlationId: string;
  fallbackText: string;
}

/** Binds a {@link NoticeView} for cards/notice.json. */
export function noticeCardData(view: NoticeView): NoticeCardData {
  const correlationId = plainText(view.correlationId ?? '');
  return {
    title: markdownText(view.title),
    message: markdownText(view.message),
    titleColor: TONE_COLOR[view.tone],
    hasCorrelationId: correlationId !== '',
    correlationId: markdownIdentifier(correlationId),
    fallbackText: markdownText(`${plainText(view.title)}: ${plainText(view.message)}`),
  };
}
