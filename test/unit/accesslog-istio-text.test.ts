import { describe, expect, it } from 'vitest';
import { parseAccessLogLine } from '../../shared/accesslog/access-log-line.js';
import { AccessLogParseError } from '../../shared/accesslog/errors.js';
import { parseIstioTextLine } from '../../shared/accesslog/istio-text.js';
import type { AccessLogRecord } from '../../shared/model/access-log.js';
import {
  BLACKHOLE_LINE,
  CONNECTION_FAILURE_LINE,
  DOWNSTREAM_DISCONNECT_LINE,
  GARBAGE_LINES,
  INBOUND_JSON_LINE,
  INBOUND_LINE,
  NO_HEALTHY_UPSTREAM_LINE,
  NO_ROUTE_LINE,
  OUTBOUND_LINE,
  PASSTHROUGH_TCP_LINE,
  RETRIES_EXHAUSTED_LINE,
  TCP_LINE,
} from '../fixtures/istio-lines.js';

/** ns since the epoch of an ISO time with milliseconds. */
const ns = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;

function withoutId(record: AccessLogRecord): Omit<AccessLogRecord, 'id'> {
  const { id, ...rest } = record;
  expect(id).toMatch(/^[0-9a-f]{32}$/);
  return rest;
}

describe('parseIstioTextLine — the reference examples', () => {
  it('normalizes the outbound line field by field, with the destination service from the cluster', () => {
    expect(withoutId(parseIstioTextLine(OUTBOUND_LINE))).toEqual({
      kind: 'http',
      input: 'lines',
      startTimeUnixNano: ns('2026-08-21T10:15:02.123Z'),
      durationUs: 24_000,
      reporter: 'source',
      method: 'GET',
      path: '/reviews/0',
      protocol: 'HTTP/1.1',
      responseCode: 200,
      responseFlags: [],
      responseCodeDetails: 'via_upstream',
      bytesReceived: 0,
      bytesSent: 358,
      upstreamServiceTimeMs: 23,
      userAgent: 'curl/8.5.0',
      requestId: '6d4f2c1a-8f3e-4b7e-9a51-2f0c9d3e7b11',
      authority: 'reviews:9080',
      upstreamHost: '10.244.1.17:9080',
      upstreamCluster: 'outbound|9080||reviews.default.svc.cluster.local',
      upstreamLocalAddress: '10.244.2.9:51234',
      downstreamLocalAddress: '10.96.112.40:9080',
      downstreamRemoteAddress: '10.244.2.9:48812',
      routeName: 'default',
      source: {},
      destination: { service: 'reviews.default.svc.cluster.local', serviceName: 'reviews', serviceNamespace: 'default' },
      attributes: {},
    });
  });

  it('normalizes the matching inbound line: reporter destination, service from the SNI, mTLS', () => {
    const record = parseIstioTextLine(INBOUND_LINE);
    expect(withoutId(record)).toEqual({
      kind: 'http',
      input: 'lines',
      startTimeUnixNano: ns('2026-08-21T10:15:02.126Z'),
      durationUs: 20_000,
      reporter: 'destination',
      method: 'GET',
      path: '/reviews/0',
      protocol: 'HTTP/1.1',
      responseCode: 200,
      responseFlags: [],
      responseCodeDetails: 'via_upstream',
      bytesReceived: 0,
      bytesSent: 358,
      upstreamServiceTimeMs: 19,
      userAgent: 'curl/8.5.0',
      requestId: '6d4f2c1a-8f3e-4b7e-9a51-2f0c9d3e7b11',
      authority: 'reviews:9080',
      upstreamHost: '10.244.1.17:9080',
      upstreamCluster: 'inbound|9080||',
      upstreamLocalAddress: '127.0.0.6:40313',
      downstreamLocalAddress: '10.244.1.17:9080',
      downstreamRemoteAddress: '10.244.2.9:51234',
      requestedServerName: 'outbound_.9080_._.reviews.default.svc.cluster.local',
      routeName: 'default',
      mtls: true,
      source: {},
      destination: { service: 'reviews.default.svc.cluster.local', serviceName: 'reviews', serviceNamespace: 'default' },
      attributes: {},
    });
  });

  it('gives the two sides of one request different ids', () => {
    expect(parseIstioTextLine(OUTBOUND_LINE).id).not.toBe(parseIstioTextLine(INBOUND_LINE).id);
  });

  it('normalizes a connection failure: 503, flag UF, missing service time and local address', () => {
    expect(withoutId(parseIstioTextLine(CONNECTION_FAILURE_LINE))).toEqual({
      kind: 'http',
      input: 'lines',
      startTimeUnixNano: ns('2026-08-21T10:15:03.001Z'),
      durationUs: 2_000,
      reporter: 'source',
      method: 'POST',
      path: '/orders.v1.Orders/Create',
      protocol: 'HTTP/2',
      responseCode: 503,
      responseFlags: ['UF'],
      responseCodeDetails: 'upstream_reset_before_response_started{connection_failure}',
      bytesReceived: 412,
      bytesSent: 91,
      userAgent: 'grpc-go/1.64.0',
      requestId: '0b7e6a52-1c1e-4f0e-8a43-9f2b7d11c0aa',
      authority: 'orders.shop:8080',
      upstreamHost: '10.244.3.5:8080',
      upstreamCluster: 'outbound|8080||orders.shop.svc.cluster.local',
      downstreamLocalAddress: '10.96.45.12:8080',
      downstreamRemoteAddress: '10.244.2.9:39010',
      routeName: 'default',
      source: {},
      destination: { service: 'orders.shop.svc.cluster.local', serviceName: 'orders', serviceNamespace: 'shop' },
      attributes: {},
    });
  });

  it('normalizes a TCP connection: kind tcp, no HTTP fields, response code 0', () => {
    expect(withoutId(parseIstioTextLine(TCP_LINE))).toEqual({
      kind: 'tcp',
      input: 'lines',
      startTimeUnixNano: ns('2026-08-21T10:16:00.000Z'),
      durationUs: 60_012_000,
      reporter: 'source',
      responseCode: 0,
      responseFlags: [],
      bytesReceived: 1532,
      bytesSent: 4210,
      upstreamHost: '10.244.4.8:5432',
      upstreamCluster: 'outbound|5432||postgres.db.svc.cluster.local',
      upstreamLocalAddress: '10.244.2.9:36620',
      downstreamLocalAddress: '10.96.7.7:5432',
      downstreamRemoteAddress: '10.244.2.9:36618',
      source: {},
      destination: { service: 'postgres.db.svc.cluster.local', serviceName: 'postgres', serviceNamespace: 'db' },
      attributes: {},
    });
  });
});

