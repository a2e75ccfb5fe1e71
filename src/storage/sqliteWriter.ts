/**
 * The SQLite writer thread, seen from the event loop. Every write goes to one worker thread that
 * owns the writing connection, so a commit's fsync (synchronous=FULL) and a wait for another
 * process's lock never block the event loop; a write's promise resolves only once its COMMIT has
 * returned, that is after the WAL was fsync'd.
 *
 * Group commit: one group of writes is in flight at a time. Writes that arrive while it is (or in
 * the same tick as the first) wait here and go together as the next group: one transaction, one
 * fsync for all of them (src/storage/groupCommit.ts says how each still succeeds or fails on its
 * own). Under load a commit therefore carries every write that queued during the last one.
 *
 * The thread starts with the first write (a process that only reads never starts one) and is
 * unref'd while idle, so an unclosed store does not keep the process alive. If it dies (an
 * uncaught error, out of memory), the writes it held fail with StorageUnavailableError — their
 * outcome is unknown, as for a commit that failed — and the next write starts a new thread. After
 * {@link MAX_CRASHES_IN_A_ROW} deaths with no commit in between it is not started again: every
 * write, and so /readyz, reports storage unavailable until the process is restarted. A thread that
 * cannot open the database is no crash: its writes fail with the open's StorageUnavailableError and
 * the next write tries again, as a write to an unusable file always has.
 *
 * close() refuses new writes, lets the queued and in-flight ones finish, then has the thread close
 * its connection (the last one to close checkpoints the WAL) and waits for it to end.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { StorageUnavailableError } from '../app/ports/stateStore';
import {
  fromWire,
  operationName,
  type FromWriter,
  type ToWriter,
  type WireError,
  type WriterData,
  type WriterSettings,
  type WriteRequest,
  type WriteResults,
} from './sqliteWriteProtocol';

/** At most this many writes in one group (one transaction): bounds how long one commit holds the lock. */
export const MAX_GROUP_SIZE = 256;

/** Deaths of the writer thread with no commit in between, after which it is not started again. */
export const MAX_CRASHES_IN_A_ROW = 3;

/** What the writer has done since it was made: for tests and diagnostics. */
export interface WriterCounts {
  /** Writes accepted. */
  writes: number;
  /** Groups sent to the thread. */
  groups: number;
  /** Transactions committed (one fsync each). */
  commits: number;
  /** Threads started. */
  starts: number;
  /** Threads that died without being asked to. */
  crashes: number;
}

interface Pending {
  readonly request: WriteRequest;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * The writer thread's script: the compiled .js next to this module, or under tsx (npm start, the
 * tests) the .ts, with tsx's CommonJS hook registered first, since Node 20 does not hand the
 * `--import tsx` loader to worker threads.
 */
function startThread(data: WriterData): Worker {
  // The thread's work is small and short-lived: a small young generation saves memory (measured: about 4 MB of RSS).
  const options = { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 4 } };
  const file = path.join(__dirname, `sqliteWorker${path.extname(__filename)}`);
  if (!file.endsWith('.ts')) return new Worker(file, options);
  const boot = `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register();\nrequire(${JSON.stringify(file)});`;
  return new Worker(boot, { ...options, eval: true });
}

export class SqliteWriter {
  readonly counts: WriterCounts = { writes: 0, groups: 0, commits: 0, starts: 0, crashes: 0 };
  private worker: Worker | undefined;
  private queue: Pending[] = [];
  private inFlight: Pending[] | undefined;
  private flushScheduled = false;
  private state: 'open' | 'closing' | 'closed' | 'failed' = 'open';
  private crashesInARow = 0;
  /** Why the current thread could not open the database, once it said so. */
  private openFailure: WireError | undefined;
  /** The current thread's uncaught error, if it had one. */
  private threadError: unknown;
  private stopping: Worker | undefined;
  private closing: Promise<void> | undefined;
  private drainWaiters: (() => void)[] = [];
  private lastSettings: WriterSettings | undefined;

  constructor(
    private readonly data: WriterData,
    private readonly maxGroupSize = MAX_GROUP_SIZE,
  ) {}

  /** The running thread, if any (for diagnostics and the crash tests). */
  get thread(): Worker | undefined {
    return this.worker;
  }

  /** The writing connection's settings, once a thread has opened it. */
  get settings(): WriterSettings | undefined {
    return this.lastSettings;
  }

  /**
   * Runs `request` in the next group; resolves once that group's COMMIT has returned (fsync'd).
   * Rejects with StorageUnavailableError when it cannot be written now, and with the write's own
   * error (a SqliteError for a refused statement) otherwise.
   */
  write<R extends WriteRequest>(request: R): Promise<WriteResults[R['op']]> {
    if (this.state !== 'open') return Promise.reject(this.refusal(request));
    return new Promise<WriteResults[R['op']]>((resolve, reject) => {
      this.queue.push({ request, resolve: (value) => resolve(value as WriteResults[R['op']]), reject });
      this.counts.writes += 1;
      this.scheduleFlush();
    });
  }

