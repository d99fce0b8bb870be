import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { SpanKind } from '../../shared/model/span.js';
import { MemoryAccessLogStore } from '../../shared/storage/memory/memory-accesslog-store.js';
import { MemorySpanStore } from '../../shared/storage/memory/memory-span-store.js';
import type { SpanReader } from '../../shared/storage/spanstore.js';
import { mergeDependencies, withAccessLogEdges } from '../../services/query/dependencies.js';
import { jaegerApi } from '../../services/query/jaeger/jaeger-api.js';
import { accessLog, BASE_US, destinationTwin } from '../fixtures/access-logs.js';
import { span, spanIdOf, traceIdOf } from '../fixtures/spans.js';

describe('mergeDependencies', () => {
  it('adds edges seen only in access logs to the span links', () => {
    const merged = mergeDependencies(
      [{ parent: 'frontend', child: 'cart', callCount: 7 }],
      [{ parent: 'productpage-v1', child: 'reviews', callCount: 3 }],
    );
    expect(merged).toEqual([
      { parent: 'frontend', child: 'cart', callCount: 7 },
      { parent: 'productpage-v1', child: 'reviews', callCount: 3 },
    ]);
  });

  it('keeps the span count for a pair both sources saw, instead of counting those calls twice', () => {
    const merged = mergeDependencies(
      [{ parent: 'frontend', child: 'cart', callCount: 7 }],
      [
        { parent: 'frontend', child: 'cart', callCount: 9 },
        { parent: 'cart', child: 'frontend', callCount: 2 },
      ],
    );
    expect(merged).toEqual([
      { parent: 'frontend', child: 'cart', callCount: 7 },
      { parent: 'cart', child: 'frontend', callCount: 2 },
    ]);
  });

  it('sums access-log edges repeated for one pair and leaves span links untouched', () => {
    const spanLinks = [
      { parent: 'a', child: 'b', callCount: 1 },
      { parent: 'a', child: 'b', callCount: 2 },
    ];
    const merged = mergeDependencies(spanLinks, [
      { parent: 'x', child: 'y', callCount: 1 },
      { parent: 'x', child: 'y', callCount: 4 },
      { parent: 'a', child: 'b', callCount: 100 },
    ]);
    expect(merged).toEqual([...spanLinks, { parent: 'x', child: 'y', callCount: 5 }]);
  });

  it('returns the span links alone when access logs saw nothing, and the edges alone without spans', () => {
    expect(mergeDependencies([{ parent: 'a', child: 'b', callCount: 1 }], [])).toEqual([{ parent: 'a', child: 'b', callCount: 1 }]);
    expect(mergeDependencies([], [{ parent: 'a', child: 'b', callCount: 2 }])).toEqual([{ parent: 'a', child: 'b', callCount: 2 }]);
  });
});

describe('withAccessLogEdges', () => {
  async function stores() {
    const spans = new MemorySpanStore({ maxSpans: 1000, maxBytes: 1e8 });
    const accessLogs = new MemoryAccessLogStore({ maxRecords: 1000 });
    await spans.writeSpans([
      span({ traceId: traceIdOf(1), spanId: spanIdOf(1), service: 'frontend', kind: SpanKind.CLIENT, startUs: BASE_US }),
      span({ traceId: traceIdOf(1), spanId: spanIdOf(2), parentSpanId: spanIdOf(1), service: 'cart', kind: SpanKind.SERVER, startUs: BASE_US + 1 }),
    ]);
    const call = accessLog({ requestId: 'r-1', startUs: BASE_US });
    // A traced pair too: its span count must win.
    const traced = accessLog({ requestId: 'r-2', startUs: BASE_US, source: { workload: 'frontend' }, destination: { serviceName: 'cart', service: undefined } });
    await accessLogs.writeAccessLogs([call, destinationTwin(call), traced, destinationTwin(traced), accessLog({ requestId: 'r-3', startUs: BASE_US, source: { workload: 'frontend' }, destination: { serviceName: 'cart', service: undefined } })]);
    return { spans, accessLogs };
  }

  it('answers getDependencies from both stores and delegates everything else to the span reader', async () => {
    const { spans, accessLogs } = await stores();
    const reader = withAccessLogEdges(spans, accessLogs);
    const endMs = BASE_US / 1000 + 60_000;
    expect(await reader.getDependencies(endMs, 3600_000)).toEqual([
      { parent: 'frontend', child: 'cart', callCount: 1 },
      { parent: 'productpage-v1', child: 'reviews', callCount: 1 },
    ]);
    expect(await reader.getServices()).toEqual(['cart', 'frontend']);
    expect(await reader.getOperations({ service: 'cart' })).toEqual(await spans.getOperations({ service: 'cart' }));
    expect(await reader.getTrace(traceIdOf(1))).toHaveLength(2);
    expect(await reader.findTraces({ tags: {}, startTimeMinUs: BASE_US - 1, startTimeMaxUs: BASE_US + 10, limit: 5 })).toHaveLength(1);
  });

  it("serves merged edges through the unchanged Jaeger API's /api/dependencies", async () => {
    const { spans, accessLogs } = await stores();
    const reader: SpanReader = withAccessLogEdges(spans, accessLogs);
    const app = Fastify();
    await app.register(jaegerApi, { reader, defaultLimit: 20, maxLimit: 100, nowMs: () => BASE_US / 1000 + 60_000 });
    const res = await app.inject({ method: 'GET', url: '/api/dependencies?lookback=3600000' });
    await app.close();
    expect(res.json<{ data: unknown }>().data).toEqual([
      { parent: 'frontend', child: 'cart', callCount: 1 },
      { parent: 'productpage-v1', child: 'reviews', callCount: 1 },
    ]);
  });
});
