/**
 * The Teams app manifest template (appPackage/manifest.json) and its `${{NAME}}` placeholders:
 * the values that differ per tenant come from the environment (or .env). Every placeholder must
 * be filled; values are checked before they reach the manifest.
 */
import { isObjectId } from '../../src/domain/targetReference';

/** The SSO Application ID URI the bot uses when SSO_APP_ID_URI is unset (src/config/config.ts). */
export function defaultSsoAppIdUri(appId: string): string {
  return `api://botid-${appId}`;
}

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const HOSTNAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/i;

interface VariableRule {
  readonly name: string;
  /** What it is, for the message when it is missing. */
  readonly meaning: string;
  readonly check: (value: string) => string | undefined;
  readonly fallback?: (values: Readonly<Record<string, string>>, context: PackageContext) => string | undefined;
}

export interface PackageContext {
  /** package.json's version: the manifest version unless APP_VERSION is set. */
  readonly packageVersion: string;
}

function https(value: string): string | undefined {
  try {
    return new URL(value).protocol === 'https:' ? undefined : 'must be an https URL';
  } catch {
    return 'is not a URL';
  }
}

/** The placeholders, in the order they are resolved (fallbacks may use earlier ones). */
export const PACKAGE_VARIABLES: readonly VariableRule[] = [
  { name: 'MicrosoftAppId', meaning: "the bot's Entra app (client) id", check: (v) => (isObjectId(v) ? undefined : 'must be a GUID') },
  {
    name: 'TEAMS_APP_ID',
    meaning: "the app's id in your Teams app catalogue",
    check: (v) => (isObjectId(v) ? undefined : 'must be a GUID'),
    fallback: (values) => values.MicrosoftAppId,
  },
  {
    name: 'SSO_APP_ID_URI',
    meaning: 'the Application ID URI exposed by the app registration (api://botid-{MicrosoftAppId})',
    check: (v) => (/^(api|https):\/\/\S+$/.test(v) && v.length <= 2048 ? undefined : 'must be an api:// or https:// URI'),
    fallback: (values) => (values.MicrosoftAppId ? defaultSsoAppIdUri(values.MicrosoftAppId) : undefined),
  },
  {
    name: 'BOT_DOMAIN',
    meaning: 'the host name the bot is reached at, e.g. revoker.azurewebsites.net (no https://, no path)',
    check: (v) => (HOSTNAME.test(v) ? undefined : 'must be a host name such as revoker.azurewebsites.net'),
  },
  {
    name: 'APP_DEVELOPER_NAME',
    meaning: 'who publishes the app in your organisation (at most 32 characters)',
    check: (v) => (v.length <= 32 ? undefined : 'must be at most 32 characters'),
  },
  { name: 'APP_WEBSITE_URL', meaning: 'a page with support information', check: https },
  { name: 'APP_PRIVACY_URL', meaning: "your organisation's privacy statement for this app", check: https },
  { name: 'APP_TERMS_URL', meaning: 'the terms of use for this app', check: https },
  {
    name: 'APP_VERSION',
    meaning: 'the app version (raise it for every upload that changes the manifest)',
    check: (v) => (SEMVER.test(v) ? undefined : 'must be a version like 1.2.3'),
    fallback: (_values, context) => context.packageVersion,
  },
];

export type ResolvedVariables = { ok: true; values: Readonly<Record<string, string>> } | { ok: false; problems: string[] };

/** Reads, defaults and checks every placeholder value. */
export function resolvePackageVariables(env: Readonly<Record<string, string | undefined>>, context: PackageContext): ResolvedVariables {
  const values: Record<string, string> = {};
  const problems: string[] = [];
  for (const rule of PACKAGE_VARIABLES) {
    const value = env[rule.name]?.trim() || rule.fallback?.(values, context);
    if (!value) {
      problems.push(`${rule.name} is not set: ${rule.meaning}.`);
      continue;
    }
    const problem = rule.check(value);
    if (problem) problems.push(`${rule.name} ${problem} (got "${value}").`);
    else values[rule.name] = value;
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, values };
}

const PLACEHOLDER = /\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** The placeholder names a template uses. */
export function placeholdersIn(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? ''))];
}

export type FilledTemplate = { ok: true; text: string } | { ok: false; missing: string[] };

/** Replaces every `${{NAME}}` in a JSON template with its value, JSON-escaped; lists the names without one. */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): FilledTemplate {
  const missing = placeholdersIn(template).filter((name) => values[name] === undefined);
  if (missing.length > 0) return { ok: false, missing };
  return { ok: true, text: template.replace(PLACEHOLDER, (_whole, name: string) => JSON.stringify(values[name]).slice(1, -1)) };
}
