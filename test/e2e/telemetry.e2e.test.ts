/**
 * Telemetry, end to end: with APPLICATIONINSIGHTS_CONNECTION_STRING set, a revoke through the
 * real bot against the emulated cloud produces the turn spans, the Graph call spans (route
 * templates and statuses), storage spans and the revocation counter — seen by in-memory
 * exporters beside Azure Monitor's, and by a loopback ingestion endpoint that the real Azure
 * Monitor exporter sends to. No attribute, name or envelope carries a user principal name, a
 * display name, a token or a secret. Without the variable, the bot loads no telemetry SDK at all.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import sinon from 'sinon';
import { addBulkPopulation } from '../../emulator/directory';
import { GRAPH_ROUTES } from '../../emulator/graph';
import { startIngestion, type Ingestion } from '../helpers/appInsightsIngestion';
import { ROOT } from '../helpers/built';
import { childEnv } from '../helpers/childEnv';
import { freePort, startE2E, type E2E } from '../helpers/e2e';
import { currentCard, sendForCard, textOf } from '../helpers/flows';
import { produced, scanForSecrets } from '../helpers/secretScan';

/** Azure's instance metadata service, which the distribution asks at start-up whether it runs on a VM. */
const INSTANCE_METADATA_HOST = '169.254.169.254';

/** Every string an exported span or metric carries: names, attribute values, resource attributes. */
function exportedStrings(spans: readonly ReadableSpan[], metrics: readonly ResourceMetrics[]): string[] {
  const out: string[] = [];
  const values = (attributes: Record<string, unknown>): void => {
    for (const [name, value] of Object.entries(attributes)) out.push(name, String(value));
  };
  for (const span of spans) {
    out.push(span.name);
    values(span.attributes);
    values(span.resource.attributes);
    for (const event of span.events) values(event.attributes ?? {});
  }
  for (const batch of metrics) {
    values(batch.resource.attributes);
    for (const scope of batch.scopeMetrics)
      for (const metric of scope.metrics) {
        out.push(metric.descriptor.name);
        for (const point of metric.dataPoints) values(point.attributes);
      }
  }
  return out;
}

/** Each metric's data points in the latest collection. */
function latestPoints(collected: readonly ResourceMetrics[]): Map<string, { attributes: Record<string, unknown>; value: unknown }[]> {
  const points = new Map<string, { attributes: Record<string, unknown>; value: unknown }[]>();
  for (const batch of collected)
    for (const scope of batch.scopeMetrics)
      for (const metric of scope.metrics)
        points.set(
          metric.descriptor.name,
          metric.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })),
        );
  return points;
}

/** What identifies a person or proves who they are: every user's UPN, mail and display name, and the bot's secret. */
function forbiddenValues(e2e: E2E): string[] {
  const people = [...e2e.cloud.directory.users.values()].flatMap((user) => [user.userPrincipalName, user.mail ?? '', user.displayName]);
  return [...people.filter((value) => value.length >= 4), e2e.cloud.app.secret];
}

