/**
 * startTelemetry loads the SDK (Azure Monitor's OpenTelemetry distribution) only when
 * APPLICATIONINSIGHTS_CONNECTION_STRING is set: without it, no SDK module is loaded and nothing is
 * exported. Its own module, so the interface (telemetry.ts) and the SDK behind it do not import each other.
 */
import type { TelemetrySettings } from '../config/telemetryConfig';
import type { Telemetry, TelemetryExtras } from './telemetry';

/** Starts exporting to Application Insights when settings say where; undefined (and no SDK loaded) when they don't. */
export async function startTelemetry(
  settings: TelemetrySettings | undefined,
  extras: TelemetryExtras = {},
): Promise<Telemetry | undefined> {
  if (!settings) return undefined;
  const { startAzureMonitor } = await import('./azureMonitor.js');
  return startAzureMonitor(settings, extras);
}
