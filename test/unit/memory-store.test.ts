import { describe, expect, it } from 'vitest';
import { SpanKind, type SpanRecord } from '../../shared/model/span.js';
import { MemorySpanStore } from '../../shared/storage/memory/memory-span-store.js';
import { STORED_SPAN_OVERHEAD_BYTES } from '../../shared/storage/memory/span-size.js';
import { compileTraceql } from '../../shared/traceql/compile.js';
import { createMetrics } from '../support/metrics.js';
import { BASE_US, span, spanIdOf, traceIdOf } from '../fixtures/spans.js';

interface ReadableMetric {
  get(): Promise<{ values: readonly { value: number; labels: object }[] }>;
}

async function value(metric: ReadableMetric, labels: Record<string, string> = {}): Promise<number | undefined> {
  const { values } = await metric.get();
  return values.find((v) => Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l))?.value;
}

const traceOf = (n: number, spans: number, startUs = BASE_US) =>
  Array.from({ length: spans }, (_, i) => span({ traceId: traceIdOf(n), startUs: startUs + i }));

/** What the store charges for holding `one` alone. */
async function bytesCharged(one: SpanRecord): Promise<number> {
  const store = new MemorySpanStore({ maxSpans: 10, maxBytes: 1e9 });
  await store.writeSpans([one]);
  return store.stats().bytes;
}

