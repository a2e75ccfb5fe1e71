/**
 * What the use cases already tell, as metrics: the audit trail hands every record it is given to
 * `countAuditRecord` (revocations by outcome, refusals by code — counted before repeated refusals
 * are coalesced into one summary record), and bulk runs report their progress to
 * `bulkProgressGauge`. Nothing about a person is taken: actions, outcomes, codes and run ids only.
 */
import type { AuditEntry } from '../app/ports/auditLog';
import type { BulkObserver } from '../app/bulk/bulkExecution';
import type { Telemetry } from './telemetry';

/** Counts a record of the audit trail: revocation.succeeded / revocation.failed, and every refusal. */
export function countAuditRecord(telemetry: Telemetry): (entry: Omit<AuditEntry, 'at'>) => void {
  return (entry) => {
    if (entry.action === 'revocation.succeeded') telemetry.count('revoker.revocations', { 'revoker.revocation.outcome': 'succeeded' });
    else if (entry.action === 'revocation.failed')
      telemetry.count('revoker.revocations', { 'revoker.revocation.outcome': 'failed', 'revoker.failure.code': entry.code });
    else if (entry.outcome === 'refused')
      telemetry.count('revoker.refusals', { 'revoker.refusal.code': entry.code ?? 'unspecified', 'revoker.audit.action': entry.action });
  };
}

/** A bulk run's done / failed / remaining users, per run, after every stored batch result. */
export function bulkProgressGauge(telemetry: Telemetry): BulkObserver {
  return {
    onProgress(progress, run) {
      for (const status of ['done', 'failed', 'remaining'] as const)
        telemetry.gauge('revoker.bulk.items', progress[status], { 'revoker.bulk.run.id': run.id, 'revoker.bulk.status': status });
    },
  };
}
