/**
 * The growth-ratio helper tells linear work from quadratic work, so the tests that lean on it
 * (parsers against hostile input) can fail.
 */
import assert from 'node:assert/strict';
import { growthFactor, LINEAR_GROWTH_BOUND } from '../helpers/growth';

/** Work proportional to the input's length. */
function linear(values: readonly number[]): void {
  let sum = 0;
  for (const value of values) sum += value;
  if (sum < 0) throw new Error('unreachable');
}

/** Work proportional to the square of the input's length (every pair). */
function quadratic(values: readonly number[]): void {
  let sum = 0;
  for (const a of values) for (const b of values) sum += a ^ b;
  if (sum < 0) throw new Error('unreachable');
}

const numbers = (size: number): number[] => Array.from({ length: size }, (_, i) => i);

describe('the growth-ratio helper', function () {
  this.timeout(60_000);

  it('when the work is linear, then 16 times the input stays under the bound', function () {
    assert.ok(growthFactor(numbers, linear, 2000) < LINEAR_GROWTH_BOUND);
  });

  it('when the work is quadratic, then 16 times the input goes over the bound', function () {
    assert.ok(growthFactor(numbers, quadratic, 100) > LINEAR_GROWTH_BOUND);
  });
});
