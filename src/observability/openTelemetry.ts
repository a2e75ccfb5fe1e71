/**
 * Telemetry over the OpenTelemetry API: spans from the global tracer provider, metrics from the
 * global meter provider, whichever SDK registered them (azureMonitor.ts does). Every name and
 * attribute passes the allow-list (attributes.ts) first; metrics keep only the attributes their
 * entry in metrics.ts lists.
 */
import {
  metrics,
  SpanKind as OtelSpanKind,
  SpanStatusCode,
  trace,
  type Counter,
  type Histogram,
  type Meter,
  type ObservableResult,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { allowedAttributes, isAllowedSpanName, type AttributeValue, type Attributes } from './attributes';
import { METRICS, type CounterName, type GaugeName, type HistogramName, type MetricName } from './metrics';
import type { ActiveSpan, SpanKind, SpanOptions, Telemetry } from './telemetry';

const KINDS: Readonly<Record<SpanKind, OtelSpanKind>> = {
  server: OtelSpanKind.SERVER,
  client: OtelSpanKind.CLIENT,
  internal: OtelSpanKind.INTERNAL,
};

/** The name of the instrumentation scope the bot's spans and metrics come from. */
export const INSTRUMENTATION_SCOPE = 'session-revoker';
/** A span whose name the allow-list refuses is called this instead. */
const UNNAMED_SPAN = 'span';
/** Series kept per gauge (the most recently set): three per bulk run, so the last twenty runs. */
const GAUGE_SERIES = 60;

type Values = Record<string, AttributeValue>;

export class OpenTelemetry implements Telemetry {
  private readonly tracer: Tracer;
  private readonly meter: Meter;
  private readonly histograms = new Map<HistogramName, Histogram>();
  private readonly counters = new Map<CounterName, Counter>();
  /** The last value of each gauge series, oldest first. */
  private readonly gauges = new Map<GaugeName, Map<string, { value: number; attributes: Values }>>();

  /** `shutdown` flushes and stops the SDK behind the global providers. */
  constructor(private readonly shutdown: () => Promise<void>) {
    this.tracer = trace.getTracer(INSTRUMENTATION_SCOPE);
    this.meter = metrics.getMeter(INSTRUMENTATION_SCOPE);
  }

  span<T>(name: string, options: SpanOptions, work: (span: ActiveSpan) => Promise<T>): Promise<T> {
    const attributes = allowedAttributes(options.attributes);
    // The monotonic clock: a duration, not a decision (src/domain/clock.ts).
    const started = performance.now();
    return this.tracer.startActiveSpan(spanName(name), { kind: KINDS[options.kind], attributes }, async (span) => {
      const active = activeSpan(span, attributes);
      try {
        return await work(active);
      } catch (error) {
        active.fail(error instanceof Error ? error.name : 'Error');
        throw error;
      } finally {
        span.end();
        if (options.duration) this.record(options.duration, (performance.now() - started) / 1000, attributes);
      }
    });
  }

  count(metric: CounterName, attributes?: Attributes, increment = 1): void {
    let counter = this.counters.get(metric);
    if (!counter) {
      counter = this.meter.createCounter(metric, { unit: METRICS[metric].unit, description: METRICS[metric].description });
      this.counters.set(metric, counter);
    }
    counter.add(increment, metricAttributes(metric, attributes));
  }

  gauge(metric: GaugeName, value: number, attributes: Attributes): void {
    let series = this.gauges.get(metric);
    if (!series) {
      const kept = new Map<string, { value: number; attributes: Values }>();
      series = kept;
      this.gauges.set(metric, kept);
      this.meter
        .createObservableGauge(metric, { unit: METRICS[metric].unit, description: METRICS[metric].description })
        .addCallback((result: ObservableResult) => {
          for (const point of kept.values()) result.observe(point.value, point.attributes);
        });
    }
    const allowed = metricAttributes(metric, attributes);
    const key = JSON.stringify(Object.entries(allowed).sort(([a], [b]) => a.localeCompare(b)));
    series.delete(key);
    series.set(key, { value, attributes: allowed });
    for (const oldest of series.keys()) {
      if (series.size <= GAUGE_SERIES) break;
      series.delete(oldest);
    }
  }

  close(): Promise<void> {
    return this.shutdown();
  }

  private record(metric: HistogramName, value: number, attributes: Attributes): void {
    let histogram = this.histograms.get(metric);
    if (!histogram) {
      histogram = this.meter.createHistogram(metric, { unit: METRICS[metric].unit, description: METRICS[metric].description });
      this.histograms.set(metric, histogram);
    }
    histogram.record(value, metricAttributes(metric, attributes));
  }
}

/** The span's handle; `attributes` is kept up to date for the duration metric recorded at its end. */
function activeSpan(span: Span, attributes: Values): ActiveSpan {
  const set = (more: Attributes): void => {
    const allowed = allowedAttributes(more);
    Object.assign(attributes, allowed);
    span.setAttributes(allowed);
  };
  return {
    set,
    rename: (name) => span.updateName(spanName(name)),
    fail: (errorType) => {
      set({ 'error.type': errorType });
      span.setStatus({ code: SpanStatusCode.ERROR });
    },
  };
}

function spanName(name: string): string {
  return isAllowedSpanName(name) ? name : UNNAMED_SPAN;
}

/** The attributes a metric is broken down by, from those given (allowed ones only). */
function metricAttributes(metric: MetricName, attributes: Attributes | undefined): Values {
  const allowed = allowedAttributes(attributes);
  const kept: Values = {};
  for (const name of METRICS[metric].attributes) if (allowed[name] !== undefined) kept[name] = allowed[name];
  return kept;
}
