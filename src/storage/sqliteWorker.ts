/**
 * The SQLite writer thread (started by src/storage/sqliteWriter.ts). It owns one connection and
 * runs each group of writes the event loop sends in one transaction (src/storage/groupCommit.ts),
 * answering only after COMMIT has returned. It decides nothing by the machine's clock: every write
 * carries the `now` its expiry decisions use.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { StorageUnavailableError } from '../app/ports/stateStore';
import { GroupCommitter } from './groupCommit';
import { reopenDatabase, type SqliteConnection } from './openDatabase';
import { toStorageError } from './sqliteErrors';
import {
  operationName,
  toWire,
  type FromWriter,
  type ToWriter,
  type WriteOutcome,
  type WriterData,
  type WriteRequest,
} from './sqliteWriteProtocol';
import { prepareWrites } from './sqliteWrites';

function serve(port: NonNullable<typeof parentPort>, data: WriterData): void {
  const post = (message: FromWriter): void => port.postMessage(message);
  let connection: SqliteConnection;
  let committer: GroupCommitter;
  try {
    connection = reopenDatabase({ dataDir: data.dataDir, busyTimeoutInMs: data.busyTimeoutInMs }, data.file);
    committer = new GroupCommitter(connection, prepareWrites(connection.db));
  } catch (error) {
    // Without a 'message' listener the thread ends once this is sent.
    post({ type: 'open-failed', error: toWire(toStorageError(error, 'open')) });
    return;
  }
  const pragma = (name: string): unknown => connection.db.pragma(name, { simple: true });
  post({
    type: 'ready',
    settings: {
      journalMode: String(pragma('journal_mode')),
      synchronous: Number(pragma('synchronous')),
      busyTimeoutInMs: Number(pragma('busy_timeout')),
    },
  });

  port.on('message', (message: ToWriter) => {
    if (message.type === 'group') {
      post({ type: 'group-done', ...runGroup(connection, committer, message.writes) });
      return;
    }
    let failure: unknown;
    try {
      connection.close();
    } catch (error) {
      failure = error;
    }
    post(failure === undefined ? { type: 'closed' } : { type: 'closed', error: toWire(failure) });
    port.close();
  });
}

/** The group's outcomes; if the group itself fails unexpectedly, every write of it fails as unavailable. */
function runGroup(
  connection: SqliteConnection,
  committer: GroupCommitter,
  writes: readonly WriteRequest[],
): { outcomes: readonly WriteOutcome[]; commits: number } {
  try {
    return committer.commitGroup(writes);
  } catch (error) {
    try {
      if (connection.db.inTransaction) connection.db.exec('ROLLBACK');
    } catch {
      // what failed first is what is reported
    }
    return {
      commits: 0,
      outcomes: writes.map((write) => ({
        ok: false,
        error: toWire(
          new StorageUnavailableError(`Storage unavailable during ${operationName(write)} (the group failed).`, { cause: error }),
        ),
      })),
    };
  }
}

if (!parentPort) throw new Error('sqliteWorker runs as a worker thread only.');
serve(parentPort, workerData as WriterData);
