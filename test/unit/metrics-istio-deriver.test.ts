import { describe, expect, it } from 'vitest';
import { parseIstioTextLine } from '../../shared/accesslog/istio-text.js';
import { AlsStreamDecoder } from '../../shared/envoy/als-stream.js';
import { IstioMetricsDeriver } from '../../shared/metrics/istio/istio-metrics-deriver.js';
import { ISTIO_DEFAULT_BUCKETS, ISTIO_REQUEST_LABEL_NAMES } from '../../shared/metrics/istio/istio-metric-names.js';
import {
  MetricsRegistry, OVERFLOW_LABELS, type CounterSeries, type HistogramSeries, type Labels,
} from '../../shared/metrics/registry.js';
import type { AccessLogRecord } from '../../shared/model/access-log.js';
import { accessLog, destinationTwin } from '../fixtures/access-logs.js';
import {
  apiServerTcpStream, encodeAlsMessage, postgresTcpStream, productpageOutboundStream, reviewsInboundStream, type Msg,
} from '../fixtures/als.js';
import { CONNECTION_FAILURE_LINE, OUTBOUND_LINE, RETRIES_EXHAUSTED_LINE } from '../fixtures/istio-lines.js';

/** The records an ALS stream's messages decode to, through the collector's real decoder. */
function alsRecords(stream: readonly Msg[]): AccessLogRecord[] {
  const decoder = new AlsStreamDecoder();
  return stream.flatMap((message) => decoder.decode(encodeAlsMessage(message)));
}

function setup(options: ConstructorParameters<typeof IstioMetricsDeriver>[1] = {}) {
  const registry = new MetricsRegistry({ defaultMaxSeries: 1000 });
  const deriver = new IstioMetricsDeriver(registry, options);
  const family = (name: string) => registry.snapshot().families.find((f) => f.name === name);
  const counters = (name: string): CounterSeries[] => {
    const f = family(name);
    if (!f || (f.type !== 'counter' && f.type !== 'gauge')) throw new Error(`no counter ${name}`);
    return [...f.series];
  };
  const histograms = (name: string): HistogramSeries[] => {
    const f = family(name);
    if (!f || f.type !== 'histogram') throw new Error(`no histogram ${name}`);
    return [...f.series];
  };
  return { registry, deriver, counters, histograms };
}

const matches = (labels: Labels, subset: Labels) => Object.entries(subset).every(([k, v]) => labels[k] === v);
function only<S extends { labels: Labels }>(series: readonly S[], subset: Labels = {}): S {
  const found = series.filter((s) => matches(s.labels, subset));
  if (found.length !== 1) throw new Error(`expected one series matching ${JSON.stringify(subset)}, got ${found.length}`);
  return found[0]!;
}

/** Cumulative bucket counts of one observation of `value` under Istio's default bounds. */
const oneObservation = (value: number) => ISTIO_DEFAULT_BUCKETS.map((bound) => (value <= bound ? 1 : 0));

const REVIEWS_LABELS = {
  destination_workload: 'reviews-v1',
  destination_workload_namespace: 'default',
  destination_app: 'reviews',
  destination_version: 'v1',
  destination_service: 'reviews.default.svc.cluster.local',
  destination_canonical_service: 'reviews',
  destination_canonical_revision: 'v1',
  destination_service_name: 'reviews',
  destination_service_namespace: 'default',
  destination_cluster: 'Kubernetes',
};
const PRODUCTPAGE_LABELS = {
  source_workload: 'productpage-v1',
  source_canonical_service: 'productpage',
  source_canonical_revision: 'v1',
  source_workload_namespace: 'default',
  source_app: 'productpage',
  source_version: 'v1',
  source_cluster: 'Kubernetes',
};

