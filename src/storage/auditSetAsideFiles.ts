/**
 * AuditSetAside as files under one directory (DATA_DIR/audit-set-aside), so it works whichever
 * backend holds the audit log and while that backend is down. One JSON file per record, so
 * processes sharing the directory never write the same file:
 *
 * - `refused/<time>-<n>-<uuid>.json`: records the audit log refused for good, with why. For an
 *   operator to read; never retried. Values that look like secrets are masked, never written.
 * - `unwritten/<time>-<n>-<uuid>.json`: records the log could not take in time (secret-like values
 *   masked there too). A process takes one by
 *   renaming it to `<name>.claimed-<process>` (atomic: only one rename wins) and stamping its time,
 *   writes it, then deletes it, or renames it back. Claims are held only while one write is tried
 *   (seconds); a claim older than CLAIM_EXPIRY_IN_MS was left by a process that died and is taken
 *   over, so a record can land twice (if that process died right after writing it), never zero times.
 *
 * Every file is written to a temporary name, fsync'd, renamed into place and its directory fsync'd:
 * it is durable once the call resolves, and a crash leaves either the whole file or none.
 */
import { randomUUID } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { AuditEntry } from '../app/ports/auditLog';
import type { AuditSetAside, ClaimedAuditEntry } from '../app/ports/auditSetAside';
import type { Clock } from '../domain/clock';
import { fsyncDirectory } from './openDatabase';
import { findSecretLikeContent } from './secretGuard';

const CLAIMED = /\.claimed-[0-9a-f]+$/;
/** After this long a claim counts as abandoned: far longer than one write with all its retries. */
export const CLAIM_EXPIRY_IN_MS = 10 * 60_000;

/** A copy of `value` in which every string that looks like a credential is replaced by a marker. */
function masked(value: unknown): unknown {
  if (typeof value === 'string') {
    const kind = findSecretLikeContent(value);
    return kind ? `[redacted: looked like a ${kind}]` : value;
  }
  if (Array.isArray(value)) return value.map(masked);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, masked(item)]));
  return value;
}

function describe(error: unknown): Record<string, string> {
  if (!(error instanceof Error)) return { name: 'unknown', message: String(masked(String(error))) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, ...(typeof code === 'string' ? { code } : {}), message: String(masked(error.message)) };
}

function isMissing(error: unknown): boolean {
  return (error as { code?: unknown }).code === 'ENOENT';
}

function listNames(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => !name.startsWith('.'));
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

export class FileAuditSetAside implements AuditSetAside {
  private readonly refusedDir: string;
  private readonly unwrittenDir: string;
  /** This process's claim suffix. */
  private readonly instance = randomUUID().replaceAll('-', '');
  private written = 0;

  constructor(
    readonly location: string,
    private readonly clock: Clock,
  ) {
    this.refusedDir = path.join(location, 'refused');
    this.unwrittenDir = path.join(location, 'unwritten');
  }

  async refused(entry: AuditEntry, error: unknown): Promise<string> {
    return this.write(this.refusedDir, entry, {
      setAsideAt: this.clock.now().toISOString(),
      reason: 'refused by the audit log',
      error: describe(error),
      entry: masked(entry),
    });
  }

  /** Masked too: a record that would be refused for a secret-like value is then written masked, and no secret is ever at rest. */
  async unwritten(entry: AuditEntry): Promise<string> {
    return this.write(this.unwrittenDir, entry, { setAsideAt: this.clock.now().toISOString(), entry: masked(entry) });
  }

  async claim(max: number): Promise<ClaimedAuditEntry[]> {
    const mine = `.claimed-${this.instance}`;
    const now = this.clock.now();
    const abandoned = (name: string): boolean => {
      try {
        return now.getTime() - statSync(path.join(this.unwrittenDir, name)).mtimeMs > CLAIM_EXPIRY_IN_MS;
      } catch {
        return false;
      }
    };
    const candidates = listNames(this.unwrittenDir)
      .filter((name) => name.endsWith('.json') || (CLAIMED.test(name) && !name.endsWith(mine) && abandoned(name)))
      .map((name) => ({ name, base: name.replace(CLAIMED, '') }))
      .sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
    const claimed: ClaimedAuditEntry[] = [];
    for (const candidate of candidates) {
      if (claimed.length >= max) break;
      const claim = path.join(this.unwrittenDir, `${candidate.base}${mine}`);
      try {
        renameSync(path.join(this.unwrittenDir, candidate.name), claim);
        utimesSync(claim, now, now); // the claim's age starts now
      } catch (error) {
        if (isMissing(error)) continue; // another process took it
        throw error;
      }
      let entry: unknown;
      try {
        entry = (JSON.parse(readFileSync(claim, 'utf8')) as { entry?: unknown }).entry;
      } catch {
        entry = undefined;
      }
      if (typeof entry !== 'object' || entry === null) {
        // Not a record this code wrote: out of the way, for the operator.
        mkdirSync(this.refusedDir, { recursive: true, mode: 0o700 });
        renameSync(claim, path.join(this.refusedDir, `${candidate.base}.unreadable`));
        continue;
      }
      claimed.push({ entry: entry as AuditEntry, claim });
    }
    return claimed;
  }

  async landed(claim: string): Promise<void> {
    try {
      unlinkSync(claim);
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }

  async release(claim: string): Promise<void> {
    try {
      renameSync(claim, claim.replace(CLAIMED, ''));
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }

  async counts(): Promise<{ refused: number; unwritten: number }> {
    return { refused: listNames(this.refusedDir).length, unwritten: listNames(this.unwrittenDir).length };
  }

  private write(dir: string, entry: AuditEntry, content: unknown): string {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stamp = typeof entry.at === 'string' ? entry.at.replace(/[^0-9TZ]/g, '') : '';
    // The record's time, then this process's write order (records of one instant keep their order), then uniqueness.
    this.written += 1;
    const name = `${stamp}-${String(this.written).padStart(9, '0')}-${randomUUID()}.json`;
    const temporary = path.join(dir, `.${name}.tmp`);
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(content, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const final = path.join(dir, name);
    renameSync(temporary, final);
    fsyncDirectory(dir);
    return final;
  }
}
