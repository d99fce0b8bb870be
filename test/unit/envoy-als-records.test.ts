import { describe, expect, it } from 'vitest';
import { AlsStreamDecoder } from '../../shared/envoy/als-stream.js';
import type { AccessLogRecord } from '../../shared/model/access-log.js';
import {
  PRODUCTPAGE_PEER, PRODUCTPAGE_SPIFFE, REQUEST_ID, REVIEWS_PEER, REVIEWS_SPIFFE, TRACEPARENT, apiServerTcpStream, encodeAlsMessage,
  inboundGrpcEntry, postgresTcpStream, productpageOutboundStream, reviewsInboundStream, socket, type Msg,
} from '../fixtures/als.js';

/** Decodes a fixture stream message by message, as the receiver does. */
function decodeStream(messages: readonly Msg[]): AccessLogRecord[] {
  const stream = new AlsStreamDecoder();
  return messages.flatMap((m) => stream.decode(encodeAlsMessage(m)));
}

const REVIEWS_NODE_ID = 'sidecar~10.244.1.17~reviews-v1-5d8f7c9b6-x2kqp.default~default.svc.cluster.local';
const PRODUCTPAGE_NODE_ID = 'sidecar~10.244.2.9~productpage-v1-6b746f74dc-9rlmh.default~default.svc.cluster.local';

const productpage = {
  workload: 'productpage-v1', namespace: 'default', canonicalService: 'productpage', canonicalRevision: 'v1',
  app: 'productpage', version: 'v1', cluster: 'Kubernetes',
};
const reviews = {
  workload: 'reviews-v1', namespace: 'default', canonicalService: 'reviews', canonicalRevision: 'v1',
  app: 'reviews', version: 'v1', cluster: 'Kubernetes',
};
const reviewsService = { service: 'reviews.default.svc.cluster.local', serviceName: 'reviews', serviceNamespace: 'default' };

describe('ALS entries of a sidecar inbound (reporter destination, mTLS, Istio ≥ 1.24 peer metadata)', () => {
  const [get, grpc] = decodeStream(reviewsInboundStream);

  it('maps the HTTP request, response, timing, bytes and addresses field by field', () => {
    expect(get).toMatchObject({
      kind: 'http',
      input: 'als',
      startTimeUnixNano: 1_787_307_302_126_000_512n,
      durationUs: 20_250,
      method: 'GET',
      path: '/reviews/0',
      authority: 'reviews:9080',
      scheme: 'http',
      protocol: 'HTTP/1.1',
      userAgent: 'curl/8.5.0',
      requestId: REQUEST_ID,
      responseCode: 200,
      responseFlags: [],
      responseCodeDetails: 'via_upstream',
      upstreamServiceTimeMs: 19,
      // Wire bytes, not the 358-byte body.
      bytesReceived: 212,
      bytesSent: 570,
      upstreamCluster: 'inbound|9080||',
      upstreamHost: '10.244.1.17:9080',
      upstreamLocalAddress: '127.0.0.6:40313',
      downstreamLocalAddress: '10.244.1.17:9080',
      downstreamRemoteAddress: '10.244.2.9:51234',
      requestedServerName: 'outbound_.9080_._.reviews.default.svc.cluster.local',
      routeName: 'default',
      proxyNodeId: REVIEWS_NODE_ID,
      logName: 'http_envoy_accesslog',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
    });
    expect(get.id).toMatch(/^[0-9a-f]{32}$/);
    expect(get.forwardedFor).toBeUndefined();
    expect(get.grpcStatus).toBeUndefined();
  });

  it('is reported by the destination: the node is the destination, downstream_peer the source, both SANs make mTLS', () => {
    expect(get.reporter).toBe('destination');
    expect(get.mtls).toBe(true);
    expect(get.source).toEqual({ ...productpage, principal: PRODUCTPAGE_SPIFFE });
    // The service comes from the caller's mTLS SNI (its outbound cluster), not the short authority.
    expect(get.destination).toEqual({ ...reviews, principal: REVIEWS_SPIFFE, ...reviewsService });
  });

  it('keeps custom tags and logged headers without a field as attributes, under the line parsers\' operator names', () => {
    expect({ ...get.attributes }).toEqual({ mesh: 'bookinfo', 'REQ(CONTENT-TYPE)': 'application/json' });
  });

  it('applies the first message\'s identifier to a later message that has none', () => {
    expect(grpc.proxyNodeId).toBe(REVIEWS_NODE_ID);
    expect(grpc.logName).toBe('http_envoy_accesslog');
    expect(grpc.destination.workload).toBe('reviews-v1');
  });

  it('reads a gRPC call: HTTP/2, grpc-status from the trailers, 64-bit B3 trace id padded to 128 bits', () => {
    expect(grpc).toMatchObject({
      method: 'POST',
      path: '/reviews.v1.Reviews/List',
      protocol: 'HTTP/2',
      responseCode: 200,
      grpcStatus: '14',
      traceId: '000000000000000080f198ee56343ba8',
      spanId: 'e457b5a2e4d86bd1',
      durationUs: 3000,
    });
    expect(grpc.attributes['REQ(CONTENT-TYPE)']).toBe('application/grpc');
    expect(grpc.id).not.toBe(get.id);
  });
});

