/**
 * The runtime contract: environment variables → one frozen, validated config. Names are a
 * contract with outside tools (deployment scripts, the emulator CLI); keep them stable.
 * Start-up fails with one clear line per problem rather than at the first use.
 */
import { isIP } from 'node:net';
import { readRateLimits, type RateLimits } from './rateLimitConfig';
import { readStorageSettings, type StorageSettings } from './storageConfig';
import { readTelemetrySettings, type TelemetrySettings } from './telemetryConfig';
import { isObjectId } from '../domain/targetReference';
import { MAX_BULK_TARGETS } from '../domain/bulkRun';

/**
 * The delegated Graph permissions each feature asks for by default, one on-behalf-of exchange
 * per set, so a tenant that withholds consent from one set loses only that feature. Why each
 * permission: docs/going-live.md §3 (and `npm run doctor`, src/doctor/graphPermissions.ts).
 */
export const DEFAULT_SCOPES = {
  /** Lookups and revocation. */
  GRAPH_SCOPES: ['User.RevokeSessions.All', 'User.Read.All'],
  /** Reading a group's members for bulk runs. */
  GROUP_SCOPES: ['GroupMember.Read.All'],
  /** Disabling the account (the documented least privileged pair) and resetting the password. */
  CONTAINMENT_SCOPES: ['User.EnableDisableAccount.All', 'User.Read.All', 'User-PasswordProfile.ReadWrite.All'],
  /**
   * Disabling the target's devices: reading their registered devices and the devices' state, and
   * PATCH /devices/{id}, whose only delegated permission is Directory.AccessAsUser.All.
   */
  DEVICE_SCOPES: ['User.Read.All', 'Device.Read.All', 'Directory.AccessAsUser.All'],
  /** Reading the sign-in logs after a revoke (Check sign-ins). */
  AUDIT_SCOPES: ['AuditLog.Read.All'],
  /**
   * Identity Protection: the `risky` inbox (reading users at risk), confirming a user compromised
   * and dismissing a user's risk. IDENTITY_PROTECTION_SCOPES is another name for this set.
   */
  RISK_SCOPES: ['IdentityRiskyUser.ReadWrite.All'],
  /** Reviewing and removing the target's authentication methods. */
  AUTH_METHOD_SCOPES: ['UserAuthenticationMethod.ReadWrite.All'],
  /** The requester's own eligible roles in Privileged Identity Management (the "can I?" line). */
  PIM_SCOPES: ['RoleEligibilitySchedule.Read.Directory'],
} as const satisfies Record<string, readonly string[]>;

export type ScopeSetName = keyof typeof DEFAULT_SCOPES;