describe('parseIstioTextLine — composed cases', () => {
  it('reads UH with a user agent full of spaces and a missing upstream host', () => {
    const r = parseIstioTextLine(NO_HEALTHY_UPSTREAM_LINE);
    expect(r.responseCode).toBe(503);
    expect(r.responseFlags).toEqual(['UH']);
    expect(r.responseCodeDetails).toBe('no_healthy_upstream');
    expect(r.userAgent).toBe('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)');
    expect(r.upstreamHost).toBeUndefined();
    expect(r.upstreamLocalAddress).toBeUndefined();
    expect(r.upstreamServiceTimeMs).toBeUndefined();
    expect(r.durationUs).toBe(0);
    expect(r.destination.serviceName).toBe('details');
  });

  it('splits combined flags UF,URX and keeps the transport failure reason and subset route', () => {
    const r = parseIstioTextLine(RETRIES_EXHAUSTED_LINE);
    expect(r.responseFlags).toEqual(['UF', 'URX']);
    expect(r.upstreamTransportFailureReason).toBe('delayed_connect_error:_Connection_refused');
    expect(r.upstreamCluster).toBe('outbound|9080|v2|ratings.default.svc.cluster.local');
    expect(r.routeName).toBe('ratings.v2');
    expect(r.destination).toEqual({ service: 'ratings.default.svc.cluster.local', serviceName: 'ratings', serviceNamespace: 'default' });
  });

  it('reads NR at a gateway: no cluster, so the reporter is unknown and the service comes from the host', () => {
    const r = parseIstioTextLine(NO_ROUTE_LINE);
    expect(r.responseCode).toBe(404);
    expect(r.responseFlags).toEqual(['NR']);
    expect(r.forwardedFor).toBe('203.0.113.45');
    expect(r.upstreamCluster).toBeUndefined();
    expect(r.routeName).toBeUndefined();
    expect(r.reporter).toBe('unknown');
    expect(r.destination).toEqual({ service: 'bookinfo.example.com', serviceName: 'bookinfo', serviceNamespace: undefined });
  });

  it('reads a downstream disconnect: code 0 with flag DC is still an HTTP entry', () => {
    const r = parseIstioTextLine(DOWNSTREAM_DISCONNECT_LINE);
    expect(r.kind).toBe('http');
    expect(r.responseCode).toBe(0);
    expect(r.responseFlags).toEqual(['DC']);
    expect(r.durationUs).toBe(1_203_000);
    expect(r.reporter).toBe('destination');
    expect(r.destination.service).toBe('productpage.default.svc.cluster.local');
  });

  it('names BlackHoleCluster as the service name of blocked egress', () => {
    const r = parseIstioTextLine(BLACKHOLE_LINE);
    expect(r.reporter).toBe('source');
    expect(r.routeName).toBe('block_all');
    expect(r.destination).toMatchObject({ service: 'api.exchange.example', serviceName: 'BlackHoleCluster' });
  });

  it('reads passthrough TCP egress with its SNI and no authority', () => {
    const r = parseIstioTextLine(PASSTHROUGH_TCP_LINE);
    expect(r.kind).toBe('tcp');
    expect(r.requestedServerName).toBe('www.google.com');
    expect(r.destination.serviceName).toBe('PassthroughCluster');
    expect(r.destination.service).toBeUndefined();
    expect(r.mtls).toBeUndefined();
  });

  it('tolerates the trailing newline and CRLF', () => {
    const plain = parseIstioTextLine(OUTBOUND_LINE);
    expect(parseIstioTextLine(`${OUTBOUND_LINE}\n`)).toEqual(plain);
    expect(parseIstioTextLine(`${OUTBOUND_LINE}\r\n`)).toEqual(plain);
  });

  it('applies caller defaults where the line is silent and lets the line win elsewhere', () => {
    const r = parseIstioTextLine(OUTBOUND_LINE, {
      defaults: { input: 'otlp', logName: 'otel_envoy_accesslog', method: 'PUT', attributes: { pod: 'productpage-v1-6b746f74dc-9stp2' } },
      reportingWorkload: { workload: 'productpage-v1', namespace: 'default' },
    });
    expect(r.input).toBe('otlp');
    expect(r.logName).toBe('otel_envoy_accesslog');
    expect(r.method).toBe('GET');
    expect(r.attributes).toEqual({ pod: 'productpage-v1-6b746f74dc-9stp2' });
    // An outbound entry is written by the caller's proxy: the reporting workload is the source.
    expect(r.source).toEqual({ workload: 'productpage-v1', namespace: 'default' });
    expect(r.destination.workload).toBeUndefined();
  });

  it('puts the reporting workload on the destination side for an inbound entry', () => {
    const r = parseIstioTextLine(INBOUND_LINE, { reportingWorkload: { workload: 'reviews-v1', namespace: 'default' } });
    expect(r.destination).toMatchObject({ workload: 'reviews-v1', namespace: 'default', serviceName: 'reviews' });
    expect(r.source).toEqual({});
  });

  it('gives the same line the same id every time', () => {
    expect(parseIstioTextLine(OUTBOUND_LINE).id).toBe(parseIstioTextLine(OUTBOUND_LINE).id);
  });
});

