import { describe, expect, it } from 'vitest';
import { parseAccessLogLine } from '../../shared/accesslog/access-log-line.js';
import { AccessLogParseError } from '../../shared/accesslog/errors.js';
import { parseIstioJsonLine } from '../../shared/accesslog/istio-json.js';
import { parseIstioTextLine } from '../../shared/accesslog/istio-text.js';
import {
  INBOUND_JSON_LINE,
  INBOUND_LINE,
  RETRIES_EXHAUSTED_JSON_LINE,
  RETRIES_EXHAUSTED_LINE,
  TCP_JSON_LINE,
  TCP_LINE,
} from '../fixtures/istio-lines.js';

/** The JSON fixture with one key replaced (the value given as JSON text). */
function withKey(key: string, json: string): string {
  const entry = JSON.parse(INBOUND_JSON_LINE) as Record<string, unknown>;
  entry[key] = JSON.parse(json);
  return JSON.stringify(entry);
}

describe('parseIstioJsonLine', () => {
  it('reads the reference JSON line field by field', () => {
    const r = parseIstioJsonLine(INBOUND_JSON_LINE);
    const { id, ...rest } = r;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(rest).toEqual({
      kind: 'http',
      input: 'lines',
      startTimeUnixNano: 1_787_307_302_126_000_000n,
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

  it('reads the same entry as its TEXT form, id included', () => {
    expect(parseIstioJsonLine(INBOUND_JSON_LINE)).toEqual(parseIstioTextLine(INBOUND_LINE));
  });

  it('reads a TCP entry whose HTTP keys are null, in any key order', () => {
    expect(parseIstioJsonLine(TCP_JSON_LINE)).toEqual(parseIstioTextLine(TCP_LINE));
    expect(parseIstioJsonLine(TCP_JSON_LINE).kind).toBe('tcp');
  });

  it('reads flags, and keeps the keys an operator added (trace context as ids, others as attributes)', () => {
    const r = parseIstioJsonLine(RETRIES_EXHAUSTED_JSON_LINE);
    expect(r.responseFlags).toEqual(['UF', 'URX']);
    expect(r.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(r.spanId).toBe('00f067aa0ba902b7');
    expect(r.attributes).toEqual({ pod: 'reviews-v2-7c9b5d8f4-q8wzt' });
    const text = parseIstioTextLine(RETRIES_EXHAUSTED_LINE);
    expect({ ...r, id: '', traceId: undefined, spanId: undefined, attributes: {} }).toEqual({ ...text, id: '' });
  });

  it('accepts numbers written as strings, as some shippers re-encode them', () => {
    const r = parseIstioJsonLine(withKey('response_code', '"503"'));
    expect(r.responseCode).toBe(503);
  });

  it.each([
    ['response_code', '"abc"', /response_code: expected a non-negative integer, found "abc"/],
    ['duration', '{}', /duration: expected a string or number, found \{\}/],
    ['bytes_sent', '-5', /bytes_sent: expected a non-negative integer, found "-5"/],
    ['duration', '1.5', /duration: expected a non-negative integer/],
    ['method', 'true', /method: expected a string or number, found true/],
    ['path', '["/a"]', /path: expected a string or number/],
    ['start_time', '"last tuesday"', /start_time: expected a time/],
    ['response_flags', '"not flags"', /response_flags: expected Envoy response flags/],
  ])('rejects %s = %s, naming the key and the value', (key, json, message) => {
    const line = withKey(key, json);
    expect(() => parseIstioJsonLine(line)).toThrow(AccessLogParseError);
    expect(() => parseIstioJsonLine(line)).toThrow(message);
  });

  it('names the key on the error object too', () => {
    try {
      parseIstioJsonLine(withKey('response_code', '"abc"'));
      expect.unreachable();
    } catch (err) {
      expect((err as AccessLogParseError).field).toBe('response_code');
    }
  });

  it('rejects JSON that is not an object, and text that is not JSON', () => {
    expect(() => parseIstioJsonLine('[1,2]')).toThrow(/must be an object/);
    expect(() => parseIstioJsonLine('"a string"')).toThrow(/must be an object/);
    expect(() => parseIstioJsonLine('{"start_time": ')).toThrow(/not valid JSON/);
  });

  it('rejects an entry without a start time', () => {
    expect(() => parseIstioJsonLine(withKey('start_time', 'null'))).toThrow(/no start time/);
  });
});

describe('parseAccessLogLine with shipper records', () => {
  it('unwraps Fluent Bit records and takes the reporting workload from the kubernetes filter', () => {
    const shipped = JSON.stringify({
      date: 1787307302.13,
      log: `${INBOUND_LINE}`,
      stream: 'stdout',
      kubernetes: {
        pod_name: 'reviews-v1-5d8f7c9b6-x2kqp',
        namespace_name: 'default',
        container_name: 'istio-proxy',
        labels: { app: 'reviews', version: 'v1', 'service.istio.io/canonical-name': 'reviews', 'pod-template-hash': '5d8f7c9b6' },
      },
    });
    const r = parseAccessLogLine(shipped);
    expect(r.reporter).toBe('destination');
    expect(r.destination).toEqual({
      workload: 'reviews-v1',
      namespace: 'default',
      canonicalService: 'reviews',
      canonicalRevision: 'v1',
      app: 'reviews',
      version: 'v1',
      service: 'reviews.default.svc.cluster.local',
      serviceName: 'reviews',
      serviceNamespace: 'default',
    });
    expect(r.source).toEqual({});
    expect(r.attributes).toEqual({});
  });

  it('unwraps Vector records holding an Istio JSON line, reading its kubernetes metadata names', () => {
    const shipped = JSON.stringify({
      message: RETRIES_EXHAUSTED_JSON_LINE,
      kubernetes: { pod_name: 'productpage-v1-6b746f74dc-9stp2', pod_namespace: 'bookinfo', pod_labels: { app: 'productpage' } },
    });
    const r = parseAccessLogLine(shipped);
    expect(r.reporter).toBe('source');
    expect(r.source).toEqual({ workload: 'productpage-v1', namespace: 'bookinfo', canonicalService: 'productpage', canonicalRevision: 'latest', app: 'productpage' });
    expect(r.responseFlags).toEqual(['UF', 'URX']);
  });

  it('reads Istio JSON merged into a shipper record, without storing the metadata as an attribute', () => {
    const merged = { ...JSON.parse(INBOUND_JSON_LINE), kubernetes: { pod_name: 'reviews-v1-5d8f7c9b6-x2kqp', namespace_name: 'default' }, stream: 'stdout' };
    const r = parseAccessLogLine(JSON.stringify(merged));
    expect(r.destination.workload).toBe('reviews-v1');
    expect(r.attributes).toEqual({ stream: 'stdout' });
  });

  it('reports the inner line problem for a shipped garbage line', () => {
    expect(() => parseAccessLogLine(JSON.stringify({ log: 'Envoy proxy is ready' }))).toThrow(AccessLogParseError);
  });
});
