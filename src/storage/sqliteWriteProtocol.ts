/**
 * What the event loop and the SQLite writer thread say to each other (src/storage/sqliteWriter.ts,
 * src/storage/sqliteWorker.ts). Everything here crosses a thread boundary by structured clone, so
 * it is plain data: a write carries its values already validated and serialised, and the instant
 * `now` its expiry decisions use (read from the one Clock on the event loop: the writer thread never
 * reads the machine's clock to decide); errors travel as {@link WireError} and become the same typed
 * errors again on the other side.
 */
import Database from 'better-sqlite3';
import type { AuditEntry, AuditRecord } from '../app/ports/auditLog';
import { isStorageUnavailable, StorageUnavailableError, type ReplaceResult } from '../app/ports/stateStore';

/** One write, as the writer thread runs it inside a group's transaction. */
export type WriteRequest =
  | {
      readonly op: 'state.create';
      readonly ns: string;
      readonly key: string;
      readonly json: string;
      readonly expiresAt: number | null;
      readonly now: number;
    }
  | {
      readonly op: 'state.replace';
      readonly ns: string;
      readonly key: string;
      readonly json: string;
      readonly etag: string;
      readonly expiresAt: number | null;
      readonly now: number;
    }
  | { readonly op: 'state.delete'; readonly ns: string; readonly key: string; readonly etag: string | null; readonly now: number }
  | { readonly op: 'state.sweep'; readonly now: number }
  | { readonly op: 'state.check'; readonly now: number }
  /** `entry` normalised and `json` its secret-checked serialisation; `id` the record's UUID. */
  | { readonly op: 'audit.append'; readonly entry: AuditEntry; readonly json: string; readonly id: string };

/** What each write answers; state values stay JSON text (the event loop parses them). */
export interface WriteResults {
  'state.create':
    | { readonly ok: true; readonly etag: string }
    | { readonly ok: false; readonly reason: 'exists'; readonly current: { readonly json: string; readonly etag: string } };
  'state.replace': ReplaceResult;
  'state.delete': boolean;
  'state.sweep': number;
  'state.check': null;
  'audit.append': AuditRecord;
}

/** The operation's name in error messages ("Storage unavailable during state create (…)"). */
export function operationName(request: WriteRequest): string {
  return request.op.replace('.', ' ');
}

/** An error as it crosses the thread boundary. Messages never hold stored values (the stores' errors never do). */
export type WireError =
  /** StorageUnavailableError, with the SQLite error it came from when there was one. */
  | { readonly kind: 'unavailable'; readonly message: string; readonly cause?: { readonly code: string; readonly message: string } }
  /** A SQLite error that does not mean "unavailable" (a constraint, a trigger's refusal). */
  | { readonly kind: 'sqlite'; readonly code: string; readonly message: string }
  | { readonly kind: 'type'; readonly message: string }
  | { readonly kind: 'other'; readonly name: string; readonly message: string };

export type WriteOutcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: WireError };

/** Settings of the writer thread's connection, reported once it is open. */
export interface WriterSettings {
  readonly journalMode: string;
  /** 2 is FULL: every commit fsyncs the WAL before it returns. */
  readonly synchronous: number;
  readonly busyTimeoutInMs: number;
}

export interface WriterData {
  readonly dataDir: string;
  readonly busyTimeoutInMs?: number;
  /** The file the event loop's connection opened: the writer thread writes to that one or to none. */
  readonly file: { readonly dev: number; readonly ino: number };
}

export type ToWriter = { readonly type: 'group'; readonly writes: readonly WriteRequest[] } | { readonly type: 'close' };

export type FromWriter =
  | { readonly type: 'ready'; readonly settings: WriterSettings }
  | { readonly type: 'open-failed'; readonly error: WireError }
  /** `commits`: how many transactions the group took (1, more only when SQLite itself rolled one back). */
  | { readonly type: 'group-done'; readonly outcomes: readonly WriteOutcome[]; readonly commits: number }
  | { readonly type: 'closed'; readonly error?: WireError };

function sqliteCodeOf(error: unknown): string | undefined {
  return error instanceof Database.SqliteError ? error.code : undefined;
}

/** The wire form of an error (already mapped with toStorageError). */
export function toWire(error: unknown): WireError {
  if (isStorageUnavailable(error)) {
    const cause: unknown = error.cause;
    const code = sqliteCodeOf(cause);
    return {
      kind: 'unavailable',
      message: error.message,
      ...(code !== undefined && cause instanceof Error ? { cause: { code, message: cause.message } } : {}),
    };
  }
  const code = sqliteCodeOf(error);
  if (code !== undefined && error instanceof Error) return { kind: 'sqlite', code, message: error.message };
  if (error instanceof TypeError) return { kind: 'type', message: error.message };
  if (error instanceof Error) return { kind: 'other', name: error.name, message: error.message };
  return { kind: 'other', name: 'Error', message: 'A write failed without an error object.' };
}

/** The error a caller sees: the same class (and SQLite cause) as if the write had run on its thread. */
export function fromWire(wire: WireError): Error {
  switch (wire.kind) {
    case 'unavailable':
      return new StorageUnavailableError(
        wire.message,
        wire.cause ? { cause: new Database.SqliteError(wire.cause.message, wire.cause.code) } : undefined,
      );
    case 'sqlite':
      return new Database.SqliteError(wire.message, wire.code);
    case 'type':
      return new TypeError(wire.message);
    case 'other': {
      const error = new Error(wire.message);
      error.name = wire.name;
      return error;
    }
  }
}