describe('ALS entries of a sidecar outbound (reporter source, plain text)', () => {
  const [ok, failed, noRoute] = decodeStream(productpageOutboundStream);

  it('is reported by the source: the node is the source, upstream_peer the destination, mTLS and principals unknown', () => {
    expect(ok.reporter).toBe('source');
    expect(ok.source).toEqual(productpage);
    expect(ok.destination).toEqual({ ...reviews, ...reviewsService });
    expect(ok.mtls).toBeUndefined();
    expect(ok.source.principal).toBeUndefined();
    expect(ok.destination.principal).toBeUndefined();
    expect(ok).toMatchObject({
      proxyNodeId: PRODUCTPAGE_NODE_ID,
      upstreamHost: '10.244.1.17:9080',
      upstreamLocalAddress: '10.244.2.9:51234',
      downstreamLocalAddress: '10.96.112.40:9080',
      downstreamRemoteAddress: '10.244.2.9:48812',
      durationUs: 24_000,
      requestedServerName: undefined,
    });
  });

  it('maps a connection failure: flags UF,URX, details, transport failure reason, retries, header+body bytes when wire bytes are missing', () => {
    expect(failed).toMatchObject({
      reporter: 'source',
      method: 'POST',
      protocol: 'HTTP/2',
      responseCode: 503,
      responseFlags: ['UF', 'URX'],
      responseCodeDetails: 'upstream_reset_before_response_started{connection_failure}',
      upstreamTransportFailureReason: 'delayed_connect_error:_111',
      upstreamHost: '10.244.3.5:8080',
      upstreamLocalAddress: undefined,
      bytesReceived: 300 + 412,
      bytesSent: 91,
      traceId: undefined,
    });
    // No upstream_peer (never connected): only what the cluster name says.
    expect(failed.destination).toEqual({ service: 'orders.shop.svc.cluster.local', serviceName: 'orders', serviceNamespace: 'shop' });
    expect({ ...failed.attributes }).toEqual({ UPSTREAM_REQUEST_ATTEMPT_COUNT: '3', 'REQ(CONTENT-TYPE)': 'application/grpc+proto' });
  });

  it('maps an entry without a cluster: reporter unknown, NR and UAEX (from unauthorized_details), service from the authority', () => {
    expect(noRoute).toMatchObject({
      reporter: 'unknown',
      method: 'PATCH',
      responseCode: 404,
      responseFlags: ['NR', 'UAEX'],
      upstreamCluster: undefined,
      upstreamHost: undefined,
      durationUs: 400,
    });
    expect(noRoute.source).toEqual({});
    expect(noRoute.destination.service).toBe('unknown-host');
  });
});

