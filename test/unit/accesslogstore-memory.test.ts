import { describe, expect, it } from 'vitest';
import { MemoryAccessLogStore } from '../../shared/storage/memory/memory-accesslog-store.js';
import { createMetrics } from '../support/metrics.js';
import { accessLog, BASE_US } from '../fixtures/access-logs.js';
import { describeAccessLogStoreContract } from '../support/accesslogstore-contract.js';

describeAccessLogStoreContract('memory', async () => new MemoryAccessLogStore({ maxRecords: 10_000, maxBytes: 64 * 1024 * 1024 }));

describe('memory access-log store bounds', () => {
  const everything = { startTimeMinUs: 0, startTimeMaxUs: Number.MAX_SAFE_INTEGER, limit: 100, offset: 0 };

  it('evicts the records written longest ago when over maxRecords, whatever their timestamps', async () => {
    const metrics = createMetrics();
    const store = new MemoryAccessLogStore({ maxRecords: 3, metrics });
    const late = accessLog({ startUs: BASE_US + 1000 });
    const early = [1, 2, 3].map((i) => accessLog({ startUs: BASE_US - i }));
    await store.writeAccessLogs([late]);
    await store.writeAccessLogs(early);
    const page = await store.findAccessLogs(everything);
    expect(page.records.map((r) => r.id)).toEqual(early.map((r) => r.id));
    expect((await metrics.storeAccessLogsEvicted.get()).values[0]?.value).toBe(1);
    expect((await metrics.storeAccessLogs.get()).values[0]?.value).toBe(3);
  });

  it('keeps a rewritten record in its place and counts it once against the bound', async () => {
    const store = new MemoryAccessLogStore({ maxRecords: 2 });
    const a = accessLog();
    const b = accessLog();
    await store.writeAccessLogs([a, b]);
    await store.writeAccessLogs([a, a, b]);
    expect(store.size).toBe(2);
    await store.writeAccessLogs([accessLog()]);
    const ids = (await store.findAccessLogs(everything)).records.map((r) => r.id);
    expect(ids).not.toContain(a.id);
    expect(ids).toContain(b.id);
  });

  it('evicts to stay within maxBytes', async () => {
    const store = new MemoryAccessLogStore({ maxRecords: 1000, maxBytes: 20_000 });
    const big = (n: number) => accessLog({ path: `/${'x'.repeat(4000)}/${n}` });
    for (let i = 0; i < 10; i++) await store.writeAccessLogs([big(i)]);
    expect(store.size).toBeGreaterThan(0);
    expect(store.size).toBeLessThan(4);
  });

  it('refuses bounds that are not positive integers', () => {
    expect(() => new MemoryAccessLogStore({ maxRecords: 0 })).toThrow(/maxRecords/);
    expect(() => new MemoryAccessLogStore({ maxRecords: 1, maxBytes: 1.5 })).toThrow(/maxBytes/);
  });
});
