/**
 * The telemetry part of the runtime contract: APPLICATIONINSIGHTS_CONNECTION_STRING, Microsoft's
 * standard variable for Application Insights (Azure App Service sets it when Application Insights
 * is turned on for the app). Set: traces and metrics go to that resource (src/observability).
 * Unset: nothing is exported, and no telemetry SDK is even loaded.
 *
 * A connection string is `Key=Value` pairs separated by `;`; it must name the resource's
 * InstrumentationKey (a GUID), and any endpoint in it must be https:
 * https://learn.microsoft.com/azure/azure-monitor/app/connection-strings
 */
import { isObjectId } from '../domain/targetReference';

export const CONNECTION_STRING_VARIABLE = 'APPLICATIONINSIGHTS_CONNECTION_STRING';

export interface TelemetrySettings {
  /** Where telemetry goes. Not a secret by Microsoft's account, but it lets anyone send to the resource: never log it. */
  readonly connectionString: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The telemetry settings, or undefined when telemetry is off; problems name the variable, never its value. */
export function readTelemetrySettings(env: Env, problems: string[]): TelemetrySettings | undefined {
  const connectionString = env[CONNECTION_STRING_VARIABLE]?.trim();
  if (!connectionString) return undefined;
  const fields = new Map<string, string>();
  for (const pair of connectionString.split(';')) {
    const at = pair.indexOf('=');
    if (at > 0) fields.set(pair.slice(0, at).trim().toLowerCase(), pair.slice(at + 1).trim());
  }
  const before = problems.length;
  if (!isObjectId(fields.get('instrumentationkey') ?? ''))
    problems.push(
      `${CONNECTION_STRING_VARIABLE} must name an InstrumentationKey (a GUID): copy it whole from the Application Insights resource.`,
    );
  for (const [key, value] of fields) {
    if (!key.endsWith('endpoint')) continue;
    if (!isHttpsUrl(value)) problems.push(`${CONNECTION_STRING_VARIABLE}: every endpoint in it must be an https URL; one is not.`);
  }
  return problems.length === before ? { connectionString } : undefined;
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}
