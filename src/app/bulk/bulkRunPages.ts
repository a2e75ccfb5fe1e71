/**
 * A running bulk run's item states, stored in pages. A run of 10,000 users is about
 * 2.6 MB of JSON; rewriting it for every batch of 20 made each batch result cost one whole-run
 * serialisation (tens of milliseconds, on the event loop). The run's document (NAMESPACE.bulkRuns)
 * keeps its states, approval, lease and a fold of the items; while it has a ledger
 * (src/domain/bulkRun.ts, BulkLedger) the items' current states are in pages of `pageSize` items
 * (NAMESPACE.bulkRunItems, key `{runId}/{page}`), and a batch writes only the page or two its
 * users are on.
 *
 * Exactly-once holds as with one document:
 * - Only the execution holding the run's lease writes pages. Taking a run over stamps every page
 *   with the new execution's id (compare-and-set), so a page write of an older execution that
 *   lost its lease fails on its etag, and it stops (`PagesLost`).
 * - An execution sends a batch only after its `sent` marks are stored in the pages, and only
 *   while its lease (renewed by writes of the run's document) has a batch's time budget left; a
 *   new execution takes over only after the lease ran out, so every batch the old one sent has
 *   landed or been given up by then (src/app/bulk/bulkExecution.ts).
 * - Readers merge the pages of the run's own ledger into its items (`loadBulkRun`); a page that is
 *   missing or of another ledger is ignored (its items' state is the document's).
 *
 * Writes of one page are serialised; changes that arrive while a page is being written go out
 * together in its next write (group commit).
 */
import { NAMESPACE } from '../ports/namespaces';
import type { StateStore, StoredItem } from '../ports/stateStore';
import type { BulkItem, BulkRun } from '../../domain/bulkRun';

/** Items per page: about 50 KB of JSON, a few milliseconds to write. */
export const BULK_PAGE_SIZE = 200;

/** One stored page. */
export interface BulkItemPage {
  runId: string;
  /** The ledger the page belongs to (BulkLedger.id). */
  ledgerId: string;
  /** The execution that last took the pages over: only it writes them. */
  executionId: string;
  /** Index of the page's first item in the run. */
  first: number;
  items: BulkItem[];
}

/** A page write failed: another execution took the run (`taken_over`), or the run's pages are gone. */
export class PagesLost extends Error {
  constructor(readonly reason: 'taken_over' | 'gone') {
    super(`bulk run pages lost (${reason})`);
  }
}

export function pageKey(runId: string, page: number): string {
  return `${runId}/${String(page).padStart(5, '0')}`;
}

function pageCount(items: number, pageSize: number): number {
  return Math.ceil(items / pageSize);
}

/** Whether a stored page belongs to this run's ledger and fits its items. */
function belongs(page: BulkItemPage | undefined, run: BulkRun, index: number): page is BulkItemPage {
  const ledger = run.ledger;
  if (!page || !ledger) return false;
  const first = index * ledger.pageSize;
  return (
    page.runId === run.id &&
    page.ledgerId === ledger.id &&
    page.first === first &&
    Array.isArray(page.items) &&
    page.items.length === Math.min(ledger.pageSize, run.items.length - first) &&
    page.items.every((item, i) => item.id === run.items[first + i]?.id)
  );
}

/** The run as stored, with its items' current states merged in from its pages (the etag is the document's). */
export async function mergePages(store: StateStore, stored: StoredItem<BulkRun>): Promise<StoredItem<BulkRun>> {
  const run = stored.value;
  if (!run.ledger) return stored;
  const pages = await store.list<BulkItemPage>(NAMESPACE.bulkRunItems, { keyPrefix: `${run.id}/` });
  const byKey = new Map(pages.map((p) => [p.key, p.value]));
  const items = run.items.slice();
  for (let index = 0; index < pageCount(items.length, run.ledger.pageSize); index += 1) {
    const page = byKey.get(pageKey(run.id, index));
    if (belongs(page, run, index)) items.splice(page.first, page.items.length, ...page.items);
  }
  return { value: { ...run, items }, etag: stored.etag };
}

/** A run by id, its pages merged in; undefined when there is none. */
export async function loadBulkRun(store: StateStore, runId: string): Promise<StoredItem<BulkRun> | undefined> {
  const stored = await store.get<BulkRun>(NAMESPACE.bulkRuns, runId);
  return stored ? mergePages(store, stored) : undefined;
}

interface PageWriter {
  etag: string;
  writing: boolean;
  waiting: { resolve: () => void; reject: (error: unknown) => void }[];
}

