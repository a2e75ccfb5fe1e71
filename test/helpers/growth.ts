/**
 * Linear or not, without a stopwatch threshold: how much longer some work takes on an input 16
 * times as large. Linear work grows about 16 times, n·log n a little more, quadratic about 256
 * times; {@link LINEAR_GROWTH_BOUND} sits between them with four times the noise either way.
 *
 * Why this is honest on a loaded 2-core machine: both sizes are timed the same way, in the same
 * process, moments apart, so the machine's speed and load cancel out of the ratio. Each timing is
 * the best of five (a pause from another process or the garbage collector only ever adds time),
 * after a warm-up (so the compiler has settled), and repeats the work enough times that the small
 * input takes at least a millisecond (so timer resolution and fast paths that do almost nothing
 * do not turn noise into a ratio). The repetition count only sets the precision; nothing is
 * compared with a number of milliseconds.
 */

/** A ratio above this means the work grows faster than n·log n. */
export const LINEAR_GROWTH_BOUND = 64;

/**
 * How much longer `run` takes on `build(16 · size)` than on `build(size)`. The two sizes are
 * timed alternately (a burst of load from another process then lands on both), and when the
 * ratio comes out above the bound it is measured again, up to three times, keeping the lowest:
 * noise only ever adds time, so a linear function can look quadratic by bad luck once, while a
 * quadratic one stays near 256 on every attempt.
 */
export function growthFactor<T>(build: (size: number) => T, run: (input: T) => void, size: number): number {
  const small = build(size);
  const large = build(size * 16);
  run(small);
  run(large);
  let repeat = 1;
  while (timed(run, small, repeat) < 1e6 && repeat < 4096) repeat *= 2;
  let lowest = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < 3 && lowest > LINEAR_GROWTH_BOUND; attempt += 1) {
    let smallTime = Number.POSITIVE_INFINITY;
    let largeTime = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 5; i += 1) {
      smallTime = Math.min(smallTime, timed(run, small, repeat));
      largeTime = Math.min(largeTime, timed(run, large, repeat));
    }
    lowest = Math.min(lowest, largeTime / Math.max(1, smallTime));
  }
  return lowest;
}

/** Nanoseconds for `repeat` runs. */
function timed<T>(run: (input: T) => void, input: T, repeat: number): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < repeat; i += 1) run(input);
  return Number(process.hrtime.bigint() - started);
}
