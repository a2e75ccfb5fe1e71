/** Shared helpers for the storage tests: temporary data directories, raw connections, child writers. */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { databaseFilePath } from '../../src/storage/openDatabase';
import { childEnv } from '../helpers/childEnv';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const WRITER_SCRIPT = path.join(__dirname, 'fixtures', 'storageWriter.ts');

/** A fresh temporary directory; remove it with removeDir. */
export function makeTempDir(prefix = 'revoker-storage-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A raw better-sqlite3 connection to the data directory's database (bypassing the adapters). */
export function openRaw(dataDir: string): Database.Database {
  const db = new Database(databaseFilePath(dataDir), { timeout: 5000 });
  db.pragma('journal_mode = WAL');
  return db;
}

/** PRAGMA integrity_check's verdict ('ok' when sound). */
export function integrityOf(dataDir: string): string {
  const db = openRaw(dataDir);
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((row) => row.integrity_check).join('; ');
  } finally {
    db.close();
  }
}

export interface Writer {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** Complete stdout lines so far. */
  readonly lines: string[];
  stderr(): string;
  /** Settles once the process has exited and its output has drained. */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts test/storage/fixtures/storageWriter.ts in its own node process and collects its output.
 * With `fileSizeLimitInKb`, the process may not write any file beyond that size (RLIMIT_FSIZE, as
 * `ulimit -f` sets it): a write past it fails with EFBIG, as on a full disk.
 */
export function startWriter(args: readonly string[], options: { fileSizeLimitInKb?: number } = {}): Writer {
  const node = [process.execPath, '--import', 'tsx', WRITER_SCRIPT, ...args];
  const [command, ...commandArgs] =
    options.fileSizeLimitInKb === undefined ? node : ['bash', '-c', `ulimit -f ${options.fileSizeLimitInKb} && exec "$@"`, 'bash', ...node];
  const child = spawn(command!, commandArgs, { cwd: REPO_ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return { child, lines, stderr: () => stderr, closed };
}

/** Kills a writer that is still running and waits for it (for afterEach). */
export async function stopWriter(writer: Writer): Promise<void> {
  if (writer.child.exitCode === null && writer.child.signalCode === null) writer.child.kill('SIGKILL');
  await writer.closed;
}

/** Polls until `predicate` holds, or fails after `timeoutInMs` (describing `what`, evaluated then). */
export async function waitFor(predicate: () => boolean, timeoutInMs: number, what: string | (() => string)): Promise<void> {
  const deadline = Date.now() + timeoutInMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
