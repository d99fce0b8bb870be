import { describe, expect, it } from 'vitest';
import { MetricsRegistry, OVERFLOW_LABELS, type CounterSeries, type HistogramSeries, type Labels } from '../../shared/metrics/registry.js';
import { ServiceGraphDeriver, type ServiceGraphOptions } from '../../shared/metrics/servicegraph/service-graph-deriver.js';
import { SpanKind, StatusCode, type SpanRecord } from '../../shared/model/span.js';
import { decodeZipkinJson } from '../../shared/zipkin/json-decode.js';
import { zipkinToSpanRecords } from '../../shared/zipkin/to-spans.js';
import {
  DURATION_US, GATEWAY, PRODUCTPAGE, RATINGS, REVIEWS, bookinfoTrace, databaseCall, externalCall, type BookinfoTrace,
} from '../fixtures/mesh-traces.js';
import { span, spanIdOf, traceIdOf } from '../fixtures/spans.js';
import { sharedContextHop, istioHop } from '../fixtures/zipkin.js';

const WAIT_MS = 10_000;

class Clock {
  ms = 1_000_000;
  now = (): number => this.ms;
  advance(ms: number): void { this.ms += ms; }
}

function setup(options: Omit<ServiceGraphOptions, 'now'> = {}, defaultMaxSeries = 1000) {
  const registry = new MetricsRegistry({ defaultMaxSeries });
  const clock = new Clock();
  const deriver = new ServiceGraphDeriver(registry, { waitMs: WAIT_MS, ...options, now: clock.now });
  /** Past every span's wait, then expire. */
  const settle = () => { clock.advance(WAIT_MS); deriver.expire(); };
  return { registry, clock, deriver, settle };
}

function counters(registry: MetricsRegistry, name: string): CounterSeries[] {
  const f = registry.snapshot().families.find((x) => x.name === name);
  if (!f) return [];
  if (f.type === 'histogram' || f.type === 'summary') throw new Error(`${name} is a ${f.type}`);
  return [...f.series];
}

function histograms(registry: MetricsRegistry, name: string): HistogramSeries[] {
  const f = registry.snapshot().families.find((x) => x.name === name);
  if (!f) return [];
  if (f.type !== 'histogram') throw new Error(`${name} is a ${f.type}`);
  return [...f.series];
}

/** Edges as `client->server[connection_type]=count`, sorted, for readable exact comparisons. */
function edges(registry: MetricsRegistry, name = 'traces_service_graph_request_total'): string[] {
  return counters(registry, name)
    .map((s) => `${s.labels['client'] ?? ''}->${s.labels['server'] ?? ''}[${s.labels['connection_type'] ?? ''}]=${s.value}`)
    .sort();
}

function histogramOf(registry: MetricsRegistry, name: string, labels: Labels): HistogramSeries | undefined {
  return histograms(registry, name).find((s) => JSON.stringify(s.labels) === JSON.stringify(labels));
}

const BOOKINFO_EDGES = (n: number) => [
  `${GATEWAY}->${PRODUCTPAGE}[]=${n}`,
  `${PRODUCTPAGE}->${REVIEWS}[]=${n}`,
  `${REVIEWS}->${RATINGS}[]=${n}`,
  `user->${GATEWAY}[virtual_node]=${n}`,
];

function permutations(t: BookinfoTrace): Record<string, SpanRecord[]> {
  const s = [...t.spans];
  return {
    innermostFirst: s,
    outermostFirst: [...s].reverse(),
    serversFirst: [...s.filter((x) => x.kind === SpanKind.SERVER), ...s.filter((x) => x.kind !== SpanKind.SERVER)],
    clientsFirst: [...s.filter((x) => x.kind === SpanKind.CLIENT), ...s.filter((x) => x.kind !== SpanKind.CLIENT)],
    interleaved: [t.reviewsServer, t.gatewayClient, t.ratingsServer, t.productpageServer, t.reviewsToRatings,
      t.gatewayServer, t.productpageToReviews, ...(t.productpageApp ? [t.productpageApp] : [])],
  };
}

