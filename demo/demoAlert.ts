/**
 * `/alert` in the demo's terminal client: raises an alert the way a Microsoft Sentinel playbook
 * would — a Logic App's managed identity gets an Entra token for the bot's API and posts to
 * `/api/alerts` (docs/alerts.md) — so a newcomer sees the card arrive in IT Operations › Security
 * approvals. The identity is the demo's own, allowed by ALERT_CALLER_APP_IDS in `--approvals` mode.
 */
import { randomUUID } from 'node:crypto';
import type { EmulatedCloud } from '../emulator/cloud';

/** The demo playbook's managed identity (its client id): made up, valid only against the emulator. */
export const DEMO_ALERT_CALLER_APP_ID = 'c0ffee00-5e17-4e11-8a1e-de7000a1e7c0';

/** What the bot answered, in a sentence for the terminal. */
export interface RaisedAlert {
  readonly status: number;
  readonly said: string;
}

/** Posts a Sentinel-style alert about `user` (a demo name, UPN or id) to the bot at `botUrl`. */
export async function raiseDemoAlert(cloud: EmulatedCloud, user: string, title: string, botUrl: string): Promise<RaisedAlert> {
  const target = cloud.directory.user(user);
  const token = await cloud.entra.issueManagedIdentityToken(DEMO_ALERT_CALLER_APP_ID, {
    audience: cloud.app.appIdUri ?? `api://botid-${cloud.app.appId}`,
  });
  const [name, suffix] = target.userPrincipalName.split('@');
  const response = await fetch(`${botUrl}/api/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      source: 'sentinel',
      externalId: `DEMO-${randomUUID().slice(0, 8)}`,
      title,
      severity: 'High',
      // As Sentinel's "Entities - Get Accounts" hands them to a playbook.
      accounts: [{ Name: name, UPNSuffix: suffix, AadUserId: target.id }],
      link: 'https://security.microsoft.com/incidents',
      details: `Raised from the demo terminal about ${target.displayName}.`,
    }),
  });
  const body = (await response.json().catch(() => ({}))) as { error?: unknown };
  const error = typeof body.error === 'string' ? body.error : '';
  switch (response.status) {
    case 201:
      return { status: 201, said: 'Alert raised: the card is in IT Operations › Security approvals (in the browser).' };
    case 404:
      return { status: 404, said: 'Alerts are not set up: start the demo with --approvals.' };
    default:
      return { status: response.status, said: `The bot answered HTTP ${String(response.status)}: ${error}` };
  }
}