describe('telemetry, with the bot exporting to Application Insights', function () {
  this.timeout(60_000);
  let sandbox: sinon.SinonSandbox;
  let ingestion: Ingestion;
  let e2e: E2E | undefined;
  const spans = new InMemorySpanExporter();
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // Collected when a test asks (forceFlush) and at shutdown; never on a timer during the test.
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const statsbeat = process.env.APPLICATION_INSIGHTS_NO_STATSBEAT;

  before(async function () {
    sandbox = sinon.createSandbox();
    // The SDK's own usage statistics ("statsbeat") go to Microsoft, not to the connection string's
    // endpoint: off, with the SDK's own switch, so that nothing leaves this machine.
    process.env.APPLICATION_INSIGHTS_NO_STATSBEAT = 'true';
    // The distribution asks the instance metadata service whether it runs on an Azure VM; here that
    // question goes to a loopback port where nothing listens (refused at once, as off Azure).
    const closedPort = await freePort();
    const request = http.request.bind(http);
    sandbox.stub(http, 'request').callsFake((options: unknown, ...rest: unknown[]) => {
      const target = typeof options === 'object' && options !== null ? (options as { host?: unknown; hostname?: unknown }) : {};
      const asked = target.host === INSTANCE_METADATA_HOST || target.hostname === INSTANCE_METADATA_HOST;
      const to = asked ? { ...(options as object), host: '127.0.0.1', hostname: '127.0.0.1', port: closedPort } : options;
      return (request as (...args: unknown[]) => http.ClientRequest)(to, ...rest);
    });
    ingestion = await startIngestion();
    produced.watch('telemetry', 'envelopes sent to the emulated Application Insights', () =>
      ingestion.envelopes().map((envelope) => JSON.stringify(envelope)),
    );
    e2e = await startE2E({
      env: { APPLICATIONINSIGHTS_CONNECTION_STRING: ingestion.connectionString },
      prepare: (cloud) => {
        addBulkPopulation(cloud.directory, { department: 'HP', count: 25, privileged: 0 });
        return {};
      },
      telemetryExtras: { spanProcessors: [new SimpleSpanProcessor(spans)], metricReaders: [reader] },
    });
  });

  after(async function () {
    await e2e?.stop();
    await ingestion?.stop();
    sandbox?.restore();
    if (statsbeat === undefined) delete process.env.APPLICATION_INSIGHTS_NO_STATSBEAT;
    else process.env.APPLICATION_INSIGHTS_NO_STATSBEAT = statsbeat;
  });

  it('when the variable is set, then the Azure Monitor distribution is loaded', function () {
    const loaded = Object.keys(require.cache).filter((file) =>
      file.includes(`${path.sep}@azure${path.sep}monitor-opentelemetry${path.sep}`),
    );
    assert.ok(loaded.length > 0, 'the SDK module is in require.cache');
  });

  it('when a revoke runs, then the turn spans, the Graph call spans with route templates and statuses, the storage spans and the revocation counter are exported, and nothing names a person', async function () {
    assert.ok(e2e);
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const adele = directory.user('adele');
    const chat = teams.personalChat(uma);
    const card = await sendForCard(teams, uma, chat, `revoke ${adele.userPrincipalName}`);
    assert.match(textOf(card.card), /Adele Vance/);
    const click = await teams.click(uma, card, 'Revoke sessions');
    assert.match(textOf(click.card), /Sessions revoked/i);
    assert.equal(graph.count(GRAPH_ROUTES.revoke), 1);
    await reader.forceFlush();
    const finished = spans.getFinishedSpans();

    // The turns: server spans named for their routes, carrying the acting person's object id and tenant.
    const lookupTurn = finished.find((s) => s.name === 'turn revoke');
    const confirmTurn = finished.find((s) => s.name === 'turn revocation.confirm');
    assert.ok(lookupTurn && confirmTurn, `turn spans: ${finished.map((s) => s.name).join(', ')}`);
    for (const turn of [lookupTurn, confirmTurn]) {
      assert.equal(turn.kind, SpanKind.SERVER);
      assert.equal(turn.attributes['enduser.id'], uma.id);
      assert.equal(turn.attributes['revoker.tenant.id'], directory.tenantId);
    }
    assert.deepEqual([lookupTurn.attributes['revoker.turn.kind'], lookupTurn.attributes['revoker.turn.route']], ['message', 'revoke']);
    assert.deepEqual(
      [confirmTurn.attributes['revoker.turn.kind'], confirmTurn.attributes['revoker.turn.route']],
      ['invoke', 'revocation.confirm'],
    );

    // Graph: each request a client span named by method and route template, inside its turn's trace.
    const revokeCall = finished.find((s) => s.name === 'POST /users/{id}/revokeSignInSessions');
    assert.ok(
      revokeCall,
      `Graph spans: ${finished
        .filter((s) => s.kind === SpanKind.CLIENT)
        .map((s) => s.name)
        .join(', ')}`,
    );
    assert.equal(revokeCall.kind, SpanKind.CLIENT);
    assert.equal(revokeCall.attributes['http.request.method'], 'POST');
    assert.equal(revokeCall.attributes['url.template'], '/users/{id}/revokeSignInSessions');
    assert.equal(revokeCall.attributes['http.response.status_code'], 200);
    assert.equal(revokeCall.attributes['server.address'], '127.0.0.1');
    assert.equal(revokeCall.spanContext().traceId, confirmTurn.spanContext().traceId, 'the revoke is part of the click’s trace');
    const turnOf = (span: ReadableSpan): ReadableSpan | undefined =>
      finished.find((s) => s.kind === SpanKind.SERVER && s.spanContext().traceId === span.spanContext().traceId);
    // The lookup runs in the sign-in's turn: Teams' single sign-on resumes the command the message asked for.
    const lookup = finished.find((s) => s.name === 'GET /users/{id}' && turnOf(s)?.name === 'turn signin/tokenExchange');
    assert.ok(
      lookup,
      `the lookup by user principal name is GET /users/{id}: ${finished.map((s) => `${s.name} in ${turnOf(s)?.name ?? 'no turn'}`).join(', ')}`,
    );
    assert.equal(lookup.attributes['http.response.status_code'], 200);

    // Storage: spans by operation.
    const storage = new Set(finished.filter((s) => s.name.startsWith('storage ')).map((s) => s.attributes['revoker.storage.operation']));
    for (const operation of ['state.get', 'state.create', 'state.replace', 'audit.append'])
      assert.ok(storage.has(operation), `a ${operation} span (saw ${[...storage].join(', ')})`);

    // Metrics: the revocation counter, turn and Graph durations by route, storage durations.
    const points = latestPoints(metricExporter.getMetrics());
    assert.deepEqual(points.get('revoker.revocations'), [{ attributes: { 'revoker.revocation.outcome': 'succeeded' }, value: 1 }]);
    const turnRoutes = (points.get('revoker.turn.duration') ?? []).map((p) => p.attributes['revoker.turn.route']);
    assert.ok(
      turnRoutes.includes('revoke') && turnRoutes.includes('revocation.confirm'),
      `turn durations by route: ${turnRoutes.map(String).join(', ')}`,
    );
    const graphCalls = (points.get('http.client.request.duration') ?? []).map((p) =>
      [p.attributes['http.request.method'], p.attributes['url.template'], p.attributes['http.response.status_code']].map(String).join(' '),
    );
    assert.ok(graphCalls.includes('POST /users/{id}/revokeSignInSessions 200'), `Graph durations: ${graphCalls.join(', ')}`);
    assert.ok((points.get('revoker.storage.duration') ?? []).length >= 4, 'storage durations by operation');
    for (const [name, list] of points)
      for (const point of list)
        assert.ok(!('enduser.id' in point.attributes || 'revoker.tenant.id' in point.attributes), `${name} carries no object id`);

    // Nothing exported names a person, or is a token or a secret.
    const strings = exportedStrings(finished, metricExporter.getMetrics());
    assert.ok(strings.length > 100, 'there is something to scan');
    for (const value of forbiddenValues(e2e))
      assert.ok(!strings.some((s) => s.toLowerCase().includes(value.toLowerCase())), `an exported value contains "${value}"`);
    assert.ok(!strings.some((s) => /[^\s@/]+@[^\s@/]+\.[a-z]{2,}/i.test(s)), 'no exported value looks like a user principal name');
    assert.deepEqual(
      scanForSecrets([{ source: 'exported telemetry', text: strings.join('\n') }], {
        signatures: new Set(),
        literals: [e2e.cloud.app.secret],
      }),
      [],
    );
  });

  it('when a bulk run revokes a department, then its progress is gauged per run, each user is a counted revocation, and the batches are Graph spans', async function () {
    assert.ok(e2e);
    const { teams, directory } = e2e.cloud;
    const uma = directory.user('uma');
    const chat = teams.personalChat(uma);
    const card = await sendForCard(teams, uma, chat, 'revoke department "HP"');
    await teams.click(uma, card, 'Revoke all 25');
    await teams.waitForMessage(chat, (m) => m.id === card.id && textOf(m.card).includes('Bulk revocation finished'), 20_000);
    assert.match(textOf(currentCard(teams, chat, card.id)), /25 revoked/);
    await reader.forceFlush();
    const points = latestPoints(metricExporter.getMetrics());
    const progress = points.get('revoker.bulk.items') ?? [];
    const runs = new Set(progress.map((p) => p.attributes['revoker.bulk.run.id']));
    assert.equal(runs.size, 1, 'one run');
    const last: Record<string, unknown> = Object.fromEntries(
      progress.map((p): [string, unknown] => [String(p.attributes['revoker.bulk.status']), p.value]),
    );
    assert.deepEqual(last, { done: 25, failed: 0, remaining: 0 });
    assert.deepEqual(points.get('revoker.revocations'), [{ attributes: { 'revoker.revocation.outcome': 'succeeded' }, value: 26 }]);
    assert.ok(
      spans.getFinishedSpans().some((s) => s.name === 'POST /$batch' && s.attributes['http.response.status_code'] === 200),
      'the batches are client spans',
    );
    const strings = exportedStrings(spans.getFinishedSpans(), metricExporter.getMetrics());
    for (const value of forbiddenValues(e2e))
      assert.ok(!strings.some((s) => s.toLowerCase().includes(value.toLowerCase())), `an exported value contains "${value}"`);
  });

  it('when the bot stops, then the Azure Monitor exporter has sent the spans and metrics to the ingestion endpoint, and no envelope names a person', async function () {
    assert.ok(e2e);
    const forbidden = forbiddenValues(e2e);
    await e2e.stop();
    e2e = undefined;
    const envelopes = ingestion.envelopes();
    const ofType = (type: string): Record<string, unknown>[] =>
      envelopes.filter((e) => e.data?.baseType === type).map((e) => e.data?.baseData ?? {});
    const requests = ofType('RequestData').map((r) => r.name);
    assert.ok(requests.includes('turn revoke') && requests.includes('turn revocation.confirm'), `requests: ${requests.join(', ')}`);
    const dependencies = ofType('RemoteDependencyData').map((d) => `${String(d.name)} ${String(d.resultCode)}`);
    assert.ok(dependencies.includes('POST /users/{id}/revokeSignInSessions 200'), `dependencies: ${dependencies.join(', ')}`);
    const metricNames = ofType('MetricData').flatMap((m) => (m.metrics as { name: string }[]).map((metric) => metric.name));
    assert.ok(metricNames.includes('revoker.revocations'), `metrics: ${[...new Set(metricNames)].join(', ')}`);
    const sent = JSON.stringify(envelopes);
    for (const value of forbidden) assert.ok(!sent.toLowerCase().includes(value.toLowerCase()), `an envelope contains "${value}"`);
    assert.ok(!ingestion.paths.some((p) => !p.endsWith('/v2.1/track')), `only the track API was called: ${ingestion.paths.join(', ')}`);
  });
});

