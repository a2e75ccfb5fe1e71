/** Data for cards/help.json: what the bot does and how to ask it. */
import { markdownText, plainText } from './text';
import type { HelpView } from './views';

/** Template file under cards/. */
export const HELP_TEMPLATE = 'help.json';

/** What cards/help.json binds. */
export interface HelpCardData {
  hasUnrecognised: boolean;
  unrecognised: string;
  botName: string;
  fallbackText: string;
}

/** Binds a {@link HelpView} for cards/help.json. */
export function helpCardData(view: HelpView): HelpCardData {
  const unrecognised = plainText(view.unrecognised ?? '');
  return {
    hasUnrecognised: unrecognised !== '',
    unrecognised: markdownText(unrecognised),
    botName: markdownText(view.botName),
    fallbackText: markdownText(`${plainText(view.botName)} revokes a person's sign-in sessions. Try: revoke adele@contoso.com`),
  };
}
