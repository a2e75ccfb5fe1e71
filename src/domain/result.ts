/**
 * The one way the domain reports an outcome a caller must handle: a discriminated union on `ok`.
 * Domain functions never throw for bad input they can describe; they return `err(problem)`.
 *
 * ```ts
 * const parsed = parseTarget(text, mentions);
 * if (!parsed.ok) return explain(parsed.error);
 * use(parsed.value);
 * ```
 */
export type Result<T, E> = Ok<T> | Err<E>;

/** The success half of {@link Result}. */
export interface Ok<T> {
  readonly ok: true;
  readonly value: T;
}

/** The failure half of {@link Result}. */
export interface Err<E> {
  readonly ok: false;
  readonly error: E;
}

/** Wraps a success value. */
export function ok<T>(value: T): Ok<T> {
  return { ok: true, value };
}

/** Wraps a failure value. */
export function err<E>(error: E): Err<E> {
  return { ok: false, error };
}
