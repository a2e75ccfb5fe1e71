/**
 * Builds the bot's Bot Framework authentication (inbound channel-token checks and the bot's
 * own token for the connector) from configuration.
 *
 * botbuilder's stock credentials only work against the public cloud: for any other login URL
 * they build an msal-node client without known authorities, so msal-node asks
 * login.microsoftonline.com for instance discovery and every outgoing send fails offline
 * (docs/sdk-endpoints.md). For such a login URL this supplies its own msal-node client that
 * names the login URL's host as a known authority.
 */
import { ConfidentialClientApplication } from '@azure/msal-node';
import { ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import { MsalServiceClientCredentialsFactory, type BotFrameworkAuthentication } from 'botframework-connector';

/** The public cloud's login host: botbuilder's own credentials handle it. */
const PUBLIC_LOGIN_PREFIX = 'https://login.microsoftonline.com/';

/** Configuration as botbuilder reads it (process.env or a plain record). */
export type BotFrameworkEnv = NodeJS.ProcessEnv | Readonly<Record<string, string | undefined>>;

/** A configuration error: the bot cannot start with it. */
export class BotFrameworkConfigError extends Error {
  override readonly name = 'BotFrameworkConfigError';
}

function value(env: BotFrameworkEnv, key: string): string | undefined {
  const raw = env[key];
  const trimmed = typeof raw === 'string' ? raw.trim() : undefined;
  return trimmed ? trimmed : undefined;
}

/**
 * True when the login URL is set and is not the public cloud's, i.e. when botbuilder's stock
 * credentials would fail instance discovery offline.
 */
export function needsOwnMsalClient(loginUrl: string | undefined): loginUrl is string {
  return loginUrl !== undefined && !loginUrl.toLowerCase().startsWith(PUBLIC_LOGIN_PREFIX);
}

/**
 * Creates an msal-node 2.x client for the bot's client-credentials token at a non-public
 * authority: the login URL's host:port is a known authority, so msal-node skips instance
 * discovery and reads `<loginUrl>/v2.0/.well-known/openid-configuration` instead.
 */
function createMsalClient(appId: string, password: string, loginUrl: string): ConfidentialClientApplication {
  let url: URL;
  try {
    url = new URL(loginUrl);
  } catch {
    throw new BotFrameworkConfigError('ToChannelFromBotLoginUrl is not a valid URL.');
  }
  if (url.protocol !== 'https:')
    throw new BotFrameworkConfigError('ToChannelFromBotLoginUrl must use https (msal-node refuses other authorities).');
  if (url.pathname.replace(/\/+$/, '') === '') {
    throw new BotFrameworkConfigError('ToChannelFromBotLoginUrl must name the tenant, e.g. https://host:port/<tenant-id>.');
  }
  return new ConfidentialClientApplication({
    auth: {
      clientId: appId,
      clientSecret: password,
      authority: loginUrl.replace(/\/+$/, ''),
      knownAuthorities: [url.host],
    },
  });
}

/**
 * Builds `ConfigurationBotFrameworkAuthentication` from the given configuration, which it does
 * not mutate. botbuilder's keys pass through untouched, except that MicrosoftAppType defaults to
 * SingleTenant (botbuilder would assume MultiTenant). When ToChannelFromBotLoginUrl points
 * somewhere other than login.microsoftonline.com, the bot's connector token comes from an
 * msal-node client that trusts that host (see the module comment); the token's scope is then
 * `<ToChannelFromBotOAuthScope>/.default`, and the tenant is the one in the login URL.
 *
 * @throws BotFrameworkConfigError when the custom login URL is unusable or the app id, password
 *   or tenant id it needs is missing.
 */
export function createBotFrameworkAuthentication(env: BotFrameworkEnv): BotFrameworkAuthentication {
  const config: Record<string, string | undefined> = { ...env };
  if (!value(config, 'MicrosoftAppType')) config.MicrosoftAppType = 'SingleTenant';

  const loginUrl = value(config, 'ToChannelFromBotLoginUrl');
  const appId = value(config, 'MicrosoftAppId');
  if (!needsOwnMsalClient(loginUrl) || !appId) {
    // Public cloud, or authentication disabled (no app id): botbuilder's own credentials.
    return new ConfigurationBotFrameworkAuthentication(config);
  }
  const password = value(config, 'MicrosoftAppPassword');
  if (!password) throw new BotFrameworkConfigError('MicrosoftAppPassword is required.');
  if (config.MicrosoftAppType?.trim().toLowerCase() === 'singletenant' && !value(config, 'MicrosoftAppTenantId')) {
    throw new BotFrameworkConfigError('MicrosoftAppTenantId is required for SingleTenant.');
  }
  const factory = new MsalServiceClientCredentialsFactory(appId, createMsalClient(appId, password, loginUrl));
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- botframework-connector's own factory implements (not extends) the abstract class this takes
  return new ConfigurationBotFrameworkAuthentication(config, factory);
}