  /** Finishes the queued and in-flight writes, refusing new ones, then stops the thread (idempotent). */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    if (this.state === 'open') this.state = 'closing';
    await this.drained();
    const worker = this.worker;
    if (worker) {
      this.stopping = worker;
      worker.ref();
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage({ type: 'close' } satisfies ToWriter);
      await exited;
    }
    this.state = 'closed';
  }

  private refusal(request: WriteRequest): StorageUnavailableError {
    const why = this.state === 'failed' ? `the writer thread failed ${MAX_CRASHES_IN_A_ROW} times in a row; restart the process` : 'closed';
    return new StorageUnavailableError(`Storage unavailable during ${operationName(request)} (${why}).`);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.inFlight) return;
    this.flushScheduled = true;
    // A microtask: writes made in the same tick as this one join its group.
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.inFlight || this.queue.length === 0) return;
    const worker = this.worker ?? this.start();
    if (!worker) return;
    const group = this.queue.splice(0, this.maxGroupSize);
    this.inFlight = group;
    this.counts.groups += 1;
    worker.ref();
    worker.postMessage({ type: 'group', writes: group.map((pending) => pending.request) } satisfies ToWriter);
  }

  private start(): Worker | undefined {
    let worker: Worker;
    try {
      worker = startThread(this.data);
    } catch (error) {
      this.failQueued(() => new StorageUnavailableError('Storage unavailable: the writer thread cannot start.', { cause: error }));
      return undefined;
    }
    this.counts.starts += 1;
    this.openFailure = undefined;
    this.threadError = undefined;
    worker.on('message', (message: FromWriter) => this.onMessage(worker, message));
    worker.on('error', (error) => {
      if (this.worker === worker) this.threadError = error;
    });
    // A reply that cannot be read would leave its group waiting for ever. (Never terminate() the
    // thread to get out of it: better-sqlite3 aborts the process if it is stopped in a failing call.)
    worker.on('messageerror', () => this.onLostReply(worker));
    worker.on('exit', () => this.onExit(worker));
    this.worker = worker;
    return worker;
  }

  private onMessage(worker: Worker, message: FromWriter): void {
    if (this.worker !== worker) return;
    switch (message.type) {
      case 'ready':
        this.lastSettings = message.settings;
        return;
      case 'open-failed':
        this.openFailure = message.error;
        return;
      case 'group-done': {
        const group = this.inFlight ?? [];
        this.inFlight = undefined;
        this.counts.commits += message.commits;
        if (message.commits > 0) this.crashesInARow = 0;
        group.forEach((pending, index) => {
          const outcome = message.outcomes[index];
          if (outcome?.ok) pending.resolve(outcome.value);
          else
            pending.reject(
              outcome
                ? fromWire(outcome.error)
                : new StorageUnavailableError(`Storage unavailable during ${operationName(pending.request)} (no answer).`),
            );
        });
        this.afterGroup(worker);
        return;
      }
      case 'closed':
        return;
    }
  }

  /** Sends what queued during the commit as the next group, or lets an idle thread go. */
  private afterGroup(worker: Worker | undefined): void {
    if (this.queue.length > 0) {
      this.flush();
      return;
    }
    worker?.unref();
    for (const notify of this.drainWaiters.splice(0)) notify();
  }

  private onLostReply(worker: Worker): void {
    if (this.worker !== worker) return;
    const group = this.inFlight ?? [];
    this.inFlight = undefined;
    for (const pending of group)
      pending.reject(new StorageUnavailableError(`Storage unavailable during ${operationName(pending.request)} (the answer was lost).`));
    this.afterGroup(worker);
  }

  private onExit(worker: Worker): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    if (this.stopping === worker) return;
    const openFailure = this.openFailure;
    if (!openFailure) {
      this.counts.crashes += 1;
      this.crashesInARow += 1;
    }
    const cause = this.threadError;
    const error = (request: WriteRequest): Error =>
      openFailure
        ? fromWire(openFailure)
        : new StorageUnavailableError(
            `Storage unavailable during ${operationName(request)} (the writer thread stopped).`,
            cause === undefined ? undefined : { cause },
          );
    const lost = this.inFlight ?? [];
    this.inFlight = undefined;
    for (const pending of lost) pending.reject(error(pending.request));
    if (this.crashesInARow >= MAX_CRASHES_IN_A_ROW) {
      if (this.state === 'open') this.state = 'failed';
      this.failQueued(() => undefined);
    } else if (openFailure) {
      // They queued while the open was failing: they would meet the same file. The next write tries again.
      this.failQueued(error);
    }
    this.afterGroup(undefined);
  }

  /** Rejects every queued write, with `error(request)` or else the refusal of a failed writer. */
  private failQueued(error: (request: WriteRequest) => Error | undefined): void {
    for (const pending of this.queue.splice(0)) pending.reject(error(pending.request) ?? this.refusal(pending.request));
    for (const notify of this.inFlight ? [] : this.drainWaiters.splice(0)) notify();
  }

  private drained(): Promise<void> {
    if (!this.inFlight && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }
}
