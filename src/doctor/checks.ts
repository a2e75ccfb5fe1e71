/**
 * The doctor's checks, one per concern an admin has when a deployment does not work. Each
 * answers pass, fail (with the fix) or skip (with why), and never prints a secret or a token.
 */
import { ClaimsIdentity, ConnectorClient, TeamsConnectorClient, type ServiceClientCredentials } from 'botframework-connector';
import { existsSync } from 'node:fs';
import { NAMESPACE } from '../app/ports/namespaces';
import type { StateStore } from '../app/ports/stateStore';
import { createBotFrameworkAuthentication } from '../bot/botFrameworkAuth';
import type { Config } from '../config/config';
import { maskSecrets } from '../observability/logger';
import { databaseFilePath } from '../storage/openDatabase';
import { readManifestFile } from './manifestFile';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  /** What was found (pass) or what is wrong (fail) or why it did not run (skip). */
  readonly detail: string;
  /** What to do about a failure. */
  readonly fix?: string;
}

/** What the checks need besides the configuration. */
export interface CheckContext {
  readonly config: Config;
  /** The uploaded manifest (manifest.json or the package zip). */
  readonly manifestPath: string;
  readonly timeoutInMs: number;
  /** Opens the state store read for the security channel (closed by the caller). */
  readonly openState: () => Promise<{ state: StateStore; close(): Promise<void> }>;
}

const pass = (name: string, detail: string): CheckResult => ({ name, status: 'pass', detail });
const fail = (name: string, detail: string, fix: string): CheckResult => ({ name, status: 'fail', detail, fix });
const skip = (name: string, detail: string): CheckResult => ({ name, status: 'skip', detail });

/** An error's message, short and with anything token-like masked. */
function say(error: unknown): string {
  const raw = error instanceof Error ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}` : String(error);
  const firstLines = raw.split(/\r?\n/).slice(0, 2).join(' ');
  return maskSecrets(firstLines).slice(0, 300);
}

async function getJson(url: string, timeoutInMs: number): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutInMs), headers: { accept: 'application/json' } });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body };
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** Entra's OpenID metadata and signing keys for the bot's tenant at AZURE_AUTHORITY_HOST. */
export async function checkEntraMetadata(context: CheckContext): Promise<CheckResult> {
  const name = 'Entra ID metadata';
  const { authorityHost, appTenantId } = context.config;
  const url = `${authorityHost}/${appTenantId}/v2.0/.well-known/openid-configuration`;
  let metadata: { status: number; body: unknown };
  try {
    metadata = await getJson(url, context.timeoutInMs);
  } catch (error) {
    return fail(
      name,
      `${url} is unreachable: ${say(error)}`,
      `Check AZURE_AUTHORITY_HOST (the public cloud is https://login.microsoftonline.com) and that the bot's host may open outbound HTTPS to it (proxy, firewall, private DNS).`,
    );
  }
  if (metadata.status === 400 || metadata.status === 404) {
    return fail(
      name,
      `Entra does not know tenant ${appTenantId} (HTTP ${metadata.status}).`,
      'Set MicrosoftAppTenantId to your Directory (tenant) ID: Entra admin center → Overview.',
    );
  }
  const expectedIssuer = `${authorityHost}/${appTenantId}/v2.0`;
  if (metadata.status !== 200 || field(metadata.body, 'issuer') !== expectedIssuer) {
    return fail(
      name,
      `${url} answered HTTP ${metadata.status} with issuer ${JSON.stringify(field(metadata.body, 'issuer'))}, not ${expectedIssuer}.`,
      'AZURE_AUTHORITY_HOST must be the Entra authority itself (no tenant, no path); SSO tokens are checked against this issuer.',
    );
  }
  const keysUrl = `${authorityHost}/${appTenantId}/discovery/v2.0/keys`;
  try {
    const keys = await getJson(keysUrl, context.timeoutInMs);
    const list = field(keys.body, 'keys');
    if (keys.status !== 200 || !Array.isArray(list) || list.length === 0) {
      return fail(
        name,
        `${keysUrl} answered HTTP ${keys.status} without signing keys.`,
        'The bot verifies SSO tokens with these keys; check AZURE_AUTHORITY_HOST and outbound access.',
      );
    }
    return pass(name, `tenant ${appTenantId} at ${authorityHost}: issuer matches, ${list.length} signing keys.`);
  } catch (error) {
    return fail(
      name,
      `${keysUrl} is unreachable: ${say(error)}`,
      'The bot verifies SSO tokens with these keys; allow outbound HTTPS to AZURE_AUTHORITY_HOST.',
    );
  }
}