describe('ALS TCP entries of an older proxy (FlatBuffers peer metadata)', () => {
  it('maps an outbound TCP connection: bytes from connection_properties, wasm.upstream_peer as the destination', () => {
    const [tcp] = decodeStream(apiServerTcpStream);
    expect(tcp).toMatchObject({
      kind: 'tcp',
      input: 'als',
      reporter: 'source',
      startTimeUnixNano: 1_787_307_360_000_000_000n,
      durationUs: 60_012_000,
      bytesReceived: 1532,
      bytesSent: 4210,
      upstreamCluster: 'outbound|5432||postgres.db.svc.cluster.local',
      upstreamHost: '10.244.4.8:5432',
      downstreamRemoteAddress: '10.244.2.30:36618',
      logName: 'tcp_envoy_accesslog',
      responseFlags: [],
    });
    expect([tcp.method, tcp.protocol, tcp.responseCode]).toEqual([undefined, undefined, undefined]);
    expect(tcp.source).toEqual({
      workload: 'api-server', namespace: 'web', canonicalService: 'api-server', canonicalRevision: 'v3', app: 'api-server', version: 'v3', cluster: 'Kubernetes',
    });
    expect(tcp.destination).toEqual({
      workload: 'postgres', namespace: 'db', canonicalService: 'postgres', canonicalRevision: '15', app: 'postgres', version: '15', cluster: 'Kubernetes',
      service: 'postgres.db.svc.cluster.local', serviceName: 'postgres', serviceNamespace: 'db',
    });
    // TcpConnectionEnd is the usual final entry: no attribute for it.
    expect({ ...tcp.attributes }).toEqual({});
  });

  it('maps an inbound periodic TCP entry: wasm.downstream_peer (canonical labels) as the source, SANs, IPv6 in brackets', () => {
    const [tcp] = decodeStream(postgresTcpStream);
    expect(tcp).toMatchObject({ reporter: 'destination', mtls: true, bytesReceived: 700, bytesSent: 2100, downstreamRemoteAddress: '[fd00:10:244:2::1e]:36620' });
    expect(tcp.source).toEqual({
      workload: 'api-server', namespace: 'web', canonicalService: 'api', canonicalRevision: 'v3', app: 'api-server', version: 'v3', cluster: 'Kubernetes',
      principal: 'spiffe://cluster.local/ns/web/sa/api-server',
    });
    expect(tcp.destination).toMatchObject({ workload: 'postgres', namespace: 'db', principal: 'spiffe://cluster.local/ns/db/sa/postgres', service: 'postgres.db.svc.cluster.local' });
    expect({ ...tcp.attributes }).toEqual({ ACCESS_LOG_TYPE: 'TcpPeriodic' });
  });
});

