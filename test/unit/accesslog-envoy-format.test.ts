import { describe, expect, it } from 'vitest';
import { ISTIO_TEXT_FORMAT, compileEnvoyFormat, istioTextFormat } from '../../shared/accesslog/envoy-format.js';
import { AccessLogParseError, EnvoyFormatError } from '../../shared/accesslog/errors.js';
import { parseIstioTextLine } from '../../shared/accesslog/istio-text.js';
import { loadConfig } from '../../services/settings.js';
import { OUTBOUND_LINE } from '../fixtures/istio-lines.js';

/** A mesh's custom format (meshConfig.accessLogFormat) carrying trace context, principals and a pod label. */
const CUSTOM_FORMAT =
  '%START_TIME(%Y-%m-%dT%H:%M:%E6SZ)% %REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH):256% %RESPONSE_CODE% %RESPONSE_FLAGS% ' +
  'dur=%DURATION% up=%UPSTREAM_CLUSTER% tp=%REQ(TRACEPARENT)% peer=%DOWNSTREAM_PEER_URI_SAN% local=%DOWNSTREAM_LOCAL_URI_SAN% ' +
  'pod=%ENVIRONMENT(POD_NAME)% ct=%REQ(CONTENT-TYPE)% grpc=%GRPC_STATUS% 100%% done\n';

/** What an Envoy configured with CUSTOM_FORMAT writes for one inbound gRPC request. */
const CUSTOM_LINE =
  '2026-08-21T10:15:02.126512Z POST /orders.v1.Orders/Create 200 - dur=7 up=inbound|8080|| ' +
  'tp=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 peer=spiffe://cluster.local/ns/frontend/sa/checkout ' +
  'local=spiffe://cluster.local/ns/shop/sa/orders pod=orders-v1-7f9c8d6b5-m4n2p ct=application/grpc grpc=Unavailable 100% done';