describe('service graph from Istio bookinfo traces', () => {
  it('draws user → gateway → productpage → reviews → ratings, one request each, from separate-id spans', () => {
    const { registry, deriver, settle } = setup();
    deriver.observeSpans(bookinfoTrace().spans);
    settle();
    expect(edges(registry)).toEqual(BOOKINFO_EDGES(1));
    expect(counters(registry, 'traces_service_graph_unpaired_spans_total')).toEqual([]);
    expect(counters(registry, 'traces_service_graph_request_failed_total')).toEqual([]);
    expect(deriver.pendingCount).toBe(0);
  });

  for (const [ids, appSpans] of [['separate', true], ['separate', false], ['shared', true], ['shared', false]] as const) {
    for (const [order, spans] of Object.entries(permutations(bookinfoTrace({ ids, appSpans })))) {
      it(`pairs ${ids}-id spans (app spans: ${appSpans}) arriving one batch at a time, ${order}, into the same chain`, () => {
        const { registry, clock, deriver, settle } = setup();
        for (const s of spans) { deriver.observeSpans([s]); clock.advance(300); deriver.expire(); }
        settle();
        expect(edges(registry)).toEqual(BOOKINFO_EDGES(1));
        expect(counters(registry, 'traces_service_graph_unpaired_spans_total')).toEqual([]);
        expect(deriver.pendingCount).toBe(0);
      });
    }
  }

  it('keeps a shared-id server away from the previous hop\'s client until its own twin arrives', () => {
    const { registry, clock, deriver, settle } = setup();
    const t = bookinfoTrace({ ids: 'shared', appSpans: false });
    // reviews' SERVER span has the gateway's CLIENT span id as parent (the shared-id shape);
    // pairing by parent, as Tempo does, would draw gateway → reviews here.
    expect(t.reviewsServer.parentSpanId).toBe(t.gatewayClient.spanId);
    deriver.observeSpans([t.reviewsServer, t.gatewayClient]);
    clock.advance(WAIT_MS / 2);
    deriver.expire();
    expect(edges(registry)).toEqual([]);
    deriver.observeSpans([t.productpageToReviews, t.productpageServer, t.reviewsToRatings, t.ratingsServer, t.gatewayServer]);
    settle();
    expect(edges(registry)).toEqual(BOOKINFO_EDGES(1));
  });

  it('sums 100 requests per edge with the client and server latencies of the right spans', () => {
    const { registry, deriver, settle } = setup();
    for (let i = 1; i <= 100; i++) deriver.observeSpans(bookinfoTrace({ trace: i, ids: i % 2 === 0 ? 'shared' : 'separate' }).spans);
    settle();
    expect(edges(registry)).toEqual(BOOKINFO_EDGES(100));
    const labels = { client: PRODUCTPAGE, server: REVIEWS };
    const client = histogramOf(registry, 'traces_service_graph_request_client_seconds', labels);
    const server = histogramOf(registry, 'traces_service_graph_request_server_seconds', labels);
    expect(client?.count).toBe(100);
    expect(client?.sum).toBeCloseTo(100 * DURATION_US.productpageToReviews / 1e6, 9);
    expect(server?.count).toBe(100);
    expect(server?.sum).toBeCloseTo(100 * DURATION_US.reviewsServer / 1e6, 9);
    // 0.02 s and 0.019 s both fall in Tempo's first bucket (0.1 s).
    expect(client?.bounds).toEqual([0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8]);
    expect(client?.bucketCounts[0]).toBe(100);
    // user → gateway: measured by the gateway's root SERVER span only.
    const user = { client: 'user', server: GATEWAY, connection_type: 'virtual_node' };
    expect(histogramOf(registry, 'traces_service_graph_request_server_seconds', user)?.sum).toBeCloseTo(100 * DURATION_US.gatewayServer / 1e6, 9);
    expect(histogramOf(registry, 'traces_service_graph_request_client_seconds', user)).toBeUndefined();
  });

  it('never emits a client→client pair or a self-loop', () => {
    const { registry, deriver, settle } = setup();
    for (let i = 1; i <= 10; i++) deriver.observeSpans(bookinfoTrace({ trace: i, ids: i % 2 === 0 ? 'shared' : 'separate' }).spans);
    // A same-service client → server pair (a service calling itself through its sidecar).
    const c = span({ traceId: traceIdOf(99), service: REVIEWS, kind: SpanKind.CLIENT });
    deriver.observeSpans([c, span({ traceId: traceIdOf(99), service: REVIEWS, kind: SpanKind.SERVER, parentSpanId: c.spanId })]);
    settle();
    for (const s of counters(registry, 'traces_service_graph_request_total')) {
      expect(s.labels['client']).not.toBe(s.labels['server']);
      expect([`${GATEWAY}>${REVIEWS}`, `${GATEWAY}>${RATINGS}`, `${PRODUCTPAGE}>${RATINGS}`]).not.toContain(`${s.labels['client']}>${s.labels['server']}`);
    }
    expect(edges(registry)).toEqual(BOOKINFO_EDGES(10));
    expect(counters(registry, 'traces_service_graph_unpaired_spans_total')).toEqual([]);
  });

  it('counts a failed hop on that edge only', () => {
    const { registry, deriver, settle } = setup();
    deriver.observeSpans(bookinfoTrace({ trace: 1, ratingsFails: true }).spans);
    deriver.observeSpans(bookinfoTrace({ trace: 2 }).spans);
    settle();
    expect(edges(registry, 'traces_service_graph_request_failed_total')).toEqual([`${REVIEWS}->${RATINGS}[]=1`]);
    expect(edges(registry)).toEqual(BOOKINFO_EDGES(2));
  });

  it('counts a request as failed when only the server half has status ERROR', () => {
    const { registry, deriver, settle } = setup();
    const c = span({ service: 'a', kind: SpanKind.CLIENT });
    deriver.observeSpans([c, span({ service: 'b', kind: SpanKind.SERVER, parentSpanId: c.spanId, status: { code: StatusCode.ERROR } })]);
    settle();
    expect(edges(registry, 'traces_service_graph_request_failed_total')).toEqual(['a->b[]=1']);
  });
});

