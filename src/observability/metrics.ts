/**
 * Every metric the bot records, with its unit and the attributes it is broken down by. A metric
 * carries only the attributes listed here (and only those the allow-list in attributes.ts lets
 * through): no object ids, which would make every person a series of their own. Durations are in
 * seconds, as OpenTelemetry's semantic conventions say; Graph calls use the conventions' own
 * metric (https://opentelemetry.io/docs/specs/semconv/http/http-metrics/).
 */
import type { AttributeName } from './attributes';

interface MetricSpec {
  readonly instrument: 'histogram' | 'counter' | 'gauge';
  readonly unit: string;
  readonly description: string;
  readonly attributes: readonly AttributeName[];
}

export const METRICS = {
  'revoker.turn.duration': {
    instrument: 'histogram',
    unit: 's',
    description:
      'How long the bot took over a turn (a message, a card click, a sign-in invoke), by kind and route; error.type when it failed.',
    attributes: ['revoker.turn.kind', 'revoker.turn.route', 'error.type'],
  },
  'http.client.request.duration': {
    instrument: 'histogram',
    unit: 's',
    description: 'Microsoft Graph requests (each attempt), by method, route template and status.',
    attributes: ['http.request.method', 'url.template', 'server.address', 'http.response.status_code', 'error.type'],
  },
  'revoker.storage.duration': {
    instrument: 'histogram',
    unit: 's',
    description: 'State store and audit log calls, by operation; error.type when one failed.',
    attributes: ['revoker.storage.operation', 'error.type'],
  },
  'revoker.revocations': {
    instrument: 'counter',
    unit: '{revocation}',
    description: 'Revocations (single and bulk, one per user) as the audit trail records them, by outcome and failure code.',
    attributes: ['revoker.revocation.outcome', 'revoker.failure.code'],
  },
  'revoker.refusals': {
    instrument: 'counter',
    unit: '{refusal}',
    description: 'Commands, clicks and sign-ins the bot refused, as the audit trail records them, by code.',
    attributes: ['revoker.refusal.code', 'revoker.audit.action'],
  },
  'revoker.bulk.items': {
    instrument: 'gauge',
    unit: '{user}',
    description: 'Users of a bulk run that are done, failed or remaining, per run, while it runs.',
    attributes: ['revoker.bulk.run.id', 'revoker.bulk.status'],
  },
} as const satisfies Readonly<Record<string, MetricSpec>>;

export type MetricName = keyof typeof METRICS;
type MetricOf<I extends MetricSpec['instrument']> = {
  [N in MetricName]: (typeof METRICS)[N]['instrument'] extends I ? N : never;
}[MetricName];
export type HistogramName = MetricOf<'histogram'>;
export type CounterName = MetricOf<'counter'>;
export type GaugeName = MetricOf<'gauge'>;
