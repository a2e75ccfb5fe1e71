/** Data for cards/whoami.json: who the bot thinks you are and what Entra would let you revoke. */
import { markdownIdentifier, markdownText, plainText } from './text';
import type { WhoAmIView } from './views';

/** Template file under cards/. */
export const WHOAMI_TEMPLATE = 'whoami.json';

/** What cards/whoami.json binds. */
export interface WhoAmICardData {
  name: string;
  upn: string;
  tenantId: string;
  /** 'None' or 'Helpdesk Administrator, …' */
  roles: string;
  capability: string;
  hasRows: boolean;
  rows: { label: string; value: string }[];
  fallbackText: string;
}

/** Binds a {@link WhoAmIView} for cards/whoami.json. */
export function whoamiCardData(view: WhoAmIView): WhoAmICardData {
  const roles = view.roleNames
    .map(plainText)
    .filter((role) => role !== '')
    .map(markdownText);
  const rows = view.rows.map((row) => ({ label: markdownText(row.label), value: markdownText(row.value) }));
  return {
    name: markdownText(view.name),
    upn: markdownIdentifier(view.userPrincipalName),
    tenantId: markdownIdentifier(view.tenantId),
    roles: roles.length === 0 ? 'None' : roles.join(', '),
    capability: markdownText(view.capability),
    hasRows: rows.length > 0,
    rows,
    fallbackText: markdownText(
      `Signed in as ${plainText(view.name)} (${plainText(view.userPrincipalName)}). ${plainText(view.capability)}`,
    ),
  };
}