/** The bot's connector credentials, built exactly as the running bot builds them. */
async function connectorCredentials(
  config: Config,
  serviceUrl: string,
): Promise<{ client: ConnectorClient; credentials: ServiceClientCredentials }> {
  const auth = createBotFrameworkAuthentication(config.botFrameworkEnv);
  // For channel requests botbuilder takes the app id from the token's audience.
  const identity = new ClaimsIdentity([{ type: 'aud', value: config.appId }], true);
  const client = await auth.createConnectorFactory(identity).create(serviceUrl, undefined);
  return { client, credentials: client.credentials };
}

const AADSTS_FIXES: readonly (readonly [RegExp, string])[] = [
  [
    /AADSTS7000215/,
    'MicrosoftAppPassword is not a valid secret of this app: create a new client secret (app registration → Certificates & secrets) and set its Value (not its ID).',
  ],
  [/AADSTS7000222/, 'The client secret has expired: create a new one (app registration → Certificates & secrets).'],
  [
    /AADSTS700016/,
    "MicrosoftAppId is not registered in tenant MicrosoftAppTenantId: check both ids on the app registration's Overview page.",
  ],
  [
    /AADSTS90002|AADSTS900023/,
    'MicrosoftAppTenantId is not a tenant Entra knows: copy the Directory (tenant) ID from Entra admin center → Overview.',
  ],
  [
    /AADSTS500011|AADSTS70011/,
    'Entra refused the scope https://api.botframework.com/.default: leave ToChannelFromBotOAuthScope unset for the public cloud.',
  ],
];

/** A client-credentials token for https://api.botframework.com/.default, through the bot's own msal path. */
export async function checkBotToken(context: CheckContext): Promise<CheckResult> {
  const name = "Bot's own token (client credentials)";
  const { config } = context;
  try {
    const { credentials } = await connectorCredentials(config, 'https://smba.trafficmanager.net/teams/');
    const getToken = (credentials as { getToken?: (forceRefresh?: boolean) => Promise<string> }).getToken;
    if (typeof getToken !== 'function')
      return fail(name, 'the configured credentials cannot obtain a token', 'Set MicrosoftAppId and MicrosoftAppPassword.');
    const token = await withTimeout(getToken.call(credentials, true), context.timeoutInMs);
    if (typeof token !== 'string' || token.split('.').length !== 3)
      return fail(name, 'Entra answered without an access token.', 'Check MicrosoftAppId, MicrosoftAppPassword and MicrosoftAppTenantId.');
    return pass(
      name,
      `app ${config.appId} obtained a token for https://api.botframework.com in tenant ${config.appTenantId} (${config.appType}).`,
    );
  } catch (error) {
    const message = say(error);
    const fix =
      AADSTS_FIXES.find(([pattern]) => pattern.test(message))?.[1] ??
      'Check MicrosoftAppId, MicrosoftAppPassword, MicrosoftAppTenantId and outbound HTTPS to Entra.';
    return fail(name, `Entra refused the bot's credentials: ${message}`, fix);
  }
}