export interface Config {
  readonly port: number;
  /** The address the HTTP edge listens on: every interface (0.0.0.0) unless LISTEN_ADDRESS says otherwise (the demo: 127.0.0.1). */
  readonly listenAddress: string;
  /** The bot's app (client) id; also the SSO token's audience. */
  readonly appId: string;
  readonly appPassword: string;
  readonly appTenantId: string;
  readonly appType: 'SingleTenant' | 'MultiTenant' | 'UserAssignedMSI';
  /** Entra authority host for OBO and SSO token checks, no trailing slash. */
  readonly authorityHost: string;
  /** Graph root without version, no trailing slash. */
  readonly graphEndpoint: string;
  /** Delegated Graph scopes asked for on behalf of the user, fully qualified. */
  readonly graphScopes: readonly string[];
  /** Delegated scopes for disabling the account and resetting the password, asked for separately and only when a step runs. */
  readonly containmentScopes: readonly string[];
  /** Delegated scopes for disabling the target's devices, asked for in their own on-behalf-of exchange and only when that step runs. */
  readonly deviceScopes: readonly string[];
  /** Delegated scopes for reading group members (bulk runs by group), asked for separately. */
  readonly groupScopes: readonly string[];
  /** Delegated scopes for reading the sign-in logs (Check sign-ins), asked for separately. */
  readonly auditScopes: readonly string[];
  /** Delegated scopes for confirming a user compromised, asked for separately and only when that step runs. */
  readonly riskScopes: readonly string[];
  /** Delegated scopes for reviewing and removing authentication methods, asked for separately. */
  readonly authMethodScopes: readonly string[];
  /** Delegated scopes for the requester's own PIM eligibility, asked for separately. */
  readonly pimScopes: readonly string[];
  /**
   * The longest an access token issued before a revoke stays valid: the residual window the
   * sign-in check shows (MAX_ACCESS_TOKEN_LIFETIME_MINUTES; 90, the top of Entra's default 60-90 minutes).
   */
  readonly maxAccessTokenLifetimeInMs: number;
  /** Authentication methods registered this many days ago or less are marked on the card (RECENT_METHOD_DAYS). */
  readonly recentMethodDays: number;
  readonly ssoAppIdUri: string;
  readonly oauthConnectionName: string;
  readonly securityChannelId?: string;
  readonly allowedTenants: readonly string[];
  readonly dataDir: string;
  /** Where state and the audit trail live: SQLite under dataDir (default) or Azure Blob Storage (src/config/storageConfig.ts). */
  readonly storage: StorageSettings;
  /**
   * An execution (revoke) still 'executing' this long after it started is taken as interrupted
   * (the process died mid-call); the next confirm reads the target back instead of revoking blindly.
   * Must exceed the longest a Graph call can still be in flight (see RevocationService.confirm).
   */
  readonly executionStaleAfterInMs: number;
  /** Members of this Entra group (transitively) may use the `audit` command. */
  readonly auditAdminGroupId?: string;
  /** How long a lookup card may be confirmed. */
  readonly requestTtlInMs: number;
  /** Four eyes: how long a request waits in the security channel for an approver. */
  readonly approvalTtlInMs: number;
  /** The most users one bulk run (group or department) may hold (at most MAX_BULK_TARGETS, 10,000). */
  readonly bulkMaxTargets: number;
  /** Scheduled revocations: time between passes of the scheduler loop (SCHEDULE_POLL_SECONDS, default 15). */
  readonly schedulePollIntervalInMs: number;
  /** How long a due card waits for a click before the channel is reminded (SCHEDULE_REMINDER_MINUTES, default 30). */
  readonly scheduleReminderAfterInMs: number;
  /** How long an invoke may take before the bot answers "working…" and finishes in the background. */
  readonly invokeBudgetInMs: number;
  /** Per-request time-out of Graph calls. */
  readonly graphTimeoutInMs: number;
  /** Per-person and per-organisation limits on commands and revokes, per calling app and tenant on alerts (RATE_LIMIT_*). */
  readonly rateLimits: RateLimits;
  /** POST /api/alerts: who may call it and what it accepts; absent when ALERT_CALLER_APP_IDS is unset. */
  readonly alerts?: AlertSettings;
  readonly logLevel: string;
  /** Application Insights (APPLICATIONINSIGHTS_CONNECTION_STRING, src/config/telemetryConfig.ts); absent: no telemetry is exported. */
  readonly telemetry?: TelemetrySettings;
  /** The environment as given, for botbuilder's own keys (passed through untouched). */
  readonly botFrameworkEnv: Readonly<Record<string, string | undefined>>;
}