describe('parseIstioTextLine — bad lines', () => {
  it.each(Object.entries(GARBAGE_LINES))('rejects %s with an AccessLogParseError', (_name, line) => {
    expect(() => parseAccessLogLine(line)).toThrow(AccessLogParseError);
  });

  it('names the field and the value when fields are shifted', () => {
    expect(() => parseIstioTextLine(GARBAGE_LINES.shiftedFields)).toThrow(/%RESPONSE_FLAGS% \(field 6\).*"via_upstream"/);
  });

  it('names the start time and the value when it is not a time', () => {
    expect(() => parseIstioTextLine(GARBAGE_LINES.badTime)).toThrow(/%START_TIME% \(field 1\).*"yesterday"/);
  });

  it('names the response code when it is not a number', () => {
    const line = OUTBOUND_LINE.replace('HTTP/1.1" 200 -', 'HTTP/1.1" abc -');
    expect(() => parseIstioTextLine(line)).toThrow(/%RESPONSE_CODE% \(field 5\).*"abc"/);
  });

  it('says where a truncated line ends', () => {
    expect(() => parseIstioTextLine(GARBAGE_LINES.truncated)).toThrow(/line ends inside %DURATION%/);
  });

  it('rejects an empty line', () => {
    expect(() => parseIstioTextLine('\n')).toThrow(/empty/);
  });

  it('rejects a line with a start time of "-" because a record needs a time', () => {
    const line = OUTBOUND_LINE.replace('[2026-08-21T10:15:02.123Z]', '[-]');
    expect(() => parseIstioTextLine(line)).toThrow(/no start time/);
  });

  it('accepts a line with a start time of "-" when the caller supplies the time', () => {
    const line = OUTBOUND_LINE.replace('[2026-08-21T10:15:02.123Z]', '[-]');
    expect(parseIstioTextLine(line, { defaults: { startTimeUnixNano: 42n } }).startTimeUnixNano).toBe(42n);
  });

  it('parses a huge line without trouble when it is well-formed, and fails fast when it is not', () => {
    const longPath = `/search?q=${'x'.repeat(200_000)}`;
    const line = OUTBOUND_LINE.replace('/reviews/0', longPath);
    expect(parseIstioTextLine(line).path).toBe(longPath);
    const garbage = `[2026-08-21T10:15:02.123Z] "${'a '.repeat(100_000)}`;
    const started = performance.now();
    expect(() => parseIstioTextLine(garbage)).toThrow(AccessLogParseError);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('parseAccessLogLine', () => {
  it('tells JSON from TEXT and reads both to the same record', () => {
    const fromJson = parseAccessLogLine(INBOUND_JSON_LINE);
    const fromText = parseAccessLogLine(INBOUND_LINE);
    expect(fromJson).toEqual(fromText);
  });
});