describe('Istio standard metrics from access logs', () => {
  it('labels an inbound mTLS request (destination reporter) exactly as Istio does, in Istio’s label order', () => {
    const { deriver, counters } = setup();
    const [inbound] = alsRecords(reviewsInboundStream);
    deriver.observeAccessLogs([inbound!]);

    const [series] = counters('istio_requests_total');
    expect(series!.value).toBe(1);
    expect(series!.labels).toEqual({
      reporter: 'destination',
      ...PRODUCTPAGE_LABELS,
      source_principal: 'spiffe://cluster.local/ns/default/sa/bookinfo-productpage',
      ...REVIEWS_LABELS,
      destination_principal: 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews',
      request_protocol: 'http',
      response_code: '200',
      response_flags: '-',
      connection_security_policy: 'mutual_tls',
    });
    // grpc_response_status is '' for plain HTTP, which Prometheus treats as absent.
    expect(Object.keys(series!.labels)).toEqual(ISTIO_REQUEST_LABEL_NAMES.filter((l) => l !== 'grpc_response_status'));
  });

  it('observes duration in ms and downstream wire bytes into Istio’s default buckets', () => {
    const { deriver, histograms } = setup();
    const [inbound] = alsRecords(reviewsInboundStream);
    deriver.observeAccessLogs([inbound!]); // 20.25 ms, 212 bytes received, 570 sent

    const duration = only(histograms('istio_request_duration_milliseconds'));
    expect(duration.bounds).toEqual([0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000]);
    expect(duration.bucketCounts).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(duration.sum).toBeCloseTo(20.25, 9);
    expect(duration.count).toBe(1);

    const requestBytes = only(histograms('istio_request_bytes'));
    expect(requestBytes.bucketCounts).toEqual(oneObservation(212));
    expect(requestBytes.sum).toBe(212);
    const responseBytes = only(histograms('istio_response_bytes'));
    expect(responseBytes.bucketCounts).toEqual(oneObservation(570));
    expect(responseBytes.sum).toBe(570);
  });

  it('labels the matching outbound request (source reporter) with connection_security_policy unknown', () => {
    const { deriver, counters } = setup();
    const [outbound] = alsRecords(productpageOutboundStream);
    deriver.observeAccessLogs([outbound!]);
    expect(only(counters('istio_requests_total')).labels).toEqual({
      reporter: 'source',
      ...PRODUCTPAGE_LABELS,
      source_principal: 'unknown',
      ...REVIEWS_LABELS,
      destination_principal: 'unknown',
      request_protocol: 'http',
      response_code: '200',
      response_flags: '-',
      connection_security_policy: 'unknown',
    });
  });

  it('counts one hop once per reporter and accumulates repeated requests in one series', () => {
    const { deriver, counters, histograms } = setup();
    const outbound = accessLog({ durationUs: 4000 });
    deriver.observeAccessLogs([outbound, outbound, destinationTwin(outbound, { mtls: true, durationUs: 3000 })]);
    deriver.observeAccessLogs([accessLog({ responseCode: 500, durationUs: 700_000 })]);

    const requests = counters('istio_requests_total');
    expect(requests).toHaveLength(3);
    expect(only(requests, { reporter: 'source', response_code: '200' }).value).toBe(2);
    expect(only(requests, { reporter: 'source', response_code: '500' }).value).toBe(1);
    expect(only(requests, { reporter: 'destination' })).toMatchObject({ value: 1, labels: { connection_security_policy: 'mutual_tls' } });

    const ok = only(histograms('istio_request_duration_milliseconds'), { reporter: 'source', response_code: '200' });
    expect(ok.bucketCounts.slice(0, 4)).toEqual([0, 0, 2, 2]); // 4 ms twice: above 1, within 5
    const slow = only(histograms('istio_request_duration_milliseconds'), { response_code: '500' });
    expect(slow.bucketCounts).toEqual(oneObservation(700));
  });

  it('writes connection_security_policy unknown on the client side even when the entry saw mTLS, and none for plaintext on the server side', () => {
    const { deriver, counters } = setup();
    deriver.observeAccessLogs([accessLog({ reporter: 'source', mtls: true }), accessLog({ reporter: 'destination', mtls: false })]);
    const requests = counters('istio_requests_total');
    expect(only(requests, { reporter: 'source' }).labels.connection_security_policy).toBe('unknown');
    expect(only(requests, { reporter: 'destination' }).labels.connection_security_policy).toBe('none');
  });

  it('keeps a 503 UF gRPC failure apart, with its flags and the gRPC status Envoy derives from 503', () => {
    const { deriver, counters } = setup();
    const [, ordersFailure] = alsRecords(productpageOutboundStream);
    deriver.observeAccessLogs([ordersFailure!]);
    // content-type application/grpc+proto was logged; no grpc-status: 503 maps to UNAVAILABLE (14).
    expect(only(counters('istio_requests_total')).labels).toMatchObject({
      reporter: 'source',
      destination_workload: 'unknown',
      destination_service: 'orders.shop.svc.cluster.local',
      destination_service_name: 'orders',
      destination_service_namespace: 'shop',
      destination_canonical_revision: 'latest',
      request_protocol: 'grpc',
      response_code: '503',
      grpc_response_status: '14',
      response_flags: 'UF,URX',
      connection_security_policy: 'unknown',
    });
  });

  it('reads a 503 UF from an Istio TEXT line, and tells gRPC from HTTP without a logged content-type', () => {
    const { deriver, counters } = setup();
    deriver.observeAccessLogs([parseIstioTextLine(CONNECTION_FAILURE_LINE), parseIstioTextLine(RETRIES_EXHAUSTED_LINE)]);
    const requests = counters('istio_requests_total');
    // HTTP/2 with a grpc-go user agent: a gRPC call.
    expect(only(requests, { destination_service_name: 'orders' }).labels).toMatchObject({
      request_protocol: 'grpc', response_code: '503', grpc_response_status: '14', response_flags: 'UF',
    });
    const ratings = only(requests, { destination_service_name: 'ratings' });
    expect(ratings.labels).toMatchObject({ request_protocol: 'http', response_code: '503', response_flags: 'UF,URX' });
    expect(ratings.labels.grpc_response_status).toBeUndefined();
  });

  it('labels a gRPC call with its logged grpc-status even when HTTP says 200', () => {
    const { deriver, counters } = setup();
    const [, grpcCall] = alsRecords(reviewsInboundStream);
    deriver.observeAccessLogs([grpcCall!]);
    expect(only(counters('istio_requests_total')).labels).toMatchObject({
      reporter: 'destination', request_protocol: 'grpc', response_code: '200', grpc_response_status: '14',
      connection_security_policy: 'mutual_tls',
    });
  });

  it('counts a TCP connection once opened and once closed, adds its bytes, and skips periodic entries', () => {
    const { deriver, counters, registry } = setup();
    const connection = alsRecords(apiServerTcpStream);
    const periodic = alsRecords(postgresTcpStream); // TcpPeriodic: the connection is still open
    deriver.observeAccessLogs([...connection, ...periodic]);

    const expectedLabels = {
      reporter: 'source',
      source_workload: 'api-server',
      source_canonical_service: 'api-server',
      source_canonical_revision: 'v3',
      source_workload_namespace: 'web',
      source_principal: 'unknown',
      source_app: 'api-server',
      source_version: 'v3',
      source_cluster: 'Kubernetes',
      destination_workload: 'postgres',
      destination_workload_namespace: 'db',
      destination_principal: 'unknown',
      destination_app: 'postgres',
      destination_version: '15',
      destination_service: 'postgres.db.svc.cluster.local',
      destination_canonical_service: 'postgres',
      destination_canonical_revision: '15',
      destination_service_name: 'postgres',
      destination_service_namespace: 'db',
      destination_cluster: 'Kubernetes',
      request_protocol: 'tcp',
      response_flags: '-',
      connection_security_policy: 'unknown',
    };
    expect(counters('istio_tcp_connections_opened_total')).toEqual([{ labels: expectedLabels, value: 1 }]);
    expect(counters('istio_tcp_connections_closed_total')).toEqual([{ labels: expectedLabels, value: 1 }]);
    expect(counters('istio_tcp_sent_bytes_total')).toEqual([{ labels: expectedLabels, value: 4210 }]);
    expect(counters('istio_tcp_received_bytes_total')).toEqual([{ labels: expectedLabels, value: 1532 }]);
    expect(counters('istio_requests_total')).toEqual([]);
    expect(registry.snapshot().families.every((f) => f.series.every((s) => s.labels.reporter !== 'destination'))).toBe(true);
  });

  it('adds up bytes of several TCP connections on one series and marks a server-side mTLS connection', () => {
    const { deriver, counters } = setup();
    const conn = (sent: number, received: number) =>
      accessLog({ kind: 'tcp', reporter: 'destination', mtls: true, bytesSent: sent, bytesReceived: received, responseCode: 0, method: undefined, protocol: undefined });
    deriver.observeAccessLogs([conn(100, 10), conn(250, 20), conn(1, 2)]);
    expect(only(counters('istio_tcp_connections_opened_total')).value).toBe(3);
    expect(only(counters('istio_tcp_connections_closed_total')).value).toBe(3);
    expect(only(counters('istio_tcp_sent_bytes_total')).value).toBe(351);
    expect(only(counters('istio_tcp_received_bytes_total'))).toMatchObject({
      value: 32, labels: { request_protocol: 'tcp', connection_security_policy: 'mutual_tls' },
    });
  });

  it('labels peers nobody reported as unknown and their revisions as latest', () => {
    const { deriver, counters } = setup();
    // A TEXT line with no shipper metadata: only the cluster name says where the call went.
    deriver.observeAccessLogs([parseIstioTextLine(OUTBOUND_LINE)]);
    expect(only(counters('istio_requests_total')).labels).toEqual({
      reporter: 'source',
      source_workload: 'unknown',
      source_canonical_service: 'unknown',
      source_canonical_revision: 'latest',
      source_workload_namespace: 'unknown',
      source_principal: 'unknown',
      source_app: 'unknown',
      source_version: 'unknown',
      source_cluster: 'unknown',
      destination_workload: 'unknown',
      destination_workload_namespace: 'unknown',
      destination_principal: 'unknown',
      destination_app: 'unknown',
      destination_version: 'unknown',
      destination_service: 'reviews.default.svc.cluster.local',
      destination_canonical_service: 'unknown',
      destination_canonical_revision: 'latest',
      destination_service_name: 'reviews',
      destination_service_namespace: 'default',
      destination_cluster: 'unknown',
      request_protocol: 'http',
      response_code: '200',
      response_flags: '-',
      connection_security_policy: 'unknown',
    });
  });

  it('falls back to the workload name for a canonical service, and writes response_code 0 when none was sent', () => {
    const { deriver, counters } = setup();
    deriver.observeAccessLogs([accessLog({ responseCode: undefined, responseFlags: ['DC'] })]);
    expect(only(counters('istio_requests_total')).labels).toMatchObject({
      source_canonical_service: 'productpage-v1', source_canonical_revision: 'latest',
      destination_canonical_service: 'reviews-v1', response_code: '0', response_flags: 'DC',
    });
  });

  it('ignores plain log records and entries written before their request ended', () => {
    const { deriver, registry } = setup();
    deriver.observeAccessLogs([
      accessLog({ kind: 'log', body: 'hello' }),
      accessLog({ attributes: { ACCESS_LOG_TYPE: 'DownstreamPeriodic' } }),
    ]);
    expect(registry.snapshot().families.flatMap((f) => f.series.map((s) => s.labels))).toEqual([]);
  });

  it('uses configured buckets for the duration and byte histograms', () => {
    const { deriver, histograms } = setup({ durationBucketsMs: [10, 100], bytesBuckets: [64, 1024] });
    deriver.observeAccessLogs([accessLog({ durationUs: 50_000, bytesReceived: 100, bytesSent: 10 })]);
    expect(only(histograms('istio_request_duration_milliseconds'))).toMatchObject({ bounds: [10, 100], bucketCounts: [0, 1], sum: 50 });
    expect(only(histograms('istio_request_bytes'))).toMatchObject({ bounds: [64, 1024], bucketCounts: [0, 1] });
    expect(only(histograms('istio_response_bytes'))).toMatchObject({ bounds: [64, 1024], bucketCounts: [1, 1] });
  });

  it('folds a flood of unique source workloads into the overflow series instead of growing', () => {
    const { deriver, counters, histograms } = setup({ maxSeries: 10 });
    const flood = Array.from({ length: 1000 }, (_, i) => accessLog({ source: { workload: `scanner-${i}` } }));
    deriver.observeAccessLogs(flood);

    const requests = counters('istio_requests_total');
    expect(requests).toHaveLength(11);
    expect(only(requests, OVERFLOW_LABELS)).toEqual({ labels: OVERFLOW_LABELS, value: 990 });
    expect(requests.filter((s) => s.labels.source_workload?.startsWith('scanner-'))).toHaveLength(10);
    const duration = histograms('istio_request_duration_milliseconds');
    expect(duration).toHaveLength(11);
    expect(only(duration, OVERFLOW_LABELS).count).toBe(990);
  });
});