/** The alert endpoint's settings (docs/alerts.md). */
export interface AlertSettings {
  /** Client ids of the apps (managed identities) allowed to send alerts (ALERT_CALLER_APP_IDS). */
  readonly callerAppIds: readonly string[];
  /** The audience their tokens must carry: the bot API's Application ID URI (ALERT_AUDIENCE; SSO_APP_ID_URI by default). */
  readonly audience: string;
  /** An app role the caller must hold, when set (ALERT_CALLER_ROLE). */
  readonly callerRole?: string;
  /** Most users one alert may name (ALERT_MAX_USERS; 10). */
  readonly maxUsers: number;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

type Env = Readonly<Record<string, string | undefined>>;

/** Other names a scope set's variable is read under, when the set's own is unset. */
const SCOPE_ALIASES: Partial<Record<ScopeSetName, string>> = { RISK_SCOPES: 'IDENTITY_PROTECTION_SCOPES' };

function aliasOf(env: Env, name: ScopeSetName): string | undefined {
  const alias = SCOPE_ALIASES[name];
  return alias ? trimmed(env, alias) : undefined;
}

function trimmed(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function httpsUrl(value: string, name: string, problems: string[]): string {
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:') problems.push(`${name} must be an https URL (got ${url.protocol}//…).`);
  } catch {
    problems.push(`${name} is not a URL: "${value}".`);
  }
  return value.replace(/\/+$/, '');
}

function positiveNumber(env: Env, name: string, fallback: number, problems: string[]): number {
  const raw = trimmed(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    problems.push(`${name} must be a positive number (got "${raw}").`);
    return fallback;
  }
  return value;
}

/** Reads and validates the environment. Production mode requires MicrosoftAppId. */
export function readConfig(env: Env): ConfigResult {
  const problems: string[] = [];
  const appId = trimmed(env, 'MicrosoftAppId') ?? '';
  if (!appId) problems.push('MicrosoftAppId is not set: the bot needs its Entra app (client) id.');
  else if (!isObjectId(appId)) problems.push(`MicrosoftAppId must be a GUID (got "${appId}").`);

  const appPassword = trimmed(env, 'MicrosoftAppPassword') ?? '';
  if (appId && !appPassword)
    problems.push('MicrosoftAppPassword is not set: the bot needs its client secret for the connector and on-behalf-of.');

  const appType = (trimmed(env, 'MicrosoftAppType') ?? 'SingleTenant') as Config['appType'];
  if (!['SingleTenant', 'MultiTenant', 'UserAssignedMSI'].includes(appType)) {
    problems.push(`MicrosoftAppType must be SingleTenant, MultiTenant or UserAssignedMSI (got "${appType}").`);
  }
  const appTenantId = trimmed(env, 'MicrosoftAppTenantId') ?? '';
  if (!appTenantId) problems.push('MicrosoftAppTenantId is not set: the on-behalf-of exchange needs the tenant id.');
  else if (!isObjectId(appTenantId)) problems.push(`MicrosoftAppTenantId must be a GUID (got "${appTenantId}").`);

  const port = positiveNumber(env, 'PORT', 3978, problems);
  if (!Number.isInteger(port) || port > 65535) problems.push(`PORT must be a whole number up to 65535 (got "${env.PORT ?? ''}").`);
  const listenAddress = trimmed(env, 'LISTEN_ADDRESS') ?? '0.0.0.0';
  if (isIP(listenAddress) === 0) problems.push(`LISTEN_ADDRESS must be an IP address such as 127.0.0.1 (got "${listenAddress}").`);

  const authorityHost = httpsUrl(
    trimmed(env, 'AZURE_AUTHORITY_HOST') ?? 'https://login.microsoftonline.com',
    'AZURE_AUTHORITY_HOST',
    problems,
  );
  const graphEndpoint = httpsUrl(trimmed(env, 'GRAPH_ENDPOINT') ?? 'https://graph.microsoft.com', 'GRAPH_ENDPOINT', problems);
  if (/\/v1\.0$|\/beta$/.test(graphEndpoint)) problems.push('GRAPH_ENDPOINT must not include the version (drop /v1.0).');

  const scopes = (name: ScopeSetName): string[] =>
    ((trimmed(env, name) ?? aliasOf(env, name))?.split(/\s+/).filter(Boolean) ?? [...DEFAULT_SCOPES[name]]).map((s) =>
      /^https?:\/\//.test(s) ? s : `${graphResource(graphEndpoint)}/${s}`,
    );
  const graphScopes = scopes('GRAPH_SCOPES');
  const groupScopes = scopes('GROUP_SCOPES');
  const containmentScopes = scopes('CONTAINMENT_SCOPES');
  const deviceScopes = scopes('DEVICE_SCOPES');
  const auditScopes = scopes('AUDIT_SCOPES');
  const riskScopes = scopes('RISK_SCOPES');
  const authMethodScopes = scopes('AUTH_METHOD_SCOPES');
  const pimScopes = scopes('PIM_SCOPES');

  const ssoAppIdUri = trimmed(env, 'SSO_APP_ID_URI') ?? `api://botid-${appId}`;
  const oauthConnectionName = trimmed(env, 'OAUTH_CONNECTION_NAME') ?? 'revoker-sso';

  const securityChannelId = trimmed(env, 'SECURITY_CHANNEL_ID');
  if (securityChannelId && !/^19:[^\s]+@thread\.(tacv2|skype)$/.test(securityChannelId)) {
    problems.push(`SECURITY_CHANNEL_ID must be a Teams channel id like 19:…@thread.tacv2 (got "${securityChannelId}").`);
  }

  const allowedTenants = (trimmed(env, 'ALLOWED_TENANTS') ?? appTenantId)
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
  for (const tenant of allowedTenants)
    if (!isObjectId(tenant)) problems.push(`ALLOWED_TENANTS must list tenant ids (GUIDs); "${tenant}" is not one.`);

  const requestTtlInMs = positiveNumber(env, 'REQUEST_TTL_MINUTES', 15, problems) * 60_000;
  const storage = readStorageSettings(env, problems);
  const executionStaleAfterInMs = positiveNumber(env, 'EXECUTION_STALE_AFTER_SECONDS', 120, problems) * 1000;
  const auditAdminGroupId = trimmed(env, 'AUDIT_ADMIN_GROUP_ID')?.toLowerCase();
  if (auditAdminGroupId && !isObjectId(auditAdminGroupId))
    problems.push(`AUDIT_ADMIN_GROUP_ID must be an Entra group object id (GUID) (got "${auditAdminGroupId}").`);
  const approvalTtlInMs = positiveNumber(env, 'APPROVAL_TTL_HOURS', 24, problems) * 3_600_000;
  const bulkMaxTargets = Math.floor(positiveNumber(env, 'BULK_MAX_TARGETS', MAX_BULK_TARGETS, problems));
  if (bulkMaxTargets > MAX_BULK_TARGETS)
    problems.push(
      `BULK_MAX_TARGETS must be at most ${MAX_BULK_TARGETS} (got "${trimmed(env, 'BULK_MAX_TARGETS') ?? ''}"): a larger run is not supported.`,
    );
  const schedulePollIntervalInMs = positiveNumber(env, 'SCHEDULE_POLL_SECONDS', 15, problems) * 1000;
  const scheduleReminderAfterInMs = positiveNumber(env, 'SCHEDULE_REMINDER_MINUTES', 30, problems) * 60_000;
  const invokeBudgetInMs = positiveNumber(env, 'INVOKE_BUDGET_SECONDS', 8, problems) * 1000;
  const graphTimeoutInMs = positiveNumber(env, 'GRAPH_TIMEOUT_SECONDS', 10, problems) * 1000;
  const rateLimits = readRateLimits((name, fallback) => positiveNumber(env, name, fallback, problems));
  const maxAccessTokenLifetimeInMs = positiveNumber(env, 'MAX_ACCESS_TOKEN_LIFETIME_MINUTES', 90, problems) * 60_000;
  const recentMethodDays = positiveNumber(env, 'RECENT_METHOD_DAYS', 7, problems);
  const alerts = readAlertSettings(env, ssoAppIdUri, securityChannelId, problems);
  const telemetry = readTelemetrySettings(env, problems);

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    config: Object.freeze({
      port,
      listenAddress,
      appId: appId.toLowerCase(),
      appPassword,
      appTenantId: appTenantId.toLowerCase(),
      appType,
      authorityHost,
      graphEndpoint,
      graphScopes: Object.freeze(graphScopes),
      containmentScopes: Object.freeze(containmentScopes),
      deviceScopes: Object.freeze(deviceScopes),
      groupScopes: Object.freeze(groupScopes),
      auditScopes: Object.freeze(auditScopes),
      riskScopes: Object.freeze(riskScopes),
      authMethodScopes: Object.freeze(authMethodScopes),
      pimScopes: Object.freeze(pimScopes),
      maxAccessTokenLifetimeInMs,
      recentMethodDays,
      ssoAppIdUri,
      oauthConnectionName,
      securityChannelId,
      allowedTenants: Object.freeze(allowedTenants),
      dataDir: trimmed(env, 'DATA_DIR') ?? './data',
      storage,
      executionStaleAfterInMs,
      auditAdminGroupId,
      requestTtlInMs,
      approvalTtlInMs,
      bulkMaxTargets,
      schedulePollIntervalInMs,
      scheduleReminderAfterInMs,
      invokeBudgetInMs,
      graphTimeoutInMs,
      rateLimits,
      ...(alerts ? { alerts: Object.freeze(alerts) } : {}),
      logLevel: trimmed(env, 'LOG_LEVEL') ?? 'info',
      telemetry,
      botFrameworkEnv: Object.freeze({ ...env }),
    }),
  };
}

