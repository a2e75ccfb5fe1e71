/**
 * Exporting to Application Insights with Azure Monitor's OpenTelemetry distribution
 * (https://learn.microsoft.com/azure/azure-monitor/app/opentelemetry-enable?tabs=nodejs).
 * Loaded by startTelemetry only when APPLICATIONINSIGHTS_CONNECTION_STRING is set: importing this
 * module loads the SDK.
 */
import { shutdownAzureMonitor, useAzureMonitor } from '@azure/monitor-opentelemetry';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import type { TelemetrySettings } from '../config/telemetryConfig';
import { OpenTelemetry } from './openTelemetry';
import type { Telemetry, TelemetryExtras } from './telemetry';

const OFF = { enabled: false } as const;
/** How long a graceful stop waits for the last export (main.ts gives the whole stop 25 s). */
const SHUTDOWN_BUDGET_IN_MS = 10_000;

export function startAzureMonitor(settings: TelemetrySettings, extras: TelemetryExtras): Telemetry {
  useAzureMonitor({
    azureMonitorExporterOptions: { connectionString: settings.connectionString },
    // Every span and metric is the bot's own and passes its allow-list. Automatic instrumentation
    // would export what nobody vetted: full URLs (Graph paths and filters carry user principal
    // names), blob names, log lines.
    instrumentationOptions: {
      http: OFF,
      azureSdk: OFF,
      mongoDb: OFF,
      mySql: OFF,
      postgreSql: OFF,
      redis: OFF,
      redis4: OFF,
      bunyan: OFF,
      winston: OFF,
    },
    // A helpdesk's volume is small and every revocation's trace matters: keep them all (no rate limit).
    samplingRatio: 1,
    tracesPerSecond: 0,
    // Live Metrics polls its own service every few seconds; the exporter carries everything the bot records.
    enableLiveMetrics: false,
    ...extras,
  });
  return new OpenTelemetry(async () => {
    // A stop waits for the last export, but not for an ingestion endpoint that does not answer.
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_BUDGET_IN_MS)));
    await Promise.race([shutdownAzureMonitor(), budget]);
    clearTimeout(timer);
    // Let go of the global providers, so that nothing records into a stopped SDK and a later start registers its own.
    trace.disable();
    metrics.disable();
    propagation.disable();
    context.disable();
  });
}
