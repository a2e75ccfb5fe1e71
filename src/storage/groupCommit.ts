/**
 * Group commit, as WAL databases do it: the writes that queued up while the last commit was in
 * flight run in one BEGIN IMMEDIATE transaction and commit together, so one fsync of the WAL
 * (synchronous=FULL) makes all of them durable. Nobody hears back before that COMMIT returns.
 *
 * Each write still succeeds or fails on its own:
 * - it runs inside its own savepoint; when it throws (a trigger's refusal, a constraint, a bug),
 *   only its savepoint is rolled back and the others go on. A compare-and-set that loses is a
 *   result, not an error, and costs the others nothing either.
 * - if SQLite rolled the whole transaction back itself (it may on SQLITE_FULL, SQLITE_IOERR,
 *   SQLITE_BUSY, SQLITE_NOMEM: https://www.sqlite.org/lang_transaction.html, "Response To Errors
 *   Within A Transaction"), the failing write gets its error and every other write of the group,
 *   done or not yet, runs again in a fresh transaction: nothing of it was committed or reported.
 * - if BEGIN fails (the lock is held past the busy timeout) or the file is no longer the one that
 *   was opened, every write of the group gets StorageUnavailableError: nothing was written.
 * - if COMMIT fails (the WAL cannot be written or fsync'd: a full disk, an I/O error), every write
 *   of the group gets StorageUnavailableError. Whether its frames reached the disk is then unknown,
 *   exactly as for a single write whose commit failed: none of them was durable when asked, so
 *   none is reported as done. Callers refuse to act; the audit trail keeps such records to write
 *   again (a record may then land twice, never zero times).
 */
import type { Statement } from 'better-sqlite3';
import { isStorageUnavailable, StorageUnavailableError } from '../app/ports/stateStore';
import type { SqliteConnection } from './openDatabase';
import { toStorageError } from './sqliteErrors';
import { operationName, toWire, type WriteOutcome, type WriteRequest } from './sqliteWriteProtocol';

export interface GroupResult {
  /** One per write, in order. */
  readonly outcomes: WriteOutcome[];
  /** How many transactions committed (1 for a group, more only when SQLite rolled one back on its own). */
  readonly commits: number;
}

export class GroupCommitter {
  private readonly begin: Statement;
  private readonly commit: Statement;
  private readonly rollback: Statement;
  private readonly savepoint: Statement;
  private readonly release: Statement;
  private readonly rollbackToSavepoint: Statement;

  constructor(
    private readonly connection: SqliteConnection,
    private readonly run: (request: WriteRequest) => unknown,
  ) {
    const db = connection.db;
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT one_write');
    this.release = db.prepare('RELEASE one_write');
    this.rollbackToSavepoint = db.prepare('ROLLBACK TO one_write');
  }

  /** Runs `writes` in as few transactions as SQLite allows (one, normally) and answers each. */
  commitGroup(writes: readonly WriteRequest[]): GroupResult {
    const outcomes: (WriteOutcome | undefined)[] = writes.map(() => undefined);
    const nameOf = (index: number): string => {
      const write = writes[index];
      return write === undefined ? 'write' : operationName(write);
    };
    const fail = (index: number, error: unknown): void => {
      outcomes[index] = { ok: false, error: toWire(toStorageError(error, nameOf(index))) };
    };
    /** The group's outcome is unknown to every write in it: "not now", whatever SQLite said. */
    const failUnavailable = (index: number, error: unknown): void => {
      const mapped = toStorageError(error, nameOf(index));
      const unavailable = isStorageUnavailable(mapped)
        ? mapped
        : new StorageUnavailableError(`Storage unavailable during ${nameOf(index)} (the commit failed).`, { cause: error });
      outcomes[index] = { ok: false, error: toWire(unavailable) };
    };
    const db = this.connection.db;
    // A getter SQLite changes under us (a failed statement can end the transaction): read it fresh each time.
    const inTransaction = (): boolean => db.inTransaction;
    let commits = 0;
    let pending = writes.map((_, index) => index);
    while (pending.length > 0) {
      try {
        this.connection.checkFile('write');
        this.begin.run();
      } catch (error) {
        for (const index of pending) fail(index, error);
        break;
      }
      const done: { index: number; value: unknown }[] = [];
      const again: number[] = [];
      for (const index of pending) {
        const write = writes[index];
        if (write === undefined) continue;
        if (!inTransaction()) {
          again.push(index);
          continue;
        }
        this.savepoint.run();
        try {
          const value = this.run(write);
          this.release.run();
          done.push({ index, value });
        } catch (error) {
          fail(index, error);
          if (inTransaction()) {
            this.rollbackToSavepoint.run();
            this.release.run();
          } else {
            // SQLite rolled the transaction back: what was done in it is undone too.
            again.push(...done.map((write) => write.index));
            done.length = 0;
          }
        }
      }
      if (inTransaction()) {
        try {
          this.commit.run();
          commits += 1;
          for (const { index, value } of done) outcomes[index] = { ok: true, value };
        } catch (error) {
          if (inTransaction()) this.rollbackQuietly();
          for (const { index } of done) failUnavailable(index, error);
        }
      }
      pending = again.sort((a, b) => a - b);
    }
    return {
      outcomes: outcomes.map(
        (outcome, index) =>
          outcome ?? {
            ok: false,
            error: toWire(new StorageUnavailableError(`Storage unavailable during ${nameOf(index)} (not run).`)),
          },
      ),
      commits,
    };
  }

  private rollbackQuietly(): void {
    try {
      this.rollback.run();
    } catch {
      // the commit's failure is the one reported
    }
  }
}
