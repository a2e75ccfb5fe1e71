/**
 * Narrowing values that arrive as JSON (card data, Graph replies, stored items, templates), so
 * each layer checks shapes the same way.
 */

/** Whether `value` is a plain object (not null, not an array): its keys may then be read. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
