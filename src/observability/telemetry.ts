/**
 * The small interface the rest of the bot records traces and metrics through: spans around
 * turns, Graph calls and storage calls, and a few counters and gauges. Nothing outside
 * src/observability knows which SDK is behind it, and the domain never sees it. Where telemetry is
 * off, callers hold no Telemetry at all and wrap nothing.
 *
 * startTelemetry (startTelemetry.ts) loads the SDK only when telemetry is configured.
 */
import type { AzureMonitorOpenTelemetryOptions } from '@azure/monitor-opentelemetry';
import type { Attributes } from './attributes';
import type { CounterName, GaugeName, HistogramName } from './metrics';

export type { Attributes } from './attributes';

/** OpenTelemetry's span kinds that the bot uses: a turn it serves, a call it makes, work inside. */
export type SpanKind = 'server' | 'client' | 'internal';

export interface SpanOptions {
  readonly kind: SpanKind;
  readonly attributes?: Attributes;
  /** Recorded when the span ends: its duration in seconds, with the span's last attributes (those the metric lists). */
  readonly duration?: HistogramName;
}

/** The span a piece of work runs in. Attributes pass the allow-list (attributes.ts) or are dropped. */
export interface ActiveSpan {
  set(attributes: Attributes): void;
  /** Names the span anew (a turn learns its route after it started). */
  rename(name: string): void;
  /** Marks the span failed; `errorType` becomes its error.type (a status code or an error's class name, never a message). */
  fail(errorType: string): void;
}

export interface Telemetry {
  /** Runs `work` in a span that is the parent of the spans it starts; a rejection marks the span failed and passes through. */
  span<T>(name: string, options: SpanOptions, work: (span: ActiveSpan) => Promise<T>): Promise<T>;
  count(metric: CounterName, attributes?: Attributes, increment?: number): void;
  /** Sets a gauge's value for these attributes; it is reported at every export until set again (the most recent few series only). */
  gauge(metric: GaugeName, value: number, attributes: Attributes): void;
  /** Exports what is still buffered and stops. */
  close(): Promise<void>;
}

/** Tests: more span processors and metric readers beside Azure Monitor's exporters (in-memory ones). */
export type TelemetryExtras = Pick<AzureMonitorOpenTelemetryOptions, 'spanProcessors' | 'metricReaders'>;
