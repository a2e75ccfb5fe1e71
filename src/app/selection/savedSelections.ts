/**
 * Saved selections: a name for a filter tree (src/domain/selectionFilter.ts), per organisation.
 * Only the tree is stored, re-checked when read back; a selection is evaluated afresh, with the
 * delegated token of whoever runs it, every time it is used.
 */
import type { Clock } from '../../domain/clock';
import type { PersonRef } from '../../domain/people';
import { isSelectionFilter, type SelectionFilter } from '../../domain/selectionFilter';
import { NAMESPACE } from '../ports/namespaces';
import type { StateStore } from '../ports/stateStore';

export interface SavedSelection {
  readonly name: string;
  readonly filter: SelectionFilter;
  readonly savedBy: PersonRef;
  readonly savedAt: string;
}

/** How long the last previewed filter is remembered for `save selection "…"`. */
const LAST_SELECTION_TTL_IN_MS = 24 * 3600_000;

const selectionKey = (tenantId: string, name: string): string => `${tenantId.toLowerCase()}|${name.normalize('NFC').toLowerCase()}`;
const personKey = (person: PersonRef): string => `${person.tenantId.toLowerCase()}|${person.aadObjectId.toLowerCase()}`;

export class SavedSelections {
  constructor(
    private readonly store: StateStore,
    private readonly clock: Clock,
  ) {}

  /** Saves (or replaces) a named selection for the organisation. */
  async save(person: PersonRef, name: string, filter: SelectionFilter): Promise<SavedSelection> {
    const saved: SavedSelection = { name, filter, savedBy: person, savedAt: this.clock.now().toISOString() };
    const key = selectionKey(person.tenantId, name);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const created = await this.store.create(NAMESPACE.selections, key, saved);
      if (created.ok) return saved;
      const replaced = await this.store.replace(NAMESPACE.selections, key, saved, created.current.etag);
      if (replaced.ok) return saved;
    }
    return saved;
  }

  /** A saved selection by name (case-insensitive); undefined when none, or when what is stored is not a well-formed tree. */
  async get(tenantId: string, name: string): Promise<SavedSelection | undefined> {
    const stored = await this.store.get<SavedSelection>(NAMESPACE.selections, selectionKey(tenantId, name));
    return stored && isSelectionFilter(stored.value.filter) ? stored.value : undefined;
  }

  /** Remembers the filter this person last previewed. */
  async rememberLast(person: PersonRef, filter: SelectionFilter): Promise<void> {
    const key = personKey(person);
    const expiresAt = new Date(this.clock.now().getTime() + LAST_SELECTION_TTL_IN_MS);
    const created = await this.store.create(NAMESPACE.lastSelections, key, { filter }, { expiresAt });
    if (!created.ok) await this.store.replace(NAMESPACE.lastSelections, key, { filter }, created.current.etag, { expiresAt });
  }

  async last(person: PersonRef): Promise<SelectionFilter | undefined> {
    const stored = await this.store.get<{ filter: unknown }>(NAMESPACE.lastSelections, personKey(person));
    return stored && isSelectionFilter(stored.value.filter) ? stored.value.filter : undefined;
  }
}