/** The manifest Teams has (webApplicationInfo, botId) against the bot's configuration. */
export function checkManifest(context: CheckContext): CheckResult {
  const name = 'App package matches the bot';
  const { config } = context;
  const read = readManifestFile(context.manifestPath);
  if (!read.ok)
    return fail(
      name,
      read.problem,
      'Run npm run package (it writes build/appPackage/manifest.json from the same settings), or pass --manifest <manifest.json or the .zip you uploaded>.',
    );
  const sso = field(read.manifest, 'webApplicationInfo');
  const resource = field(sso, 'resource');
  const ssoId = field(sso, 'id');
  const bots = field(read.manifest, 'bots');
  const botId = Array.isArray(bots) ? field(bots[0], 'botId') : undefined;
  const problems: string[] = [];
  if (resource !== config.ssoAppIdUri)
    problems.push(`webApplicationInfo.resource is ${JSON.stringify(resource)} but the bot accepts SSO tokens for ${config.ssoAppIdUri}`);
  if (typeof ssoId !== 'string' || ssoId.toLowerCase() !== config.appId)
    problems.push(`webApplicationInfo.id is ${JSON.stringify(ssoId)}, not MicrosoftAppId ${config.appId}`);
  if (typeof botId !== 'string' || botId.toLowerCase() !== config.appId)
    problems.push(`bots[0].botId is ${JSON.stringify(botId)}, not MicrosoftAppId ${config.appId}`);
  if (problems.length > 0) {
    return fail(
      name,
      `${context.manifestPath}: ${problems.join('; ')}.`,
      'Make SSO_APP_ID_URI the Application ID URI the app registration exposes, then run npm run package and upload the new zip (raise APP_VERSION). Teams asks Entra for a token for webApplicationInfo.resource; the bot refuses any other audience.',
    );
  }
  return pass(name, `${context.manifestPath}: bot and SSO resource are ${config.appId} and ${config.ssoAppIdUri}.`);
}

/** Graph's endpoint answers like Graph: a request without a token gets Graph's own 401. */
export async function checkGraph(context: CheckContext): Promise<CheckResult> {
  const name = 'Microsoft Graph reachable';
  const url = `${context.config.graphEndpoint}/v1.0/me`;
  try {
    const answer = await getJson(url, context.timeoutInMs);
    const code = field(field(answer.body, 'error'), 'code');
    if (answer.status === 401 && code === 'InvalidAuthenticationToken') {
      return pass(
        name,
        `${context.config.graphEndpoint} answered a request without a token with Graph's 401 InvalidAuthenticationToken: it is reachable and it is Graph. (Permissions and consent show only with a person's token: say whoami to the bot.)`,
      );
    }
    return fail(
      name,
      `${url} answered HTTP ${answer.status}${typeof code === 'string' ? ` ${code}` : ''}, not Graph's 401 for a request without a token.`,
      'GRAPH_ENDPOINT must be the Graph root without version (https://graph.microsoft.com for the public cloud); check proxies that answer in its place.',
    );
  } catch (error) {
    return fail(
      name,
      `${url} is unreachable: ${say(error)}`,
      'Allow outbound HTTPS from the bot to GRAPH_ENDPOINT (https://graph.microsoft.com).',
    );
  }
}

interface StoredChannel {
  readonly channelId?: string;
  readonly name?: string;
  readonly isPrivate?: boolean;
  readonly teamId?: string;
  readonly reference?: { serviceUrl?: string };
}

