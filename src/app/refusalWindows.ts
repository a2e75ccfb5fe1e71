/**
 * Coalescing of repeated refusals in the audit trail. Anyone in a served tenant can make the
 * bot refuse them (a forged click, a bad sign-in token), and each refusal is worth recording —
 * but not ten thousand times. Per person and kind of refusal, a window opens with the first
 * refusal, which is recorded in full at once; the rest of the window is counted, and when it
 * ends one summary record says how many more there were, of which codes, from when to when.
 * So the trail still says what happened, and a flood costs at most two records per window.
 *
 * This is the pure part (no I/O): what to write and when. AuditTrail writes.
 */
import type { AuditAction, AuditActor, AuditEntry, AuditTarget } from './ports/auditLog';

/** Refusals of what one person tried; other records (outcomes of actions) are never coalesced. */
export const COALESCED_ACTIONS: ReadonlySet<AuditAction> = new Set<AuditAction>([
  'request.refused',
  'signin.refused',
  'audit.refused',
  'command.refused',
  'alert.refused',
]);

/** An audit record before the trail stamps its time. */
export type AuditDraft = Omit<AuditEntry, 'at'>;

export interface RefusalWindowOptions {
  /** How long one window lasts. */
  readonly windowInMs: number;
  /** Most windows held at once; beyond it the oldest is summed up early (bounded memory). */
  readonly maxWindows?: number;
}

interface Window {
  readonly openedAt: number;
  readonly first: AuditDraft & { readonly actor: AuditActor };
  /** Refusals after the first, and when the first and last of them were. */
  count: number;
  countedFrom: number;
  lastAt: number;
  readonly codes: Map<string, number>;
  /** Set while every counted refusal was about the same request (else undefined). */
  requestId: string | undefined;
  target: AuditTarget | undefined;
  sameRequest: boolean;
}

export class RefusalWindows {
  private readonly windows = new Map<string, Window>();
  private readonly maxWindows: number;

  constructor(private readonly options: RefusalWindowOptions) {
    if (!(options.windowInMs > 0)) throw new RangeError('windowInMs must be positive');
    this.maxWindows = options.maxWindows ?? 10_000;
  }

  /**
   * Takes one record about to be written at `now` (epoch ms). `write` says whether to write it
   * (false: it was counted into its window's summary); `due` are summaries to write first.
   */
  take(entry: AuditDraft, now: number): { readonly write: boolean; readonly due: AuditDraft[] } {
    const due = this.due(now);
    if (!COALESCED_ACTIONS.has(entry.action) || entry.outcome !== 'refused' || !entry.actor) return { write: true, due };
    const key = `${entry.tenantId.toLowerCase()}|${entry.actor.aadObjectId.toLowerCase()}|${entry.action}`;
    const open = this.windows.get(key);
    if (!open) {
      this.windows.set(key, {
        openedAt: now,
        first: { ...entry, actor: entry.actor },
        count: 0,
        countedFrom: now,
        lastAt: now,
        codes: new Map(),
        requestId: undefined,
        target: undefined,
        sameRequest: true,
      });
      for (const [oldestKey, oldest] of this.windows) {
        if (this.windows.size <= this.maxWindows) break;
        this.windows.delete(oldestKey);
        if (oldest.count > 0) due.push(summary(oldest));
      }
      return { write: true, due };
    }
    open.count += 1;
    open.lastAt = now;
    const code = entry.code ?? 'unspecified';
    open.codes.set(code, (open.codes.get(code) ?? 0) + 1);
    if (open.count === 1) {
      open.countedFrom = now;
      open.requestId = entry.requestId;
      open.target = entry.target;
    } else if (open.requestId !== entry.requestId) {
      open.sameRequest = false;
    }
    return { write: false, due };
  }

  /** Summaries of the windows that ended by `now` (those windows are closed). */
  due(now: number): AuditDraft[] {
    const out: AuditDraft[] = [];
    // Windows are kept in the order they opened: stop at the first still open.
    for (const [key, window] of this.windows) {
      // (A window that opened "after" now ends too: the clock was set back.)
      if (now >= window.openedAt && now < window.openedAt + this.options.windowInMs) break;
      this.windows.delete(key);
      if (window.count > 0) out.push(summary(window));
    }
    return out;
  }

  /** Summaries of every window still open, which are closed (at shutdown). */
  drain(): AuditDraft[] {
    const out = [...this.windows.values()].filter((w) => w.count > 0).map(summary);
    this.windows.clear();
    return out;
  }

  /** Windows held (for tests of the memory bound). */
  get size(): number {
    return this.windows.size;
  }
}

/** The one record for the refusals a window counted after its first. */
function summary(window: Window): AuditDraft {
  const codes = [...window.codes.entries()].map(([code, n]) => `${code} ×${n}`).join(', ');
  const from = new Date(window.countedFrom).toISOString();
  const to = new Date(window.lastAt).toISOString();
  return {
    tenantId: window.first.tenantId,
    action: window.first.action,
    outcome: 'refused',
    actor: window.first.actor,
    code: 'repeated',
    ...(window.sameRequest && window.requestId ? { requestId: window.requestId, target: window.target } : {}),
    detail: `${window.count} more like this from the same person (${codes}) between ${from} and ${to}, recorded here as one.`,
  };
}