describe('ALS records: ids and edge cases', () => {
  it('gives the same entry the same id every time it is decoded, and the two sidecars of a hop different ids', () => {
    const first = decodeStream(reviewsInboundStream);
    const again = decodeStream(reviewsInboundStream);
    expect(again.map((r) => r.id)).toEqual(first.map((r) => r.id));
    const outbound = decodeStream(productpageOutboundStream)[0];
    expect(outbound.requestId).toBe(first[0].requestId);
    expect(outbound.id).not.toBe(first[0].id);
  });

  it('decodes entries of a stream whose identifier never came with an unknown proxy', () => {
    const stream = new AlsStreamDecoder();
    const [record] = stream.decode(encodeAlsMessage({ httpLogs: { logEntry: [inboundGrpcEntry] } }));
    expect(stream.identified).toBe(false);
    expect(record.proxyNodeId).toBeUndefined();
    expect(record.logName).toBeUndefined();
    // The peer and the TLS still say who called whom; the local side is unknown.
    expect(record.reporter).toBe('destination');
    expect(record.source.workload).toBe('productpage-v1');
    expect(record.destination).toEqual({ principal: REVIEWS_SPIFFE, namespace: 'default', ...reviewsService });
  });

  it('falls back to time_to_last_downstream_tx_byte for the duration and to the receive time for a missing start', () => {
    const stream = new AlsStreamDecoder();
    const [record] = stream.decode(
      encodeAlsMessage({ httpLogs: { logEntry: [{ commonProperties: { timeToLastDownstreamTxByte: { seconds: 1, nanos: 5_000_999 } } }] } }),
      42n,
    );
    expect(record.durationUs).toBe(1_005_000);
    expect(record.startTimeUnixNano).toBe(42n);
    // No response: Envoy prints response code 0.
    expect(record.responseCode).toBe(0);
  });

  it('takes the traceparent over B3 headers only when it is well-formed', () => {
    const entry = (headers: Record<string, string>) => encodeAlsMessage({
      httpLogs: { logEntry: [{ commonProperties: { startTime: { seconds: 1 } }, request: { requestHeaders: headers } }] },
    });
    const [bad] = new AlsStreamDecoder().decode(entry({ traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' }));
    expect(bad.traceId).toBeUndefined();
    const [b3] = new AlsStreamDecoder().decode(entry({ b3: '4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1' }));
    expect([b3.traceId, b3.spanId]).toEqual(['4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7']);
    const [w3c] = new AlsStreamDecoder().decode(entry({ traceparent: TRACEPARENT }));
    expect(w3c.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });
});

describe('ALS reporter beyond sidecar clusters', () => {
  const entryOf = (common: Msg): Msg => ({ commonProperties: { startTime: { seconds: 1 }, ...common }, request: { requestMethod: 1, path: '/' } });
  const streamOf = (nodeId: string, common: Msg) => [{ identifier: { node: { id: nodeId } }, httpLogs: { logEntry: [entryOf(common)] } }];

  it('reports a waypoint proxy as waypoint, with downstream_peer as the source and upstream_peer as the destination', () => {
    const [record] = decodeStream(streamOf('waypoint~10.244.5.5~waypoint-6f8d9c7b5-abcde.default~default.svc.cluster.local', {
      upstreamCluster: 'inbound-vip|9080|http|reviews.default.svc.cluster.local',
      filterStateObjects: { downstream_peer: PRODUCTPAGE_PEER, upstream_peer: REVIEWS_PEER },
    }));
    expect(record.reporter).toBe('waypoint');
    expect(record.source.workload).toBe('productpage-v1');
    expect(record.destination.workload).toBe('reviews-v1');
  });

  it('tells the side of an entry without a cluster from the peer the proxy discovered', () => {
    const sidecar = 'sidecar~10.244.1.17~reviews-v1-5d8f7c9b6-x2kqp.default~default.svc.cluster.local';
    const [inbound] = decodeStream(streamOf(sidecar, { filterStateObjects: { downstream_peer: PRODUCTPAGE_PEER } }));
    expect([inbound.reporter, inbound.source.workload]).toEqual(['destination', 'productpage-v1']);
    const [outbound] = decodeStream(streamOf(sidecar, { filterStateObjects: { upstream_peer: REVIEWS_PEER } }));
    expect([outbound.reporter, outbound.destination.workload]).toEqual(['source', 'reviews-v1']);
  });

  it('reports a gateway (router) entry without a cluster as source, the gateway being the caller', () => {
    const [record] = decodeStream(streamOf('router~10.244.9.9~istio-ingressgateway-7d4f8b9c6-k2m4p.istio-system~istio-system.svc.cluster.local', {
      downstreamRemoteAddress: socket('203.0.113.7', 50123),
      responseFlags: { noRouteFound: true },
    }));
    expect(record.reporter).toBe('source');
    expect(record.source).toMatchObject({ workload: 'istio-ingressgateway', namespace: 'istio-system' });
    expect(record.responseFlags).toEqual(['NR']);
  });
});
