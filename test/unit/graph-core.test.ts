/** The pieces of the mesh graph: service naming, latency histograms, health, merging partials. */
import { describe, expect, it } from 'vitest';
import { edgePartialsOf, mergeEdgePartials } from '../../shared/graph/aggregate.js';
import { buildGraph, healthOf } from '../../shared/graph/build.js';
import { emptyLatency, latencyBucketOf, latencyQuantile, LATENCY_BOUNDS_MS } from '../../shared/graph/latency.js';
import type { GraphObservation } from '../../shared/graph/model.js';
import { observationOfAccessLog, observationOfSpan } from '../../shared/graph/observation.js';
import { SpanKind } from '../../shared/model/span.js';
import { span } from '../fixtures/spans.js';
import { accessLog } from '../fixtures/access-logs.js';
import { peerLabels } from '../../shared/istio/metric-labels.js';
import { hostNode, meshServiceName, nodeIdsOfIstioLabels } from '../../shared/istio/service-naming.js';
import { bookinfoMesh } from '../fixtures/bookinfo-mesh.js';
import { meshRecords } from '../support/graph-contract.js';

describe('mesh service naming (Istio tracingServiceName)', () => {
  const w = { workload: 'reviews-v2', namespace: 'shop', app: 'reviews', canonicalService: 'reviews-canonical' };

  it('names a workload per mode: app label first, or the canonical name', () => {
    expect(meshServiceName(w, 'APP_LABEL_AND_NAMESPACE')).toBe('reviews.shop');
    expect(meshServiceName(w, 'CANONICAL_NAME_ONLY')).toBe('reviews-canonical');
    expect(meshServiceName(w, 'CANONICAL_NAME_AND_NAMESPACE')).toBe('reviews-canonical.shop');
  });

  it('falls back to the workload name, and says nothing for an unknown workload', () => {
    expect(meshServiceName({ workload: 'batch-job', namespace: 'ops' }, 'APP_LABEL_AND_NAMESPACE')).toBe('batch-job.ops');
    expect(meshServiceName({ workload: 'unknown', namespace: 'ops' }, 'APP_LABEL_AND_NAMESPACE')).toBeUndefined();
    expect(meshServiceName({}, 'CANONICAL_NAME_ONLY')).toBeUndefined();
  });

  it('names a called host as its own proxies would report it, and keeps external hosts', () => {
    expect(hostNode('reviews.shop.svc.cluster.local', 'APP_LABEL_AND_NAMESPACE')).toEqual({ id: 'reviews.shop', namespace: 'shop', external: false });
    expect(hostNode('reviews.shop.svc.cluster.local:9080', 'CANONICAL_NAME_ONLY')).toEqual({ id: 'reviews', namespace: 'shop', external: false });
    expect(hostNode('reviews:9080', 'APP_LABEL_AND_NAMESPACE', 'shop')).toEqual({ id: 'reviews.shop', namespace: 'shop', external: false });
    expect(hostNode('api.example.com:443', 'APP_LABEL_AND_NAMESPACE', 'shop')).toEqual({ id: 'api.example.com', external: true });
    expect(hostNode('-', 'APP_LABEL_AND_NAMESPACE')).toBeUndefined();
  });
});

describe('latency histogram', () => {
  it('puts a duration equal to a bound in the bucket that starts there', () => {
    expect(latencyBucketOf(0.2)).toBe(0);
    expect(latencyBucketOf(5)).toBe(LATENCY_BOUNDS_MS.indexOf(10));
    expect(latencyBucketOf(4_000_000)).toBe(LATENCY_BOUNDS_MS.length);
  });

  it('interpolates quantiles within a bucket, null when empty', () => {
    const counts = emptyLatency();
    expect(latencyQuantile(counts, 0.5)).toBeNull();
    counts[latencyBucketOf(30)] = 4; // [25, 50)
    expect(latencyQuantile(counts, 0.5)).toBe(37.5);
    expect(latencyQuantile(counts, 1)).toBe(50);
  });
});

