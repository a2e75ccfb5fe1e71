/**
 * Storage latency by operation: decorators over the StateStore and AuditLog ports, applied at the
 * composition root (src/app.ts) when telemetry is on, so the storage adapters know nothing of it.
 * Each call is a client span (`storage state.get`, …) and a revoker.storage.duration measurement;
 * the namespace, keys and values stay out of both. The readiness check and close pass through
 * untimed: /readyz is polled, and its spans would be noise.
 */
import type { AuditEntry, AuditFilter, AuditLog, AuditRecord } from '../app/ports/auditLog';
import type { CreateResult, ListOptions, ReplaceResult, StateStore, StoredItem, WriteOptions } from '../app/ports/stateStore';
import type { Telemetry } from './telemetry';

type Operation = 'state.get' | 'state.create' | 'state.replace' | 'state.delete' | 'state.list' | 'audit.append' | 'audit.list';

function timed<T>(telemetry: Telemetry, operation: Operation, call: () => Promise<T>): Promise<T> {
  return telemetry.span(
    `storage ${operation}`,
    { kind: 'client', attributes: { 'revoker.storage.operation': operation }, duration: 'revoker.storage.duration' },
    call,
  );
}

export class TimedStateStore implements StateStore {
  constructor(
    private readonly store: StateStore,
    private readonly telemetry: Telemetry,
  ) {}

  get<T>(namespace: string, key: string): Promise<StoredItem<T> | undefined> {
    return timed(this.telemetry, 'state.get', () => this.store.get<T>(namespace, key));
  }

  create<T>(namespace: string, key: string, value: T, options?: WriteOptions): Promise<CreateResult<T>> {
    return timed(this.telemetry, 'state.create', () => this.store.create(namespace, key, value, options));
  }

  replace(namespace: string, key: string, value: unknown, etag: string, options?: WriteOptions): Promise<ReplaceResult> {
    return timed(this.telemetry, 'state.replace', () => this.store.replace(namespace, key, value, etag, options));
  }

  delete(namespace: string, key: string, etag?: string): Promise<boolean> {
    return timed(this.telemetry, 'state.delete', () => this.store.delete(namespace, key, etag));
  }

  list<T>(namespace: string, options?: ListOptions): Promise<(StoredItem<T> & { key: string })[]> {
    return timed(this.telemetry, 'state.list', () => this.store.list<T>(namespace, options));
  }

  check(): Promise<void> {
    return this.store.check();
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

export class TimedAuditLog implements AuditLog {
  constructor(
    private readonly log: AuditLog,
    private readonly telemetry: Telemetry,
  ) {}

  append(entry: AuditEntry): Promise<AuditRecord> {
    return timed(this.telemetry, 'audit.append', () => this.log.append(entry));
  }

  list(filter?: AuditFilter): Promise<AuditRecord[]> {
    return timed(this.telemetry, 'audit.list', () => this.log.list(filter));
  }
}