describe('memory span store bounds', () => {
  it('evicts whole traces, oldest written first, once the span bound is crossed, and counts them', async () => {
    const metrics = createMetrics();
    const store = new MemorySpanStore({ maxSpans: 4, maxBytes: 1e9, metrics });
    await store.writeSpans(traceOf(1, 2));
    await store.writeSpans(traceOf(2, 2));
    await store.writeSpans(traceOf(3, 1));

    expect(await store.getTrace(traceIdOf(1))).toEqual([]);
    expect(await store.getTrace(traceIdOf(2))).toHaveLength(2);
    expect(await store.getTrace(traceIdOf(3))).toHaveLength(1);
    expect(store.stats()).toMatchObject({ spans: 3, traces: 2 });
    expect(await value(metrics.storeTracesEvicted)).toBe(1);
    expect(await value(metrics.storeSpansEvicted)).toBe(2);
    expect(await value(metrics.storeSpans)).toBe(3);
    expect(await value(metrics.storeBytes)).toBe(store.stats().bytes);
    expect(await value(metrics.spansWritten, { store: 'memory' })).toBe(5);
  });

  it('orders eviction by arrival, not by span timestamps, and a late span does not refresh its trace', async () => {
    const store = new MemorySpanStore({ maxSpans: 3, maxBytes: 1e9 });
    await store.writeSpans(traceOf(1, 1, BASE_US + 1_000_000)); // newest timestamps, written first
    await store.writeSpans(traceOf(2, 1, BASE_US));
    await store.writeSpans([span({ traceId: traceIdOf(1), startUs: BASE_US + 2_000_000 })]); // late span of trace 1
    await store.writeSpans(traceOf(3, 1));

    expect(await store.getTrace(traceIdOf(1))).toEqual([]);
    expect(await store.getTrace(traceIdOf(2))).toHaveLength(1);
    expect(await store.getTrace(traceIdOf(3))).toHaveLength(1);
  });

  it('evicts to stay within the byte bound', async () => {
    const one = span({ traceId: traceIdOf(1), attrs: { payload: 'x'.repeat(1000) } });
    const bytes = await bytesCharged(one);
    const store = new MemorySpanStore({ maxSpans: 1000, maxBytes: Math.floor(bytes * 2.5) });
    await store.writeSpans([one]);
    await store.writeSpans([span({ traceId: traceIdOf(2), attrs: { payload: 'x'.repeat(1000) } })]);
    expect(store.stats()).toMatchObject({ spans: 2, traces: 2 });
    await store.writeSpans([span({ traceId: traceIdOf(3), attrs: { payload: 'x'.repeat(1000) } })]);
    expect(store.stats()).toMatchObject({ spans: 2, traces: 2 });
    expect(store.stats().bytes).toBeLessThanOrEqual(Math.floor(bytes * 2.5));
    expect(await store.getTrace(traceIdOf(1))).toEqual([]);
  });

  it('charges bigger spans more bytes', async () => {
    expect(await bytesCharged(span({ attrs: { a: 'x'.repeat(5000) } }))).toBeGreaterThan((await bytesCharged(span({ attrs: { a: 'x' } }))) + 4990);
    expect(await bytesCharged(span({ events: [{ name: 'e', attrs: { a: 'x'.repeat(100) } }] }))).toBeGreaterThan(await bytesCharged(span()));
  });

  it('forgets services and operations whose last span was evicted', async () => {
    const store = new MemorySpanStore({ maxSpans: 2, maxBytes: 1e9 });
    await store.writeSpans([span({ traceId: traceIdOf(1), service: 'old', name: 'gone' })]);
    await store.writeSpans([span({ traceId: traceIdOf(2), service: 'new', name: 'kept', kind: SpanKind.CLIENT })]);
    await store.writeSpans([span({ traceId: traceIdOf(3), service: 'new', name: 'kept', kind: SpanKind.CLIENT })]);
    expect(await store.getServices()).toEqual(['new']);
    expect(await store.getOperations({ service: 'old' })).toEqual([]);
    expect(await store.getOperations({ service: 'new' })).toEqual([{ name: 'kept', spanKind: SpanKind.CLIENT }]);
  });

  it('does not grow when the same span is written again (redelivery)', async () => {
    const store = new MemorySpanStore({ maxSpans: 10, maxBytes: 1e9 });
    const first = span({ traceId: traceIdOf(1), spanId: 'aaaaaaaaaaaaaaaa', name: 'v1' });
    await store.writeSpans([first]);
    const before = store.stats();
    await store.writeSpans([{ ...first }]);
    expect(store.stats()).toEqual(before);
    expect(await store.getTrace(traceIdOf(1))).toEqual([first]);
    expect(await store.getOperations({ service: 'frontend' })).toEqual([{ name: 'v1', spanKind: SpanKind.SERVER }]);
  });

  it('keeps a different span that reuses a span id, service and kind beside the first', async () => {
    const store = new MemorySpanStore({ maxSpans: 10, maxBytes: 1e9 });
    const first = span({ traceId: traceIdOf(1), spanId: 'aaaaaaaaaaaaaaaa', name: 'v1' });
    const other = span({ traceId: traceIdOf(1), spanId: 'aaaaaaaaaaaaaaaa', name: 'v2' });
    await store.writeSpans([first]);
    await store.writeSpans([other]);
    await store.writeSpans([other]);
    expect(store.stats().spans).toBe(2);
    expect((await store.getTrace(traceIdOf(1))).map((s) => s.name)).toEqual(['v1', 'v2']);
  });

  it('searches tags in the encoded spans by whole key (no prefixes, any script) and every occurrence', async () => {
    const store = new MemorySpanStore({ maxSpans: 10, maxBytes: 1e9 });
    await store.writeSpans([
      span({ traceId: traceIdOf(1), attrs: { 'http.route': '/cart', 'größe': 'groß' }, events: [{ name: 'e', attrs: { retry: 1 } }] }),
      span({ traceId: traceIdOf(2), attrs: { retry: 2 }, events: [{ name: 'e', attrs: { retry: 3 } }] }),
    ]);
    const find = async (tags: Record<string, string>) =>
      (await store.findTraces({ tags, startTimeMinUs: 0, startTimeMaxUs: Number.MAX_SAFE_INTEGER, limit: 10 })).map((t) => t[0].traceId);
    expect(await find({ http: '/cart' })).toEqual([]);
    expect(await find({ 'http.route': '/car' })).toEqual([]);
    expect(await find({ 'größe': 'groß' })).toEqual([traceIdOf(1)]);
    expect(await find({ retry: '3' })).toEqual([traceIdOf(2)]);
    expect((await find({ retry: '1' })).sort()).toEqual([traceIdOf(1)]);
  });

  it('reads back spans and finds tags in chunks that were compressed', async () => {
    const store = new MemorySpanStore({ maxSpans: 20_000, maxBytes: 1e9 });
    const traces = Array.from({ length: 2000 }, (_, t) =>
      Array.from({ length: 3 }, (_, i) => span({ traceId: traceIdOf(t + 1), spanId: spanIdOf(t * 3 + i + 1), startUs: BASE_US + t, attrs: { 'http.route': `/item/${t}`, 'http.status_code': 200 } })),
    );
    for (const trace of traces) await store.writeSpans(trace);
    await store.compressed();
    expect(await store.getTrace(traceIdOf(1))).toEqual(traces[0]);
    expect(await store.getTrace(traceIdOf(1000))).toEqual(traces[999]);
    expect(store.chunksInflated).toBeGreaterThan(0);
    const found = await store.findTraces({ tags: { 'http.route': '/item/17' }, startTimeMinUs: 0, startTimeMaxUs: Number.MAX_SAFE_INTEGER, limit: 10 });
    expect(found).toEqual([traces[17]]);
  });

  it('charges compressed chunks less than the messages they hold, and frees them with their last span', async () => {
    const store = new MemorySpanStore({ maxSpans: 5000, maxBytes: 1e9 });
    const proto = span({ attrs: { 'http.route': '/cart', 'http.status_code': 200, 'peer.service': 'checkout' } });
    const one = await bytesCharged(proto);
    const batch = (from: number) => Array.from({ length: 5000 }, (_, i) => ({ ...proto, traceId: traceIdOf(from + i) }));
    await store.writeSpans(batch(1));
    await store.compressed();
    const full = store.stats().bytes;
    // Each span's index entry is charged as before; its message only as a share of a compressed chunk.
    const messageBytes = one - STORED_SPAN_OVERHEAD_BYTES;
    expect(full - 5000 * STORED_SPAN_OVERHEAD_BYTES).toBeLessThan(5000 * messageBytes * 0.5);
    // A second batch evicts every span of the first: their chunks go, the bytes do not pile up.
    await store.writeSpans(batch(5001));
    await store.compressed();
    expect(store.stats()).toMatchObject({ spans: 5000, traces: 5000 });
    expect(store.stats().bytes).toBeLessThan(full * 1.2);
  });

  it('orders TraceQL matches by their start to the nanosecond, within one microsecond and across seconds', async () => {
    const store = new MemorySpanStore({ maxSpans: 10, maxBytes: 1e9 });
    const at = (trace: number, nanos: bigint) => ({ ...span({ traceId: traceIdOf(trace) }), startTimeUnixNano: nanos, endTimeUnixNano: nanos + 1000n });
    const second = BigInt(BASE_US) * 1000n;
    await store.writeSpans([at(1, second + 999_999_998n), at(2, second + 999_999_999n), at(3, second + 1_000_000_000n), at(4, second + 5n)]);
    const found = await store.searchTraceql({
      query: compileTraceql('{ }'), startTimeMinUs: 0, startTimeMaxUs: Number.MAX_SAFE_INTEGER, limit: 4, spansPerSpanset: 1,
    });
    expect(found.map((m) => m.traceId)).toEqual([traceIdOf(3), traceIdOf(2), traceIdOf(1), traceIdOf(4)]);
    expect(found[0].matched[0].startTimeUnixNano).toBe(second + 1_000_000_000n);
  });

  it('refuses bounds that are not positive integers', () => {
    expect(() => new MemorySpanStore({ maxSpans: 0, maxBytes: 10 })).toThrow(/maxSpans/);
    expect(() => new MemorySpanStore({ maxSpans: 10, maxBytes: 1.5 })).toThrow(/maxBytes/);
  });

  it('stays at its bound through 100k one-span writes into a full store, keeping the newest traces', async () => {
    const store = new MemorySpanStore({ maxSpans: 20_000, maxBytes: 1e9 });
    const proto = span({ attrs: { 'http.status_code': 200 } });
    const spans = Array.from({ length: 100_000 }, (_, i) => ({ ...proto, traceId: traceIdOf(i + 1) }));
    for (const s of spans) await store.writeSpans([s]);
    expect(store.stats()).toMatchObject({ spans: 20_000, traces: 20_000 });
    expect(await store.getTrace(traceIdOf(80_001))).toHaveLength(1);
    expect(await store.getTrace(traceIdOf(80_000))).toEqual([]);
  });
});