describe('service graph waiting window', () => {
  it('pairs a server span that arrives before its client within the window', () => {
    const { registry, clock, deriver, settle } = setup();
    const c = span({ traceId: traceIdOf(7), service: 'frontend', kind: SpanKind.CLIENT });
    const s = span({ traceId: traceIdOf(7), service: 'cart', kind: SpanKind.SERVER, parentSpanId: c.spanId });
    deriver.observeSpans([s]);
    clock.advance(WAIT_MS - 1);
    deriver.expire();
    deriver.observeSpans([c]);
    settle();
    expect(edges(registry)).toEqual(['frontend->cart[]=1']);
    expect(counters(registry, 'traces_service_graph_unpaired_spans_total')).toEqual([]);
  });

  it('emits a by-parent pair of differently named spans only once the window is over, so a later shared twin still wins', () => {
    const { registry, clock, deriver } = setup();
    const c = span({ service: 'frontend', kind: SpanKind.CLIENT, name: 'HTTP GET' });
    deriver.observeSpans([c, span({ service: 'cart', kind: SpanKind.SERVER, parentSpanId: c.spanId, name: 'GET /cart' })]);
    clock.advance(WAIT_MS - 1);
    deriver.expire();
    expect(edges(registry)).toEqual([]);
    clock.advance(1);
    deriver.expire();
    expect(edges(registry)).toEqual(['frontend->cart[]=1']);
  });

  it('pairs a by-parent pair at once once its services have paired after a full wait', () => {
    const { registry, clock, deriver } = setup();
    for (let i = 0; i < 2; i++) {
      const c = span({ service: 'frontend', kind: SpanKind.CLIENT, name: 'HTTP GET' });
      deriver.observeSpans([c, span({ service: 'cart', kind: SpanKind.SERVER, parentSpanId: c.spanId, name: 'GET /cart' })]);
      clock.advance(WAIT_MS);
      if (i === 0) deriver.expire();
    }
    expect(edges(registry)).toEqual(['frontend->cart[]=2']);
    expect(deriver.pendingCount).toBe(0);
  });

  it('pairs an Envoy hop (same route name on both proxies) at once and lets it go', () => {
    const { registry, deriver } = setup();
    const t = bookinfoTrace();
    deriver.observeSpans([t.productpageToReviews, t.reviewsServer]);
    expect(edges(registry)).toEqual([`${PRODUCTPAGE}->${REVIEWS}[]=1`]);
    expect(deriver.pendingCount).toBe(0);
  });

  it('emits a by-parent pair at once when shared span ids are off', () => {
    const { registry, deriver } = setup({ sharedSpanIds: false });
    const c = span({ service: 'frontend', kind: SpanKind.CLIENT, name: 'HTTP GET' });
    deriver.observeSpans([span({ service: 'cart', kind: SpanKind.SERVER, parentSpanId: c.spanId, name: 'GET /cart' })]);
    deriver.observeSpans([c]);
    expect(edges(registry)).toEqual(['frontend->cart[]=1']);
    expect(deriver.pendingCount).toBe(0);
  });

  it('counts halves that never meet as unpaired, only after the wait', () => {
    const { registry, clock, deriver } = setup();
    deriver.observeSpans([
      span({ service: 'frontend', kind: SpanKind.CLIENT }),
      span({ service: 'cart', kind: SpanKind.SERVER, parentSpanId: spanIdOf(0xdead) }),
    ]);
    clock.advance(WAIT_MS - 1);
    deriver.expire();
    expect(counters(registry, 'traces_service_graph_unpaired_spans_total')).toEqual([]);
    clock.advance(1);
    deriver.expire();
    expect(counters(registry, 'traces_service_graph_unpaired_spans_total')).toEqual([
      { labels: { client: 'frontend' }, value: 1 },
      { labels: { server: 'cart' }, value: 1 },
    ]);
    expect(edges(registry)).toEqual([]);
    expect(deriver.pendingCount).toBe(0);
  });

  it('leaves a client whose server arrives after the window unpaired, and the late server too', () => {
    const { registry, clock, deriver, settle } = setup();
    const c = span({ service: 'frontend', kind: SpanKind.CLIENT });
    deriver.observeSpans([c]);
    clock.advance(WAIT_MS);
    deriver.expire();
    deriver.observeSpans([span({ service: 'cart', kind: SpanKind.SERVER, parentSpanId: c.spanId })]);
    settle();
    expect(edges(registry)).toEqual([]);
    expect(counters(registry, 'traces_service_graph_unpaired_spans_total').map((s) => s.value)).toEqual([1, 1]);
  });

  it('treats an app SERVER span under its own sidecar span as no edge and not unpaired, in either order', () => {
    const { registry, clock, deriver, settle } = setup();
    const t = bookinfoTrace();
    deriver.observeSpans([t.productpageApp!]);
    clock.advance(5_000);
    deriver.expire();
    deriver.observeSpans(t.spans.filter((s) => s !== t.productpageApp));
    settle();
    expect(edges(registry)).toEqual(BOOKINFO_EDGES(1));
    expect(counters(registry, 'traces_service_graph_unpaired_spans_total')).toEqual([]);
  });
});