/** One execution's pages: it adopts them, then stores changed items page by page. */
export class RunPages {
  private readonly writers: PageWriter[] = [];
  private items: readonly BulkItem[] = [];
  private failure: unknown;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly store: StateStore,
    private readonly run: BulkRun,
    private readonly executionId: string,
    private readonly retention: () => Date,
  ) {}

  /**
   * Takes the pages over for this execution: the ledger's pages are stamped with its id (their
   * states win over the document's), missing ones are created from the document's items. Returns
   * the items' current states. Throws PagesLost when the pages keep changing under it.
   */
  async adopt(): Promise<BulkItem[]> {
    const ledger = this.run.ledger;
    if (!ledger) throw new Error('A run needs a ledger before its pages are adopted.');
    const items = this.run.items.slice();
    this.items = items;
    for (let index = 0; index < pageCount(items.length, ledger.pageSize); index += 1) {
      const key = pageKey(this.run.id, index);
      const first = index * ledger.pageSize;
      let etag: string | undefined;
      // A few tries: an execution that lost its lease may still record a result on a page until it is stamped.
      for (let attempt = 0; attempt < 5 && etag === undefined; attempt += 1) {
        const created = await this.store.create(NAMESPACE.bulkRunItems, key, this.page(index), { expiresAt: this.retention() });
        if (created.ok) {
          etag = created.etag;
          break;
        }
        const current = created.current.value;
        // This ledger's page holds the truth; a stale one (another ledger's) is overwritten with the document's states.
        if (belongs(current, this.run, index)) items.splice(first, current.items.length, ...current.items);
        const stamped = await this.store.replace(NAMESPACE.bulkRunItems, key, this.page(index), created.current.etag, {
          expiresAt: this.retention(),
        });
        if (stamped.ok) etag = stamped.etag;
      }
      if (etag === undefined) throw new PagesLost('taken_over');
      this.writers[index] = { etag, writing: false, waiting: [] };
    }
    return items;
  }

  /**
   * Stores the pages that hold `indexes`, with the states `items` shows when each write starts;
   * resolves once every one of them is stored (rejects with PagesLost or the store's error).
   */
  save(items: readonly BulkItem[], indexes: Iterable<number>): Promise<void> {
    this.items = items;
    const ledger = this.run.ledger;
    if (!ledger) return Promise.reject(new Error('the run has no ledger: its pages were never adopted'));
    const pages = new Set<number>();
    for (const index of indexes) pages.add(Math.floor(index / ledger.pageSize));
    const saved = Promise.all([...pages].map((page) => this.write(page))).then(() => undefined);
    this.pending.add(saved);
    void saved.catch(() => undefined).finally(() => this.pending.delete(saved));
    return saved;
  }

  /** Resolves when no page write is in flight (whatever their outcome). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Deletes the pages (after the run's document holds their states and no ledger): best effort, they expire anyway. */
  async remove(): Promise<void> {
    const ledger = this.run.ledger;
    if (!ledger) return;
    for (let index = 0; index < pageCount(this.run.items.length, ledger.pageSize); index += 1) {
      await this.store.delete(NAMESPACE.bulkRunItems, pageKey(this.run.id, index)).catch(() => false);
    }
  }

  private page(index: number): BulkItemPage {
    const ledger = this.run.ledger;
    if (!ledger) throw new Error('the run has no ledger: its pages were never adopted');
    const size = ledger.pageSize;
    const first = index * size;
    return {
      runId: this.run.id,
      ledgerId: ledger.id,
      executionId: this.executionId,
      first,
      items: this.items.slice(first, first + size),
    };
  }

  private write(index: number): Promise<void> {
    const writer = this.writers[index];
    if (!writer) return Promise.reject(new Error(`page ${index} was not adopted`));
    if (this.failure !== undefined) return Promise.reject(this.failure instanceof Error ? this.failure : new Error('a page write failed'));
    return new Promise<void>((resolve, reject) => {
      writer.waiting.push({ resolve, reject });
      this.pump(index, writer);
    });
  }

  /** Writes the page if it is not being written; everyone waiting when a write starts is answered by it. */
  private pump(index: number, writer: PageWriter): void {
    if (writer.writing || writer.waiting.length === 0) return;
    const answered = writer.waiting.splice(0);
    if (this.failure !== undefined) {
      for (const w of answered) w.reject(this.failure);
      return;
    }
    writer.writing = true;
    this.store
      .replace(NAMESPACE.bulkRunItems, pageKey(this.run.id, index), this.page(index), writer.etag, { expiresAt: this.retention() })
      .then((saved) => {
        if (!saved.ok) throw new PagesLost(saved.reason === 'missing' ? 'gone' : 'taken_over');
        writer.etag = saved.etag;
        for (const w of answered) w.resolve();
      })
      .catch((error: unknown) => {
        this.failure ??= error;
        for (const w of answered) w.reject(error);
      })
      .finally(() => {
        writer.writing = false;
        this.pump(index, writer);
      });
  }
}