describe('health (Kiali defaults: degraded above 0 %, failing from 10 %)', () => {
  const kiali = { degradedPercent: 0, failingPercent: 10 };
  it('grades error rates', () => {
    expect(healthOf(0, kiali)).toBe('healthy');
    expect(healthOf(0.001, kiali)).toBe('degraded');
    expect(healthOf(0.0999, kiali)).toBe('degraded');
    expect(healthOf(0.1, kiali)).toBe('failing');
    expect(healthOf(0.05, { degradedPercent: 5, failingPercent: 20 })).toBe('healthy');
  });
});

describe('edge partials', () => {
  const obs = (o: Partial<GraphObservation>): GraphObservation => ({
    signal: 'accesslogs', source: 'a.ns', target: 'b.ns', sourceKind: 'service', targetKind: 'service', protocol: 'http',
    timeUs: 0, error: false, requestKey: 'rid:1', ...o,
  });

  it('counts a request once however many reports it has, and errors by request', () => {
    const [edge] = edgePartialsOf([
      obs({ signal: 'traces', durationMs: 12 }),
      obs({ durationMs: 10, codeClass: '5xx', error: true }),
      obs({ durationMs: 9, codeClass: '5xx', error: true, mtls: true }),
      obs({ requestKey: 'rid:2', codeClass: '2xx', mtls: false }),
    ], 'service');
    expect(edge).toMatchObject({ requests: 2, errors: 1, responseCodes: { '2xx': 1, '5xx': 1 }, mtlsReports: 1, mtlsKnownReports: 2, seenIn: ['traces', 'accesslogs'] });
  });

  it('merges partials of disjoint ranges by adding, to the same graph as one pass', () => {
    const first = [obs({ durationMs: 3 }), obs({ requestKey: 'rid:2', error: true, durationMs: 40 })];
    const second = [obs({ requestKey: 'rid:3', durationMs: 7 }), obs({ requestKey: 'rid:4', target: 'c.ns', protocol: 'tcp', bytesSent: 10 })];
    const merged = mergeEdgePartials([...edgePartialsOf(first, 'service'), ...edgePartialsOf(second, 'service')]);
    expect(buildGraph(merged, 60)).toEqual(buildGraph(edgePartialsOf([...first, ...second], 'service'), 60));
    expect(merged.find((e) => e.target === 'b.ns')).toMatchObject({ requests: 3, errors: 1 });
  });

  it('leaves an edge out when only a report that counts no call saw it', () => {
    expect(edgePartialsOf([obs({ requestKey: undefined, mtls: true })], 'service')).toEqual([]);
  });
});

describe('Istio metric labels → graph node ids', () => {
  const labels = {
    source_app: 'productpage', source_canonical_service: 'productpage', source_workload: 'productpage-v1', source_workload_namespace: 'bookinfo',
    destination_app: 'reviews', destination_canonical_service: 'reviews', destination_workload: 'reviews-v2', destination_workload_namespace: 'bookinfo',
    destination_service: 'reviews.bookinfo.svc.cluster.local',
  };

  it('names both ends per naming mode, `unknown` and external hosts as the graph does', () => {
    expect(nodeIdsOfIstioLabels(labels, 'APP_LABEL_AND_NAMESPACE')).toEqual({ source: 'productpage.bookinfo', target: 'reviews.bookinfo' });
    expect(nodeIdsOfIstioLabels(labels, 'CANONICAL_NAME_ONLY')).toEqual({ source: 'productpage', target: 'reviews' });
    const unreached = Object.fromEntries(Object.keys(labels).map((k) => [k, k === 'destination_service' ? 'api.example.com' : 'unknown']));
    expect(nodeIdsOfIstioLabels(unreached, 'APP_LABEL_AND_NAMESPACE')).toEqual({ source: 'unknown', target: 'api.example.com' });
  });

  it('gives every bookinfo access-log entry the node ids of its graph observation', () => {
    const { records } = meshRecords(bookinfoMesh(1_780_000_000 * 1_000_000));
    expect(records.length).toBeGreaterThan(20);
    for (const record of records) {
      const observed = observationOfAccessLog(record, 'APP_LABEL_AND_NAMESPACE')!;
      expect(nodeIdsOfIstioLabels(peerLabels(record), 'APP_LABEL_AND_NAMESPACE')).toEqual({ source: observed.source, target: observed.target });
    }
  });
});

