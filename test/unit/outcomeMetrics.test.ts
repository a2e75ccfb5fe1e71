/**
 * Revocations and refusals counted from the audit trail (every record it is handed, before
 * repeated refusals are coalesced), and bulk progress as a gauge. On a real SQLite audit log, with a
 * Telemetry that keeps what it was told.
 */
import assert from 'node:assert/strict';
import { AuditTrail } from '../../src/app/auditTrail';
import type { AuditEntry } from '../../src/app/ports/auditLog';
import type { BulkRun } from '../../src/domain/bulkRun';
import type { Attributes } from '../../src/observability/attributes';
import type { CounterName, GaugeName } from '../../src/observability/metrics';
import { bulkProgressGauge, countAuditRecord } from '../../src/observability/outcomeMetrics';
import type { Telemetry } from '../../src/observability/telemetry';
import { openSqliteStorage, type SqliteStorage } from '../../src/storage/openSqliteStorage';
import { ManualClock } from '../helpers/clock';
import { makeTempDir, removeDir } from '../storage/storageTestHelpers';

const TENANT = 'c0ffee00-0000-4000-8000-000000000001';
const UMA = '0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e';

/** Keeps every count and gauge value; spans just run their work. */
class KeptTelemetry implements Telemetry {
  readonly counted: { metric: CounterName; attributes: Attributes }[] = [];
  readonly gauges: { metric: GaugeName; value: number; attributes: Attributes }[] = [];
  span<T>(_name: string, _options: unknown, work: (span: { set(): void; rename(): void; fail(): void }) => Promise<T>): Promise<T> {
    // A span that keeps nothing: these tests look at counts and gauges only.
    const ignore = (): void => undefined;
    return work({ set: ignore, rename: ignore, fail: ignore });
  }
  count(metric: CounterName, attributes: Attributes = {}): void {
    this.counted.push({ metric, attributes });
  }
  gauge(metric: GaugeName, value: number, attributes: Attributes): void {
    this.gauges.push({ metric, value, attributes });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('outcome metrics', function () {
  let dataDir: string;
  let storage: SqliteStorage;
  const clock = new ManualClock();

  beforeEach(function () {
    dataDir = makeTempDir();
    storage = openSqliteStorage({ dataDir, clock });
  });

  afterEach(async function () {
    await storage.close();
    removeDir(dataDir);
  });

  it('when the audit trail records revocations and refusals, then each is counted once by outcome or code, repeated refusals included', async function () {
    const telemetry = new KeptTelemetry();
    const audit = new AuditTrail({ log: storage.audit, clock, onRecorded: countAuditRecord(telemetry) });
    const refused: Omit<AuditEntry, 'at'> = {
      tenantId: TENANT,
      action: 'request.refused',
      outcome: 'refused',
      actor: { aadObjectId: UMA, name: 'Uma' },
      code: 'self_approval',
    };
    await audit.before({ tenantId: TENANT, action: 'revocation.started', outcome: 'info', requestId: 'r-1' });
    await audit.after({ tenantId: TENANT, action: 'revocation.succeeded', outcome: 'ok', requestId: 'r-1' });
    await audit.after({ tenantId: TENANT, action: 'revocation.failed', outcome: 'failed', requestId: 'r-2', code: 'forbidden' });
    for (let i = 0; i < 3; i += 1) await audit.after(refused);
    await audit.close();
    assert.deepEqual(telemetry.counted, [
      { metric: 'revoker.revocations', attributes: { 'revoker.revocation.outcome': 'succeeded' } },
      { metric: 'revoker.revocations', attributes: { 'revoker.revocation.outcome': 'failed', 'revoker.failure.code': 'forbidden' } },
      ...Array.from({ length: 3 }, () => ({
        metric: 'revoker.refusals' as const,
        attributes: { 'revoker.refusal.code': 'self_approval', 'revoker.audit.action': 'request.refused' },
      })),
    ]);
    const stored = await storage.audit.list({ tenantId: TENANT });
    assert.ok(stored.filter((r) => r.action === 'request.refused').length < 3, 'the audit log itself coalesced the repeats');
  });

  it('when a record could not be written before its action, then it is not counted (the action did not happen)', async function () {
    const telemetry = new KeptTelemetry();
    await storage.close();
    const audit = new AuditTrail({ log: storage.audit, clock, onRecorded: countAuditRecord(telemetry) });
    await assert.rejects(audit.before({ tenantId: TENANT, action: 'revocation.started', outcome: 'info', requestId: 'r-1' }));
    assert.deepEqual(telemetry.counted, []);
    storage = openSqliteStorage({ dataDir, clock });
  });

  it('when a bulk run reports progress, then done, failed and remaining are gauged for that run', async function () {
    const telemetry = new KeptTelemetry();
    const run = { id: '6e0a3f52-1b7c-4d3e-9f10-2a3b4c5d6e7f' } as BulkRun;
    await bulkProgressGauge(telemetry).onProgress?.({ done: 40, failed: 2, remaining: 18 }, run, undefined);
    assert.deepEqual(
      telemetry.gauges.map((g) => [g.attributes['revoker.bulk.status'], g.value, g.attributes['revoker.bulk.run.id']]),
      [
        ['done', 40, run.id],
        ['failed', 2, run.id],
        ['remaining', 18, run.id],
      ],
    );
  });
});
