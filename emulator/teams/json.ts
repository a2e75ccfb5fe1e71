/** Narrowing helpers for JSON the emulated Teams reads from the bot (cards, activities, invoke bodies). */

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value as a non-empty string, else undefined. */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The value as an array (an empty one when it is not an array). */
export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The value as an object (an empty one when it is not an object). */
export function obj(value: unknown): JsonObject {
  return isObject(value) ? value : {};
}

/** A deep copy of JSON data, so snapshots handed to tests don't change under them. */
export function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** Parses a response body: JSON when it parses, the text otherwise, undefined when empty. */
export function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
