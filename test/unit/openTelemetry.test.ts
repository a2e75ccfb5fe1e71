import assert from 'node:assert/strict';
import { metrics, SpanStatusCode, trace } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { StorageUnavailableError, type StateStore } from '../../src/app/ports/stateStore';
import { OpenTelemetry } from '../../src/observability/openTelemetry';
import { TimedStateStore } from '../../src/observability/timedStorage';

const RUN = (n: number): string => `6e0a3f52-1b7c-4d3e-9f10-${String(n).padStart(12, '0')}`;

describe('telemetry over the OpenTelemetry API', function () {
  let spans: InMemorySpanExporter;
  let exporter: InMemoryMetricExporter;
  let reader: PeriodicExportingMetricReader;
  let tracerProvider: BasicTracerProvider;
  let meterProvider: MeterProvider;
  let telemetry: OpenTelemetry;

  beforeEach(function () {
    spans = new InMemorySpanExporter();
    exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
    meterProvider = new MeterProvider({ readers: [reader] });
    trace.setGlobalTracerProvider(tracerProvider);
    metrics.setGlobalMeterProvider(meterProvider);
    telemetry = new OpenTelemetry(async () => {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    });
  });

  afterEach(async function () {
    trace.disable();
    metrics.disable();
    await tracerProvider.shutdown();
    await meterProvider.shutdown();
  });

  /** Every data point of a metric, after a collection. */
  async function points(name: string): Promise<{ attributes: Record<string, unknown>; value: unknown }[]> {
    await reader.forceFlush();
    const all = exporter.getMetrics().flatMap((batch) => batch.scopeMetrics.flatMap((scope) => scope.metrics));
    const metric = all.filter((m) => m.descriptor.name === name).at(-1);
    return (metric?.dataPoints ?? []).map((p) => ({ attributes: p.attributes, value: p.value }));
  }

  it('when work in a span rejects, then the rejection passes through, and the span and its duration carry the error’s class', async function () {
    const store = {
      get: () => Promise.reject(new StorageUnavailableError('the disk is gone')),
    } as unknown as StateStore;
    await assert.rejects(new TimedStateStore(store, telemetry).get('requests', 'r-1'), StorageUnavailableError);
    const [span] = spans.getFinishedSpans();
    assert.equal(span?.name, 'storage state.get');
    assert.equal(span?.status.code, SpanStatusCode.ERROR);
    assert.deepEqual(span?.attributes, { 'revoker.storage.operation': 'state.get', 'error.type': 'StorageUnavailableError' });
    const [duration] = await points('revoker.storage.duration');
    assert.deepEqual(duration?.attributes, { 'revoker.storage.operation': 'state.get', 'error.type': 'StorageUnavailableError' });
  });

  it('when a caller offers a name or attributes the allow-list refuses, then the span is renamed and the attributes dropped', async function () {
    await telemetry.span(
      'turn',
      { kind: 'server', attributes: { 'revoker.turn.kind': 'message', 'user.name': 'Adele Vance' } },
      async (span) => {
        span.rename('turn revoke adele.vance@contoso.onmicrosoft.com');
        span.set({ 'revoker.turn.route': 'Adele Vance', 'enduser.id': 'adele.vance@contoso.onmicrosoft.com' });
      },
    );
    const [span] = spans.getFinishedSpans();
    assert.equal(span?.name, 'span');
    assert.deepEqual(span?.attributes, { 'revoker.turn.kind': 'message' });
  });

  it('when a span measures a duration, then the metric keeps only its own attributes: no object ids', async function () {
    const person = '0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e';
    await telemetry.span(
      'turn',
      { kind: 'server', attributes: { 'revoker.turn.kind': 'invoke', 'enduser.id': person }, duration: 'revoker.turn.duration' },
      async (span) => {
        span.rename('turn revocation.confirm');
        span.set({ 'revoker.turn.route': 'revocation.confirm' });
      },
    );
    assert.equal(spans.getFinishedSpans()[0]?.attributes['enduser.id'], person);
    const [point] = await points('revoker.turn.duration');
    assert.deepEqual(point?.attributes, { 'revoker.turn.kind': 'invoke', 'revoker.turn.route': 'revocation.confirm' });
  });

  it('when counters are counted, then each attribute set adds up on its own', async function () {
    telemetry.count('revoker.refusals', { 'revoker.refusal.code': 'self_approval', 'revoker.audit.action': 'request.refused' });
    telemetry.count('revoker.refusals', { 'revoker.refusal.code': 'self_approval', 'revoker.audit.action': 'request.refused' });
    telemetry.count('revoker.refusals', { 'revoker.refusal.code': 'rate_limited', 'revoker.audit.action': 'command.refused' });
    const counted = (await points('revoker.refusals')).map((p) => `${String(p.attributes['revoker.refusal.code'])}=${String(p.value)}`);
    assert.deepEqual(counted.sort(), ['rate_limited=1', 'self_approval=2']);
  });

  it('when many bulk runs have reported, then the gauge reports each run’s last values, and only the most recent twenty runs', async function () {
    for (let run = 1; run <= 25; run += 1)
      for (const [status, value] of [
        ['done', run],
        ['failed', 0],
        ['remaining', 100 - run],
      ] as const)
        telemetry.gauge('revoker.bulk.items', value, { 'revoker.bulk.run.id': RUN(run), 'revoker.bulk.status': status });
    telemetry.gauge('revoker.bulk.items', 99, { 'revoker.bulk.run.id': RUN(25), 'revoker.bulk.status': 'done' });
    const reported = await points('revoker.bulk.items');
    assert.equal(reported.length, 60);
    const runs = new Set(reported.map((p) => p.attributes['revoker.bulk.run.id']));
    assert.ok(!runs.has(RUN(5)) && runs.has(RUN(6)) && runs.has(RUN(25)));
    assert.equal(
      reported.find((p) => p.attributes['revoker.bulk.run.id'] === RUN(25) && p.attributes['revoker.bulk.status'] === 'done')?.value,
      99,
    );
  });
});
