import { describe, expect, it } from 'vitest';
import { MetricsRegistry, OVERFLOW_LABELS } from '../../shared/metrics/registry.js';
import { sanitizeLabelName } from '../../shared/metrics/spanmetrics/dimensions.js';
import { DEFAULT_SPANMETRICS_BUCKETS_SECONDS, SpanMetricsDeriver } from '../../shared/metrics/spanmetrics/span-metrics-deriver.js';
import { encodeSpanMessageBody } from '../../shared/otlp/traces/traces-protobuf-encode.js';
import { SpanKind, StatusCode } from '../../shared/model/span.js';
import { DURATION_US, GATEWAY, PRODUCTPAGE, RATINGS, REVIEWS, bookinfoTrace } from '../fixtures/mesh-traces.js';
import { span } from '../fixtures/spans.js';
import { counterSeriesOf, histogramSeriesOf } from '../support/derived-metrics.js';

const counters = counterSeriesOf;
const histograms = histogramSeriesOf;

describe('span metrics', () => {
  it('counts calls per service, span name, kind and status with Tempo label values', () => {
    const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
    const deriver = new SpanMetricsDeriver(registry);
    deriver.observeSpans(bookinfoTrace({ appSpans: false, ratingsFails: true }).spans);
    deriver.observeSpans(bookinfoTrace({ appSpans: false }).spans);
    const calls = counters(registry, 'traces_spanmetrics_calls_total')
      .map((s) => `${s.labels['service']}|${s.labels['span_name']}|${s.labels['span_kind']}|${s.labels['status_code']}=${s.value}`)
      .sort();
    expect(calls).toEqual([
      `${GATEWAY}|bookinfo.example.com:80/productpage|SPAN_KIND_SERVER|STATUS_CODE_UNSET=2`,
      `${GATEWAY}|productpage.default.svc.cluster.local:9080/productpage|SPAN_KIND_CLIENT|STATUS_CODE_UNSET=2`,
      `${PRODUCTPAGE}|productpage.default.svc.cluster.local:9080/productpage|SPAN_KIND_SERVER|STATUS_CODE_UNSET=2`,
      `${PRODUCTPAGE}|reviews.default.svc.cluster.local:9080/*|SPAN_KIND_CLIENT|STATUS_CODE_UNSET=2`,
      `${RATINGS}|ratings.default.svc.cluster.local:9080/*|SPAN_KIND_SERVER|STATUS_CODE_ERROR=1`,
      `${RATINGS}|ratings.default.svc.cluster.local:9080/*|SPAN_KIND_SERVER|STATUS_CODE_UNSET=1`,
      `${REVIEWS}|ratings.default.svc.cluster.local:9080/*|SPAN_KIND_CLIENT|STATUS_CODE_ERROR=1`,
      `${REVIEWS}|ratings.default.svc.cluster.local:9080/*|SPAN_KIND_CLIENT|STATUS_CODE_UNSET=1`,
      `${REVIEWS}|reviews.default.svc.cluster.local:9080/*|SPAN_KIND_SERVER|STATUS_CODE_UNSET=2`,
    ]);
  });

  it('labels every kind and status by its OTLP enum name', () => {
    const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
    const deriver = new SpanMetricsDeriver(registry);
    deriver.observeSpans([
      span({ kind: SpanKind.INTERNAL, status: { code: StatusCode.OK } }),
      span({ kind: SpanKind.PRODUCER }), span({ kind: SpanKind.CONSUMER }), span({ kind: SpanKind.UNSPECIFIED }),
    ]);
    const kinds = counters(registry, 'traces_spanmetrics_calls_total').map((s) => `${s.labels['span_kind']}/${s.labels['status_code']}`);
    expect(kinds).toEqual([
      'SPAN_KIND_INTERNAL/STATUS_CODE_OK', 'SPAN_KIND_PRODUCER/STATUS_CODE_UNSET',
      'SPAN_KIND_CONSUMER/STATUS_CODE_UNSET', 'SPAN_KIND_UNSPECIFIED/STATUS_CODE_UNSET',
    ]);
  });

  it('observes latency in seconds into Tempo default buckets', () => {
    const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
    const deriver = new SpanMetricsDeriver(registry);
    for (const us of [1_000, 3_000, 5_000, 20_000_000]) deriver.observeSpans([span({ service: 's', name: 'op', durationUs: us })]);
    const [h] = histograms(registry, 'traces_spanmetrics_latency');
    expect(h?.bounds).toEqual(DEFAULT_SPANMETRICS_BUCKETS_SECONDS);
    expect(h?.bounds[0]).toBe(0.002);
    expect(h?.bounds[13]).toBeCloseTo(16.384, 9);
    expect(h?.count).toBe(4);
    expect(h?.sum).toBeCloseTo(20.009, 9);
    // ≤2 ms: 1; ≤4 ms: 2; ≤8 ms: 3; 20 s only in +Inf.
    expect(h?.bucketCounts.slice(0, 3)).toEqual([1, 2, 3]);
    expect(h?.bucketCounts[13]).toBe(3);
  });

  it('takes custom buckets and adds each span\'s OTLP-encoded size', () => {
    const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
    const deriver = new SpanMetricsDeriver(registry, { latencyBucketsSeconds: [0.01, 0.1] });
    const t = bookinfoTrace({ appSpans: false });
    deriver.observeSpans([t.ratingsServer, t.ratingsServer]);
    const [h] = histograms(registry, 'traces_spanmetrics_latency');
    expect(h?.bounds).toEqual([0.01, 0.1]);
    expect(h?.sum).toBeCloseTo(2 * DURATION_US.ratingsServer / 1e6, 9);
    expect(h?.bucketCounts).toEqual([2, 2]);
    const [size] = counters(registry, 'traces_spanmetrics_size_total');
    expect(size?.value).toBe(2 * encodeSpanMessageBody(t.ratingsServer).byteLength);
    expect(size?.value).toBeGreaterThan(2 * 400); // Envoy's tags make a proxy span some hundred bytes
  });

  it('sizes a span as its OTLP Span message, attributes included', () => {
    const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
    const deriver = new SpanMetricsDeriver(registry);
    deriver.observeSpans([span({ name: 'op', attrs: {} }), span({ name: 'up', attrs: { 'http.method': 'GET' } })]);
    const size = (name: string) => counters(registry, 'traces_spanmetrics_size_total').find((x) => x.labels['span_name'] === name)?.value;
    // trace_id 1+1+16, span_id 1+1+8, name 1+1+2, kind 1+1, start and end 1+8 each.
    expect(size('op')).toBe(18 + 10 + 4 + 2 + 18);
    // + KeyValue{key "http.method" 1+1+11, value AnyValue{string "GET" 1+1+3} 1+1+5} framed 1+1+20.
    expect(size('up')).toBe(52 + 22);
  });

  it('adds configured dimensions from span or resource attributes as sanitized labels', () => {
    const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
    const deriver = new SpanMetricsDeriver(registry, { dimensions: ['http.method', 'k8s.namespace.name', 'missing.key'] });
    deriver.observeSpans([span({ service: 'cart', name: 'GET /cart', attrs: { 'http.method': 'GET' }, resourceAttrs: { 'k8s.namespace.name': 'shop' } })]);
    expect(counters(registry, 'traces_spanmetrics_calls_total')[0]?.labels).toStrictEqual({
      service: 'cart', span_name: 'GET /cart', span_kind: 'SPAN_KIND_SERVER', status_code: 'STATUS_CODE_UNSET',
      http_method: 'GET', k8s_namespace_name: 'shop',
    });
  });

  it('sanitizes label names the way Prometheus needs and refuses colliding dimensions', () => {
    expect(sanitizeLabelName('http.status-code')).toBe('http_status_code');
    expect(sanitizeLabelName('9lives')).toBe('key_9lives');
    expect(sanitizeLabelName('__name')).toBe('key___name');
    const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
    expect(() => new SpanMetricsDeriver(registry, { dimensions: ['a.b', 'a-b'] })).toThrow(/already used/);
    expect(() => new SpanMetricsDeriver(registry, { dimensions: ['service'] })).toThrow(/already used/);
  });

  it('folds span names beyond the series limit into the overflow series', () => {
    const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
    const deriver = new SpanMetricsDeriver(registry, { maxSeries: 3 });
    for (let i = 0; i < 10; i++) deriver.observeSpans([span({ service: 's', name: `GET /item/${i}` })]);
    const calls = counters(registry, 'traces_spanmetrics_calls_total');
    expect(calls).toHaveLength(4);
    expect(calls[3]).toEqual({ labels: OVERFLOW_LABELS, value: 7 });
    expect(histograms(registry, 'traces_spanmetrics_latency')[3]?.count).toBe(7);
  });
});