describe('service graph memory', () => {
  it('still knows a paired sidecar SERVER span when its app SERVER child arrives seconds later', () => {
    const { registry, clock, deriver, settle } = setup();
    const t = bookinfoTrace();
    deriver.observeSpans(t.spans.filter((s) => s !== t.productpageApp));
    clock.advance(WAIT_MS - 100);
    deriver.expire();
    deriver.observeSpans([t.productpageApp!]);
    settle();
    expect(edges(registry)).toEqual(BOOKINFO_EDGES(1));
    expect(counters(registry, 'traces_service_graph_unpaired_spans_total')).toEqual([]);
  });

  it('holds only the spans still waiting under a steady stream: paired hops leave at once', () => {
    const { registry, clock, deriver, settle } = setup();
    let peak = 0;
    for (let i = 1; i <= 2000; i++) {
      deriver.observeSpans(bookinfoTrace({ trace: i, ids: i % 3 === 0 ? 'shared' : 'separate' }).spans);
      clock.advance(100);
      deriver.expire();
      peak = Math.max(peak, deriver.pendingCount);
    }
    settle();
    expect(edges(registry)).toEqual(BOOKINFO_EDGES(2000));
    // Only the gateway's root SERVER spans wait out the window (one per 100 ms for 10 s).
    expect(peak).toBeLessThanOrEqual(WAIT_MS / 100 + 1);
    expect(deriver.pendingCount).toBe(0);
  });
});

