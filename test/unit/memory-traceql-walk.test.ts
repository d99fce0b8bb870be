import { describe, expect, it } from 'vitest';
import type { SpanRecord } from '../../shared/model/span.js';
import { searchTraces, type TraceCandidate } from '../../shared/storage/memory/traceql-search.js';
import { compileTraceql } from '../../shared/traceql/compile.js';
import { BASE_US, span, traceIdOf } from '../fixtures/spans.js';

/** n one-span traces, trace i starting at BASE_US + i; the ones in `matching` have http.route=/pay. */
function candidatesOf(n: number, matching: ReadonlySet<number>, decoded: number[]): TraceCandidate[] {
  return Array.from({ length: n }, (_, i) => {
    const s: SpanRecord = span({ traceId: traceIdOf(i + 1), startUs: BASE_US + i, attrs: { 'http.route': matching.has(i) ? '/pay' : '/cart' } });
    return {
      traceId: s.traceId,
      boundNanos: s.startTimeUnixNano,
      // Storage order unrelated to time order, as when spans arrive late.
      locality: (i * 7919) % n,
      decode: () => {
        decoded.push(i);
        return [s];
      },
    };
  });
}

const query = (limit: number) => ({ query: compileTraceql('{ span.http.route = "/pay" }'), startTimeMinUs: 0, startTimeMaxUs: Number.MAX_SAFE_INTEGER, limit, spansPerSpanset: 3 });

describe('TraceQL walk over memory-store candidates', () => {
  it('finds the newest matches when they are rare and far down the walk, decoding blocks in storage order', () => {
    const decoded: number[] = [];
    const matching = new Set([3, 10, 250, 900, 1500]);
    const found = searchTraces(candidatesOf(2000, matching, decoded), query(3));
    expect(found.map((m) => m.traceId)).toEqual([traceIdOf(1501), traceIdOf(901), traceIdOf(251)]);
    // The first candidates go newest first; later blocks in storage (locality) order.
    expect(decoded.slice(0, 64)).toEqual(Array.from({ length: 64 }, (_, i) => 1999 - i));
    const block = decoded.slice(64, 64 + 512).map((i) => (i * 7919) % 2000);
    expect(block).toEqual([...block].sort((a, b) => a - b));
  });

  it('stops once no later candidate can beat the matches held', () => {
    const decoded: number[] = [];
    const matching = new Set(Array.from({ length: 2000 }, (_, i) => i).filter((i) => i % 2 === 0));
    const found = searchTraces(candidatesOf(2000, matching, decoded), query(5));
    expect(found.map((m) => m.traceId)).toEqual([1999, 1997, 1995, 1993, 1991].map((i) => traceIdOf(i)));
    expect(decoded.length).toBeLessThan(20);
  });

  it('answers as a walk over every candidate would when matches are spread through the blocks', () => {
    const matching = new Set(Array.from({ length: 5000 }, (_, i) => i).filter((i) => (i * 31) % 97 === 0));
    const found = searchTraces(candidatesOf(5000, matching, []), query(20));
    const expected = [...matching].sort((a, b) => b - a).slice(0, 20).map((i) => traceIdOf(i + 1));
    expect(found.map((m) => m.traceId)).toEqual(expected);
  });
});
