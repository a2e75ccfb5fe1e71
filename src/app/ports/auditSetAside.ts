/**
 * Durable keeping, outside the audit log, for records the log could not take: the log refused
 * them for good (kept for an operator to inspect, never retried), or could not take them in time
 * (kept to be written later, by this process or the next one to start). It must work while the
 * audit log's store is down, so it lives somewhere else (the adapter: files under DATA_DIR).
 */
import type { AuditEntry } from './auditLog';

/** An unwritten record this process has taken to write; `claim` names it for landed/release. */
export interface ClaimedAuditEntry {
  readonly entry: AuditEntry;
  readonly claim: string;
}

export interface AuditSetAside {
  /** Where records are kept, for log lines (never shown to the outside). */
  readonly location: string;
  /**
   * Durably keeps a record the audit log refused for good, with why (values that look like
   * secrets are masked, never kept). Resolves to where it is.
   */
  refused(entry: AuditEntry, error: unknown): Promise<string>;
  /** Durably keeps a record the audit log could not take yet. Resolves to where it is. */
  unwritten(entry: AuditEntry): Promise<string>;
  /** Takes up to `max` unwritten records, oldest first, for this process to write (no other process takes them). */
  claim(max: number): Promise<ClaimedAuditEntry[]>;
  /** A claimed record is now in the audit log (or set aside as refused): forget it. */
  landed(claim: string): Promise<void>;
  /** A claimed record could not be written: keep it for later. */
  release(claim: string): Promise<void>;
  /** How many records are kept of each kind (every process's). */
  counts(): Promise<{ readonly refused: number; readonly unwritten: number }>;
}