describe('service graph virtual nodes', () => {
  it('draws an edge to the peer a client span names once its wait is over', () => {
    const { registry, clock, deriver } = setup();
    deriver.observeSpans([externalCall({ attrs: { 'peer.service': 'payments-api' } })]);
    expect(edges(registry)).toEqual([]);
    clock.advance(WAIT_MS);
    deriver.expire();
    expect(edges(registry)).toEqual([`${PRODUCTPAGE}->payments-api[virtual_node]=1`]);
    const labels = { client: PRODUCTPAGE, server: 'payments-api', connection_type: 'virtual_node' };
    expect(histogramOf(registry, 'traces_service_graph_request_client_seconds', labels)?.sum).toBeCloseTo(0.04, 9);
    expect(histogramOf(registry, 'traces_service_graph_request_server_seconds', labels)).toBeUndefined();
  });

  it('prefers peer.service over server.address and uses configured attributes', () => {
    const { registry, deriver, settle } = setup();
    deriver.observeSpans([externalCall({ attrs: { 'server.address': 'api.example.com', 'peer.service': 'payments' } })]);
    deriver.observeSpans([externalCall({ attrs: { 'server.address': 'api.example.com' } })]);
    settle();
    expect(edges(registry)).toEqual([`${PRODUCTPAGE}->api.example.com[virtual_node]=1`, `${PRODUCTPAGE}->payments[virtual_node]=1`]);

    const custom = setup({ virtualNodeAttributes: ['upstream_cluster'] });
    custom.deriver.observeSpans([externalCall({ attrs: { 'peer.service': 'ignored' } })]);
    custom.settle();
    expect(edges(custom.registry)).toEqual([`${PRODUCTPAGE}->PassthroughCluster[virtual_node]=1`]);
  });

  it('draws a database edge at once from the client span alone, failed included', () => {
    const { registry, deriver } = setup();
    deriver.observeSpans([databaseCall(), databaseCall({ failed: true }), databaseCall({ attrs: { 'db.system': 'redis' } })]);
    expect(edges(registry)).toEqual([
      `${RATINGS}->mongodb.default.svc.cluster.local[database]=2`,
      `${RATINGS}->redis[database]=1`,
    ]);
    expect(edges(registry, 'traces_service_graph_request_failed_total')).toEqual([`${RATINGS}->mongodb.default.svc.cluster.local[database]=1`]);
    const labels = { client: RATINGS, server: 'mongodb.default.svc.cluster.local', connection_type: 'database' };
    expect(histogramOf(registry, 'traces_service_graph_request_server_seconds', labels)?.count).toBe(2);
    expect(histogramOf(registry, 'traces_service_graph_request_client_seconds', labels)?.sum).toBeCloseTo(0.004, 9);
    expect(deriver.pendingCount).toBe(0);
  });

  it('pairs producer and consumer spans as a messaging_system edge', () => {
    const { registry, deriver, settle } = setup();
    const p = span({ service: 'orders', kind: SpanKind.PRODUCER });
    deriver.observeSpans([p, span({ service: 'billing', kind: SpanKind.CONSUMER, parentSpanId: p.spanId })]);
    settle();
    expect(edges(registry)).toEqual(['orders->billing[messaging_system]=1']);
  });
});

