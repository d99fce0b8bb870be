import { describe, expect, it } from 'vitest';
import { SeriesCache } from '../../shared/metrics/series-cache.js';

describe('series cache', () => {
  it('finds an entry by its label values, whatever arrays carry them', () => {
    const cache = new SeriesCache<string>(3, 10);
    expect(cache.set(['cart', 'GET /', 'SERVER'], 'a')).toBe(true);
    expect(cache.set(['cart', 'GET /', 'CLIENT'], 'b')).toBe(true);
    const values = ['cart', 'GET', 'SERVER'];
    values[1] = 'GET /';
    expect(cache.get(values)).toBe('a');
    expect(cache.get(['cart', 'GET /', 'CLIENT', 'ignored beyond the depth'])).toBe('b');
    expect(cache.get(['cart', 'POST /', 'SERVER'])).toBeUndefined();
    expect(cache.get(['', 'GET /', 'SERVER'])).toBeUndefined();
    expect(cache.size).toBe(2);
  });

  it('stores nothing more once full, so label sets past a series limit cannot grow it', () => {
    const cache = new SeriesCache<number>(1, 2);
    expect(cache.set(['a'], 1)).toBe(true);
    expect(cache.set(['b'], 2)).toBe(true);
    expect(cache.set(['c'], 3)).toBe(false);
    expect(cache.get(['c'])).toBeUndefined();
    expect(cache.size).toBe(2);
  });
});