describe('span observations', () => {
  const naming = 'APP_LABEL_AND_NAMESPACE' as const;

  it('takes an edge only from a client or producer span that names its callee', () => {
    expect(observationOfSpan(span({ kind: SpanKind.SERVER, attrs: { 'server.address': 'cart' } }), naming)).toBeUndefined();
    expect(observationOfSpan(span({ kind: SpanKind.CLIENT }), naming)).toBeUndefined();
    expect(observationOfSpan(span({ kind: SpanKind.CLIENT, attrs: { 'peer.service': 'cart' } }), naming)).toMatchObject({
      signal: 'traces', source: 'frontend', target: 'cart', targetKind: 'service',
    });
  });

  it('names the callee from the OpenTelemetry attributes: Kubernetes hosts as the mesh names them, others as external', () => {
    const to = (attrs: Record<string, string>) => observationOfSpan(span({ kind: SpanKind.CLIENT, attrs }), naming);
    expect(to({ 'server.address': 'cart.shop.svc.cluster.local' })).toMatchObject({ target: 'cart.shop', targetNamespace: 'shop', targetKind: 'service' });
    expect(to({ 'url.full': 'https://api.example.com/v1/pay' })).toMatchObject({ target: 'api.example.com', targetKind: 'external' });
    expect(to({ 'db.system': 'postgresql', 'server.address': 'pg.db.svc.cluster.local' })).toMatchObject({ target: 'pg.db', targetKind: 'database' });
    expect(to({ 'db.system': 'redis' })).toMatchObject({ target: 'redis', targetKind: 'database' });
    expect(to({ 'messaging.system': 'kafka' })).toMatchObject({ target: 'kafka', targetKind: 'messaging' });
  });

  it('classifies gRPC calls and errors, and keys the call by its request id when Envoy tagged one', () => {
    const grpc = observationOfSpan(
      span({ kind: SpanKind.CLIENT, attrs: { 'peer.service': 'cart', 'rpc.system': 'grpc', 'rpc.grpc.status_code': '14' } }),
      naming,
    );
    expect(grpc).toMatchObject({ protocol: 'grpc', codeClass: 'grpc:14', error: true });
    const failed = observationOfSpan(span({ kind: SpanKind.CLIENT, attrs: { 'peer.service': 'cart', 'http.response.status_code': 503 } }), naming);
    expect(failed).toMatchObject({ protocol: 'http', codeClass: '5xx', error: true });
    const envoy = observationOfSpan(span({ kind: SpanKind.CLIENT, attrs: { 'peer.service': 'cart', 'guid:x-request-id': 'abc' } }), naming);
    expect(envoy?.requestKey).toBe('rid:abc');
    expect(failed?.requestKey).toMatch(/^span:/);
  });
});

describe('access-log observations', () => {
  const naming = 'APP_LABEL_AND_NAMESPACE' as const;
  const noPeer = { workload: undefined, namespace: undefined, service: undefined, serviceName: undefined };

  it('names a call leaving the mesh through the passthrough cluster by the host it asked for', () => {
    const record = accessLog({
      reporter: 'source', upstreamCluster: 'PassthroughCluster', authority: 'httpbin.org', requestId: 'x1',
      source: { app: 'reviews', workload: 'reviews-v3', namespace: 'bookinfo' }, destination: { ...noPeer, serviceName: 'PassthroughCluster' },
    });
    expect(observationOfAccessLog(record, naming)).toMatchObject({ source: 'reviews.bookinfo', target: 'httpbin.org', targetKind: 'external', requestKey: 'rid:x1' });
  });

  it('counts a TCP connection on the caller\'s entry; the callee\'s twin only tells mTLS', () => {
    const caller = accessLog({ kind: 'tcp', reporter: 'source', requestId: undefined, bytesReceived: 10, bytesSent: 20 });
    const twin = accessLog({ kind: 'tcp', reporter: 'destination', requestId: undefined, mtls: true });
    expect(observationOfAccessLog(caller, naming)).toMatchObject({ protocol: 'tcp', bytesSent: 10, bytesReceived: 20 });
    expect(observationOfAccessLog(caller, naming)?.requestKey).toBeDefined();
    expect(observationOfAccessLog(twin, naming)).toMatchObject({ requestKey: undefined, mtls: true });
    expect(observationOfAccessLog(accessLog({ kind: 'log' }), naming)).toBeUndefined();
  });
});