describe('telemetry, without APPLICATIONINSIGHTS_CONNECTION_STRING', function () {
  this.timeout(30_000);

  it('when the bot starts without the variable, then no telemetry SDK module is loaded', async function () {
    const port = await freePort();
    // The compiled composition root, started as main.ts starts it, in a process of its own.
    const script = `
      const { readConfig } = require('./dist/config/config.js');
      const { startBot } = require('./dist/app.js');
      const result = readConfig(JSON.parse(process.env.BOT_ENV));
      if (!result.ok) throw new Error(result.problems.join('; '));
      startBot(result.config, { host: '127.0.0.1' }).then(async (bot) => {
        const loaded = Object.keys(require.cache).filter((file) => /[\\\\/]@(azure[\\\\/]monitor-opentelemetry|opentelemetry)[\\\\/]/.test(file));
        await bot.close();
        console.log(JSON.stringify({ started: true, loaded }));
      });
    `;
    const tenant = '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10';
    const dataDir = mkdtempSync(path.join(tmpdir(), 'revoker-no-telemetry-'));
    const env = {
      MicrosoftAppId: '3f1e2d4c-5b6a-4978-8a9b-0c1d2e3f4a5b',
      MicrosoftAppPassword: 'not-used-here',
      MicrosoftAppTenantId: tenant,
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
    };
    const run = spawnSync(process.execPath, ['-e', script], {
      cwd: ROOT,
      env: childEnv({ BOT_ENV: JSON.stringify(env) }),
      encoding: 'utf8',
    });
    rmSync(dataDir, { recursive: true, force: true });
    assert.equal(run.status, 0, run.stderr);
    const answer = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as { started?: boolean; loaded?: string[] };
    assert.equal(answer.started, true, run.stdout);
    assert.deepEqual(answer.loaded, [], 'no @azure/monitor-opentelemetry or @opentelemetry module was loaded');
  });
});