describe('compileEnvoyFormat', () => {
  it('compiles Istio\'s default TEXT format into its 24 operators, in order', () => {
    const format = istioTextFormat();
    expect(format.format).toBe(ISTIO_TEXT_FORMAT);
    expect(format.operators).toHaveLength(24);
    expect(format.operators[0]).toMatchObject({ command: 'START_TIME', position: 1 });
    expect(format.operators[2]).toMatchObject({ command: 'REQ', args: 'X-ENVOY-ORIGINAL-PATH?:PATH', text: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%' });
    expect(format.operators[23]).toMatchObject({ command: 'ROUTE_NAME', position: 24 });
  });

  it('reads operator arguments holding ":" "?" and "%", and a max-length suffix', () => {
    const format = compileEnvoyFormat(CUSTOM_FORMAT);
    expect(format.operators[0]).toMatchObject({ command: 'START_TIME', args: '%Y-%m-%dT%H:%M:%E6SZ' });
    expect(format.operators[2]).toMatchObject({ command: 'REQ', args: 'X-ENVOY-ORIGINAL-PATH?:PATH', text: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH):256%' });
  });

  it('splits a line into the values of its operators, keeping "-" as written', () => {
    const values = istioTextFormat().match(OUTBOUND_LINE);
    expect(values.map((v) => v.value)).toEqual([
      '2026-08-21T10:15:02.123Z', 'GET', '/reviews/0', 'HTTP/1.1', '200', '-', 'via_upstream', '-', '-', '0', '358', '24', '23',
      '-', 'curl/8.5.0', '6d4f2c1a-8f3e-4b7e-9a51-2f0c9d3e7b11', 'reviews:9080', '10.244.1.17:9080',
      'outbound|9080||reviews.default.svc.cluster.local', '10.244.2.9:51234', '10.96.112.40:9080', '10.244.2.9:48812', '-', 'default',
    ]);
  });

  it.each([
    ['%START_TIME', /not closed by '%'/],
    ['%REQ(:METHOD %', /no closing '\)%'/],
    ['[%start_time%]', /does not start an operator/],
    ['%DURATION%%BYTES_SENT%', /have nothing between them/],
    ['no operators at all', /no %OPERATOR%/],
    ['', /empty/],
  ])('refuses the malformed format %j with a clear message', (format, message) => {
    expect(() => compileEnvoyFormat(format)).toThrow(EnvoyFormatError);
    expect(() => compileEnvoyFormat(format)).toThrow(message);
  });

  it('says at which column a line stops matching a literal of the format', () => {
    const format = compileEnvoyFormat('[%START_TIME%] code=%RESPONSE_CODE%');
    expect(() => format.match('2026-08-21T10:15:02.123Z code=200')).toThrow(/column 1: expected "\["/);
    expect(() => format.match('[2026-08-21T10:15:02.123Z] status=200')).toThrow(/line ends inside %START_TIME% \(field 1, from column 2\): no "\] code=" follows/);
    expect(() => format.match('[2026-08-21T10:15:02.123Z] status=200')).toThrow(AccessLogParseError);
  });
});

describe('custom formats through parseIstioTextLine', () => {
  it('round-trips a custom format: every known operator lands in its field, unknown ones in attributes', () => {
    const r = parseIstioTextLine(CUSTOM_LINE, { format: compileEnvoyFormat(CUSTOM_FORMAT) });
    expect(r.startTimeUnixNano).toBe(1_787_307_302_126_512_000n);
    expect(r.method).toBe('POST');
    expect(r.path).toBe('/orders.v1.Orders/Create');
    expect(r.responseCode).toBe(200);
    expect(r.responseFlags).toEqual([]);
    expect(r.durationUs).toBe(7_000);
    expect(r.upstreamCluster).toBe('inbound|8080||');
    expect(r.reporter).toBe('destination');
    expect(r.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(r.spanId).toBe('00f067aa0ba902b7');
    expect(r.source).toEqual({ principal: 'spiffe://cluster.local/ns/frontend/sa/checkout', namespace: 'frontend' });
    expect(r.destination).toEqual({ principal: 'spiffe://cluster.local/ns/shop/sa/orders', namespace: 'shop' });
    expect(r.grpcStatus).toBe('14');
    expect(r.kind).toBe('http');
    expect(r.attributes).toEqual({ 'ENVIRONMENT(POD_NAME)': 'orders-v1-7f9c8d6b5-m4n2p', 'REQ(CONTENT-TYPE)': 'application/grpc' });
  });

  it('ignores a malformed traceparent instead of failing the entry', () => {
    const line = CUSTOM_LINE.replace(/tp=\S+/, 'tp=garbage');
    const r = parseIstioTextLine(line, { format: compileEnvoyFormat(CUSTOM_FORMAT) });
    expect(r.traceId).toBeUndefined();
    expect(r.responseCode).toBe(200);
  });

  it('reads B3 headers, widening a 64-bit trace id', () => {
    const format = compileEnvoyFormat('%START_TIME% %REQ(X-B3-TRACEID)% %REQ(X-B3-SPANID)% %RESPONSE_CODE%');
    const r = parseIstioTextLine('2026-08-21T10:15:02.123Z 80f198ee56343ba8 e457b5a2e4d86bd1 200', { format });
    expect(r.traceId).toBe('000000000000000080f198ee56343ba8');
    expect(r.spanId).toBe('e457b5a2e4d86bd1');
  });

  it('tells HTTP from TCP by the response code when the format has neither method nor protocol', () => {
    const format = compileEnvoyFormat('%START_TIME% %RESPONSE_CODE% %UPSTREAM_CLUSTER%');
    expect(parseIstioTextLine('2026-08-21T10:15:02.123Z 200 outbound|9080||reviews.default.svc.cluster.local', { format }).kind).toBe('http');
    expect(parseIstioTextLine('2026-08-21T10:15:02.123Z 0 outbound|5432||postgres.db.svc.cluster.local', { format }).kind).toBe('tcp');
  });

  it('reads epoch start times', () => {
    const format = compileEnvoyFormat('%START_TIME(%s)% %RESPONSE_CODE%');
    expect(parseIstioTextLine('1787307302 200', { format }).startTimeUnixNano).toBe(1_787_307_302_000_000_000n);
    expect(parseIstioTextLine('1787307302123 200', { format }).startTimeUnixNano).toBe(1_787_307_302_123_000_000n);
  });

  it('reads an ISO time with an offset as the same instant in UTC', () => {
    const format = compileEnvoyFormat('%START_TIME% %RESPONSE_CODE%');
    expect(parseIstioTextLine('2026-08-21T12:15:02.123+02:00 200', { format }).startTimeUnixNano).toBe(
      parseIstioTextLine('2026-08-21T10:15:02.123Z 200', { format }).startTimeUnixNano,
    );
  });
});

describe('MESHTEL_ACCESSLOG_FORMAT', () => {
  it('defaults to Istio\'s format (empty) and accepts a valid custom format', () => {
    expect(loadConfig(new Map(), {}).accessLogFormat).toBe('');
    expect(loadConfig(new Map(), { MESHTEL_ACCESSLOG_FORMAT: CUSTOM_FORMAT }).accessLogFormat).toBe(CUSTOM_FORMAT);
  });

  it('fails start-up naming the setting when the format is malformed', () => {
    expect(() => loadConfig(new Map(), { MESHTEL_ACCESSLOG_FORMAT: '[%START_TIME] %RESPONSE_CODE%' })).toThrow(
      /MESHTEL_ACCESSLOG_FORMAT \/ --accesslog-format = .*not closed by '%'/,
    );
  });

  it('has line limits with defaults', () => {
    const config = loadConfig(new Map(), {});
    expect(config.maxAccessLogLineBytes).toBe(65536);
    expect(config.maxAccessLogLinesPerRequest).toBe(10000);
  });
});
