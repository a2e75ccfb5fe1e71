/**
 * Ids that come back from Graph and go into the paths of later requests (/users/{id},
 * /groups/{id}, /devices/{id}). Graph's object ids are GUIDs; a reply carrying anything else
 * (`../../users/x`, `x?$filter=…`, from a broken or hostile answer) is refused here, at the
 * adapter's boundary, so no request ever goes to a path that a reply chose.
 */
import type { DirectoryFailure } from '../app/ports/directory';
import { isObjectId } from '../domain/targetReference';

/** The typed failure for a reply whose id is not an object id: Graph answered in a way we do not trust. */
export const NOT_AN_OBJECT_ID: DirectoryFailure = Object.freeze({ code: 'unexpected' });

/** The object id of a reply item, lower-cased; undefined when it has none or it is not a GUID. */
export function objectIdOf(item: unknown): string | undefined {
  const id = typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : undefined;
  return typeof id === 'string' && isObjectId(id) ? id.toLowerCase() : undefined;
}

/** Whether a reply item names an id that is not an object id (absent ids are another matter: the item is just not usable). */
export function hasForgedId(item: unknown): boolean {
  const id = typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : undefined;
  return id !== undefined && id !== null && objectIdOf(item) === undefined;
}
