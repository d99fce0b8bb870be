import { describe, expect, it } from 'vitest';
import { accessLogId as idOfFields } from '../../shared/accesslog/id.js';
import type { AccessLogRecord } from '../../shared/model/access-log.js';

type WithoutId = Omit<AccessLogRecord, 'id'>;

/** Typed as a whole record, as the parsers call it. */
const accessLogId = (record: WithoutId): string => idOfFields(record);

/** productpage's sidecar logs its call to reviews (the reference's outbound TEXT example). */
function outbound(): WithoutId {
  return {
    kind: 'http',
    input: 'lines',
    startTimeUnixNano: 1_787_307_302_123_000_000n,
    durationUs: 24_000,
    reporter: 'source',
    method: 'GET',
    path: '/reviews/0',
    authority: 'reviews:9080',
    protocol: 'HTTP/1.1',
    userAgent: 'curl/8.5.0',
    requestId: '6d4f2c1a-8f3e-4b7e-9a51-2f0c9d3e7b11',
    responseCode: 200,
    responseFlags: [],
    bytesReceived: 0,
    bytesSent: 358,
    upstreamCluster: 'outbound|9080||reviews.default.svc.cluster.local',
    upstreamHost: '10.244.1.17:9080',
    downstreamLocalAddress: '10.96.112.40:9080',
    downstreamRemoteAddress: '10.244.2.9:48812',
    source: { workload: 'productpage-v1', namespace: 'default' },
    destination: { service: 'reviews.default.svc.cluster.local', serviceName: 'reviews' },
    attributes: { pod: 'productpage-v1-6b746f74dc-9stvs', namespace: 'default' },
  };
}

describe('accessLogId', () => {
  it('is 32 lower-case hex characters', () => {
    expect(accessLogId(outbound())).toMatch(/^[0-9a-f]{32}$/);
  });

  it('is the same for the same entry delivered twice (separately built objects, attributes in another order)', () => {
    const again = { ...outbound(), attributes: { namespace: 'default', pod: 'productpage-v1-6b746f74dc-9stvs' } };
    expect(accessLogId(again)).toBe(accessLogId(outbound()));
  });

  it('ignores fields that do not identify the entry (e.g. the user agent)', () => {
    expect(accessLogId({ ...outbound(), userAgent: 'other' })).toBe(accessLogId(outbound()));
  });

  it('differs for the two sidecars of one hop, which log the same request id', () => {
    const inbound: WithoutId = { ...outbound(), reporter: 'destination', upstreamCluster: 'inbound|9080||' };
    expect(accessLogId(inbound)).not.toBe(accessLogId(outbound()));
    expect(accessLogId({ ...outbound(), reporter: 'destination' })).not.toBe(accessLogId(outbound()));
  });

  it.each<[string, Partial<WithoutId>]>([
    ['kind', { kind: 'tcp' }],
    ['input', { input: 'otlp' }],
    ['start time (1 ns later)', { startTimeUnixNano: 1_787_307_302_123_000_001n }],
    ['proxy node id', { proxyNodeId: 'sidecar~10.244.2.9~productpage-v1-6b746f74dc-9stvs.default~default.svc.cluster.local' }],
    ['log name', { logName: 'http_envoy_accesslog' }],
    ['duration', { durationUs: 24_001 }],
    ['request id', { requestId: '0b7e6a52-1c1e-4f0e-8a43-9f2b7d11c0aa' }],
    ['method', { method: 'HEAD' }],
    ['path', { path: '/reviews/1' }],
    ['authority', { authority: 'reviews:9081' }],
    ['response code', { responseCode: 503 }],
    ['upstream cluster', { upstreamCluster: 'outbound|9080|v2|reviews.default.svc.cluster.local' }],
    ['upstream host', { upstreamHost: '10.244.1.18:9080' }],
    ['downstream remote address (another ephemeral port)', { downstreamRemoteAddress: '10.244.2.9:48813' }],
    ['downstream local address', { downstreamLocalAddress: '10.96.112.41:9080' }],
    ['bytes received', { bytesReceived: 1 }],
    ['bytes sent', { bytesSent: 359 }],
    ['source workload', { source: { workload: 'productpage-v2', namespace: 'default' } }],
    ['source namespace', { source: { workload: 'productpage-v1', namespace: 'staging' } }],
    ['destination workload', { destination: { workload: 'reviews-v1' } }],
    ['destination namespace', { destination: { namespace: 'default' } }],
    ['trace id', { traceId: '4bf92f3577b34da6a3ce929d0e0e4736' }],
    ['span id', { spanId: '00f067aa0ba902b7' }],
    ['body', { body: 'x' }],
    ['severity', { severityText: 'INFO' }],
    ['an attribute value', { attributes: { pod: 'productpage-v1-6b746f74dc-zzzzz', namespace: 'default' } }],
    ['an extra attribute', { attributes: { pod: 'productpage-v1-6b746f74dc-9stvs', namespace: 'default', zone: 'a' } }],
  ])('changes when the %s differs', (_field, change) => {
    expect(accessLogId({ ...outbound(), ...change })).not.toBe(accessLogId(outbound()));
  });

  it('tells absent, empty and "-" apart', () => {
    const ids = new Set([
      accessLogId({ ...outbound(), routeName: undefined, requestId: undefined }),
      accessLogId({ ...outbound(), requestId: '' }),
      accessLogId({ ...outbound(), requestId: '-' }),
    ]);
    expect(ids.size).toBe(3);
  });

  it('does not let text slide from one field into the next', () => {
    const a = accessLogId({ ...outbound(), method: 'GET', path: '/a/b' });
    const b = accessLogId({ ...outbound(), method: 'GET/a', path: '/b' });
    const c = accessLogId({ ...outbound(), attributes: { 'a=b': 'c' } });
    const d = accessLogId({ ...outbound(), attributes: { a: 'b=c' } });
    expect(a).not.toBe(b);
    expect(c).not.toBe(d);
  });

  it('gives 10 000 TCP connections opened in the same millisecond 10 000 ids', () => {
    const ids = new Set<string>();
    for (let port = 30_000; port < 40_000; port++) {
      ids.add(accessLogId({
        kind: 'tcp', input: 'lines', startTimeUnixNano: 1_787_307_360_000_000_000n, reporter: 'source', responseFlags: [],
        downstreamRemoteAddress: `10.244.2.9:${port}`, upstreamHost: '10.244.4.8:5432', source: {}, destination: {}, attributes: {},
      }));
    }
    expect(ids.size).toBe(10_000);
  });
});
