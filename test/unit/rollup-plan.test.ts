/** Which parts of a /api/dependencies window come from roll-ups and which are computed live. */
import { describe, expect, it } from 'vitest';
import { planDependencies } from '../../shared/storage/rollup-dependencies.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const D = Date.UTC(2026, 0, 10); // a day start
const us = (ms: number) => ms * 1000;

describe('planDependencies', () => {
  it('reads the final hours wholly inside the window and computes the open ends live, without gaps or overlaps', () => {
    const from = D + 10 * HOUR + 17 * 60_000;
    const to = D + 14 * HOUR + 5 * 60_000;
    const plan = planDependencies('dependency', us(from), us(to), new Set(), new Set([D + 11 * HOUR, D + 12 * HOUR, D + 13 * HOUR]));
    expect(plan.rolledUp.map((w) => [w.granularity, w.startMs])).toEqual([
      ['hour', D + 11 * HOUR],
      ['hour', D + 12 * HOUR],
      ['hour', D + 13 * HOUR],
    ]);
    expect(plan.live).toEqual([
      [us(from), us(D + 11 * HOUR) - 1],
      [us(D + 14 * HOUR), us(to)],
    ]);
  });

  it('computes an hour live when its roll-up is not final, merged with its neighbours', () => {
    const plan = planDependencies('dependency', us(D), us(D + 3 * HOUR) - 1, new Set(), new Set([D, D + 2 * HOUR]));
    expect(plan.rolledUp.map((w) => w.startMs)).toEqual([D, D + 2 * HOUR]);
    expect(plan.live).toEqual([[us(D + HOUR), us(D + 2 * HOUR) - 1]]);
  });

  it('uses a final day instead of its hours, and hours around it', () => {
    const from = D - 2 * HOUR;
    const to = D + DAY + HOUR; // inclusive end on an hour boundary: that µs is live
    const hours = new Set([D - 2 * HOUR, D - HOUR, D + DAY]);
    const plan = planDependencies('dependency', us(from), us(to), new Set([D]), hours);
    expect(plan.rolledUp.map((w) => [w.granularity, w.startMs])).toEqual([
      ['hour', D - 2 * HOUR],
      ['hour', D - HOUR],
      ['day', D],
      ['hour', D + DAY],
    ]);
    expect(plan.live).toEqual([[us(D + DAY + HOUR), us(to)]]);
  });

  it('computes everything live when nothing is rolled up', () => {
    const plan = planDependencies('dependency', us(D), us(D + 5 * HOUR), new Set(), new Set());
    expect(plan.rolledUp).toEqual([]);
    expect(plan.live).toEqual([[us(D), us(D + 5 * HOUR)]]);
  });

  it('plans a window of the whole number range by the final windows alone (no walk over every hour)', () => {
    const plan = planDependencies('dependency', 0, Number.MAX_SAFE_INTEGER, new Set([D]), new Set([D + 2 * HOUR, D + DAY + HOUR]));
    expect(plan.rolledUp.map((w) => [w.granularity, w.startMs])).toEqual([
      ['day', D],
      ['hour', D + DAY + HOUR],
    ]);
    expect(plan.live).toEqual([
      [0, us(D) - 1],
      [us(D + DAY), us(D + DAY + HOUR) - 1],
      [us(D + DAY + 2 * HOUR), Number.MAX_SAFE_INTEGER],
    ]);
  });
});
