/**
 * Without MicrosoftAppId, `npm start` runs the local demo. A production environment that lost
 * its MicrosoftAppId (a deleted app setting, a typo) must not silently become a demo: the demo
 * would serve demo people from that host, and a demo started with production storage would
 * write demo actions into the production audit trail. These are the settings only a production
 * bot has; with any of them present and no MicrosoftAppId, `npm start` refuses (demo/main.ts).
 */

type Env = Readonly<Record<string, string | undefined>>;

/** Set at all (any value): a production bot's own settings. */
const PRODUCTION_ONLY = [
  'MicrosoftAppPassword',
  'MicrosoftAppTenantId',
  'AZURE_STORAGE_CONNECTION_STRING',
  'SECURITY_CHANNEL_ID',
  'AUDIT_ADMIN_GROUP_ID',
  'ALLOWED_TENANTS',
  'SSO_APP_ID_URI',
  // Set by Azure App Service on every app it hosts.
  'WEBSITE_SITE_NAME',
] as const;

/** Set to this value. */
const PRODUCTION_VALUES: Readonly<Record<string, string>> = { STORAGE: 'blob', NODE_ENV: 'production' };

/** The production settings present in `env`, by name (never by value: some are secrets), e.g. `STORAGE=blob`, `SECURITY_CHANNEL_ID`. */
export function productionSettingsIn(env: Env): string[] {
  const found: string[] = [];
  for (const name of PRODUCTION_ONLY) if (env[name]?.trim()) found.push(name);
  for (const [name, value] of Object.entries(PRODUCTION_VALUES))
    if (env[name]?.trim().toLowerCase() === value) found.push(`${name}=${value}`);
  return found;
}

/** The one line start-up prints before it refuses. */
export function missingAppIdProblem(found: readonly string[]): string {
  return `MicrosoftAppId is not set, but production settings are (${found.join(', ')}): set MicrosoftAppId to run the bot, or unset them to run the local demo.`;
}