describe('service graph with Envoy Zipkin spans through the real decoder', () => {
  it('gives productpage → reviews for Istio separate ids and for Envoy shared ids alike', () => {
    for (const hop of [istioHop(), sharedContextHop()]) {
      const { registry, deriver, settle } = setup();
      const spans = zipkinToSpanRecords(decodeZipkinJson(JSON.stringify(hop)));
      for (const s of [...spans].reverse()) deriver.observeSpans([s]);
      settle();
      expect(edges(registry)).toEqual(['productpage.default->reviews.default[]=1', 'user->productpage.default[virtual_node]=1']);
    }
  });
});

describe('service graph bounds', () => {
  it('drops spans beyond maxItems and counts them per service', () => {
    const { registry, deriver } = setup({ maxItems: 3 });
    for (let i = 0; i < 5; i++) deriver.observeSpans([span({ service: 'cart', kind: SpanKind.SERVER, parentSpanId: spanIdOf(0x500 + i) })]);
    deriver.observeSpans([span({ service: 'web', kind: SpanKind.CLIENT })]);
    expect(deriver.pendingCount).toBe(3);
    expect(counters(registry, 'traces_service_graph_dropped_spans_total')).toEqual([
      { labels: { server: 'cart' }, value: 2 },
      { labels: { client: 'web' }, value: 1 },
    ]);
  });

  it('folds edges beyond the series limit into the overflow series', () => {
    const { registry, deriver } = setup({ maxSeries: 2 });
    deriver.observeSpans(['a', 'b', 'c', 'd'].map((db) => databaseCall({ attrs: { 'db.system': db } })));
    expect(counters(registry, 'traces_service_graph_request_total')).toEqual([
      { labels: { client: RATINGS, server: 'a', connection_type: 'database' }, value: 1 },
      { labels: { client: RATINGS, server: 'b', connection_type: 'database' }, value: 1 },
      { labels: OVERFLOW_LABELS, value: 2 },
    ]);
  });

  it('keeps traces apart when their span ids repeat: each server pairs with the client of its own trace', () => {
    const { registry, deriver, settle } = setup();
    const callId = spanIdOf(0x77);
    const rootId = spanIdOf(0x78);
    const hop = (trace: number, from: string, to: string) => [
      span({ traceId: traceIdOf(trace), spanId: rootId, service: from, kind: SpanKind.SERVER, name: 'GET /' }),
      span({ traceId: traceIdOf(trace), spanId: callId, parentSpanId: rootId, service: from, kind: SpanKind.CLIENT, name: 'GET /x' }),
      span({ traceId: traceIdOf(trace), parentSpanId: callId, service: to, kind: SpanKind.SERVER, name: 'GET /x' }),
    ];
    const [rootA, clientA, serverA] = hop(0xa1, 'web', 'cart');
    const [rootB, clientB, serverB] = hop(0xb2, 'shop', 'stock');
    // Both clients wait under the same span id; each server arrives after both.
    deriver.observeSpans([rootA!, rootB!, clientA!, clientB!]);
    deriver.observeSpans([serverB!, serverA!]);
    expect(edges(registry)).toEqual(['shop->stock[]=1', 'web->cart[]=1']);
    settle();
    expect(edges(registry)).toEqual(['shop->stock[]=1', 'user->shop[virtual_node]=1', 'user->web[virtual_node]=1', 'web->cart[]=1']);
    expect(counters(registry, 'traces_service_graph_unpaired_spans_total')).toEqual([]);
    expect(deriver.pendingCount).toBe(0);
  });

  it('adds configured dimensions as sanitized labels, from the client half first', () => {
    const { registry, deriver, settle } = setup({ dimensions: ['http.method', 'istio.namespace'] });
    deriver.observeSpans(bookinfoTrace().spans);
    settle();
    const s = counters(registry, 'traces_service_graph_request_total').find((x) => x.labels['server'] === REVIEWS);
    expect(s?.labels).toStrictEqual({ client: PRODUCTPAGE, server: REVIEWS, http_method: 'GET', istio_namespace: 'default' });
  });
});