/** The security channel: learned by the bot (stored reference) and the bot still in its team. */
export async function checkSecurityChannel(context: CheckContext): Promise<CheckResult> {
  const name = 'Security channel';
  const { config } = context;
  const channelId = config.securityChannelId;
  if (!channelId) return skip(name, 'SECURITY_CHANNEL_ID is not set: each requester confirms their own revokes (no approvals).');
  if (config.storage.kind === 'sqlite' && !existsSync(databaseFilePath(config.storage.dataDir))) {
    return fail(
      name,
      `no bot state in DATA_DIR ${config.storage.dataDir}: the bot has not run with this configuration yet.`,
      'Start the bot, add it to the security team, then run the doctor again.',
    );
  }
  let stored: StoredChannel | undefined;
  let opened: { state: StateStore; close(): Promise<void> } | undefined;
  try {
    opened = await context.openState();
    stored = (await opened.state.get<StoredChannel>(NAMESPACE.channelReferences, channelId.toLowerCase()))?.value;
  } catch (error) {
    return fail(
      name,
      `the state store could not be read: ${say(error)}`,
      'Check DATA_DIR / STORAGE settings: the doctor reads the same store as the bot.',
    );
  } finally {
    await opened?.close().catch(() => undefined);
  }
  if (!stored?.reference?.serviceUrl) {
    return fail(
      name,
      `the bot has not seen channel ${channelId} yet.`,
      'Add the app to the security team (Teams → the team → ⋯ → Manage team → Apps), or @mention the bot in that channel once: the bot learns the channel from either.',
    );
  }
  if (stored.isPrivate)
    return fail(
      name,
      `${channelId} is a private channel: bots cannot post to private channels proactively.`,
      'Use a standard channel of the security team for SECURITY_CHANNEL_ID.',
    );
  try {
    const { credentials } = await connectorCredentials(config, stored.reference.serviceUrl);
    if (stored.teamId) {
      const teams = new TeamsConnectorClient(credentials, { baseUri: stored.reference.serviceUrl });
      const list = await withTimeout(teams.teams.fetchChannelList(stored.teamId), context.timeoutInMs);
      const found = (list.conversations ?? []).some((c) => c.id?.toLowerCase() === channelId.toLowerCase());
      if (!found)
        return fail(
          name,
          `the bot is in the team, but channel ${channelId} is no longer one of its channels.`,
          'Set SECURITY_CHANNEL_ID to an existing standard channel of the security team.',
        );
      return pass(
        name,
        `the bot is installed in the team of ${stored.name ? `#${stored.name}` : channelId} and Teams lists the channel (checked through the connector at ${stored.reference.serviceUrl}).`,
      );
    }
    const connector = new ConnectorClient(credentials, { baseUri: stored.reference.serviceUrl });
    await withTimeout(connector.conversations.getConversationMembers(channelId), context.timeoutInMs);
    return pass(name, `the bot can read the roster of ${stored.name ? `#${stored.name}` : channelId} (checked through the connector).`);
  } catch (error) {
    const status = field(error, 'statusCode');
    if (status === 403 || status === 404) {
      return fail(
        name,
        `Teams answered ${String(status)}: the bot is no longer installed in the security team (or the team is gone).`,
        'Add the app to the security team again (Teams → the team → Apps).',
      );
    }
    return fail(
      name,
      `the connector could not be asked: ${say(error)}`,
      'Check outbound HTTPS from the bot to the Teams service URL and the bot token check above.',
    );
  }
}

/**
 * POST /api/alerts: off (skip) without ALERT_CALLER_APP_IDS; otherwise the audience must be an
 * Application ID URI (what a managed identity's v1 token carries as `aud`) and the tenant's v1
 * signing keys, which check those tokens, must be reachable.
 */
export async function checkAlerts(context: CheckContext): Promise<CheckResult> {
  const name = 'Alerts (POST /api/alerts)';
  const { alerts, authorityHost, appTenantId, ssoAppIdUri } = context.config;
  if (!alerts) return skip(name, 'ALERT_CALLER_APP_IDS is unset: the endpoint answers 404 (docs/alerts.md).');
  let audienceOk = false;
  try {
    const url = new URL(alerts.audience);
    audienceOk = url.protocol === 'api:' || url.protocol === 'https:';
  } catch {
    audienceOk = false;
  }
  if (!audienceOk)
    return fail(
      name,
      `ALERT_AUDIENCE "${alerts.audience}" is not an Application ID URI.`,
      `Use the bot API's Application ID URI (Entra admin center → App registrations → Expose an API), e.g. ${ssoAppIdUri}; a managed identity asks Entra for a token for exactly that audience.`,
    );
  const keysUrl = `${authorityHost}/${appTenantId}/discovery/keys`;
  try {
    const keys = await getJson(keysUrl, context.timeoutInMs);
    const list = field(keys.body, 'keys');
    if (keys.status !== 200 || !Array.isArray(list) || list.length === 0)
      return fail(
        name,
        `${keysUrl} answered HTTP ${keys.status} without signing keys.`,
        'Managed identities get v1 tokens, checked with these keys; check AZURE_AUTHORITY_HOST.',
      );
  } catch (error) {
    return fail(
      name,
      `${keysUrl} is unreachable: ${say(error)}`,
      'Allow outbound HTTPS to AZURE_AUTHORITY_HOST: alert tokens are checked with its keys.',
    );
  }
  const role = alerts.callerRole ? `, app role ${alerts.callerRole} required` : ', no app role required (ALERT_CALLER_ROLE unset)';
  return pass(
    name,
    `${alerts.callerAppIds.length} caller${alerts.callerAppIds.length === 1 ? '' : 's'} allowed (${alerts.callerAppIds.join(', ')}), audience ${alerts.audience}${role}, at most ${alerts.maxUsers} users per alert; cards go to SECURITY_CHANNEL_ID.`,
  );
}

function withTimeout<T>(work: Promise<T>, timeoutInMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutInMs / 1000} s`)), timeoutInMs);
    timer.unref();
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