/** ALERT_*: off unless ALERT_CALLER_APP_IDS names at least one app; alerts need the security channel. */
function readAlertSettings(
  env: Env,
  ssoAppIdUri: string,
  securityChannelId: string | undefined,
  problems: string[],
): AlertSettings | undefined {
  const callerAppIds = (trimmed(env, 'ALERT_CALLER_APP_IDS') ?? '')
    .split(/[\s,]+/)
    .map((id) => id.toLowerCase())
    .filter(Boolean);
  if (callerAppIds.length === 0) return undefined;
  for (const id of callerAppIds)
    if (!isObjectId(id))
      problems.push(`ALERT_CALLER_APP_IDS must list client ids (GUIDs) of managed identities or apps; "${id}" is not one.`);
  if (!securityChannelId) problems.push('ALERT_CALLER_APP_IDS is set but SECURITY_CHANNEL_ID is not: alerts go to the security channel.');
  const maxUsers = positiveNumber(env, 'ALERT_MAX_USERS', 10, problems);
  if (!Number.isInteger(maxUsers) || maxUsers > 100)
    problems.push(`ALERT_MAX_USERS must be a whole number from 1 to 100 (got "${String(maxUsers)}").`);
  const callerRole = trimmed(env, 'ALERT_CALLER_ROLE');
  return { callerAppIds, audience: trimmed(env, 'ALERT_AUDIENCE') ?? ssoAppIdUri, ...(callerRole ? { callerRole } : {}), maxUsers };
}

/** A scope as the permission is named, without its resource (https://graph.microsoft.com/User.Read.All → User.Read.All). */
export function permissionName(scope: string): string {
  return scope.slice(scope.lastIndexOf('/') + 1);
}

/**
 * The resource prefix for scopes. Entra names Graph https://graph.microsoft.com in every cloud
 * we emulate; national clouds use their own Graph host as the resource.
 */
function graphResource(graphEndpoint: string): string {
  const host = new URL(graphEndpoint).hostname;
  return /(^|\.)graph\.microsoft\.(us|de)$|chinacloudapi\.cn$/.test(host) ? `https://${host}` : 'https://graph.microsoft.com';
}
