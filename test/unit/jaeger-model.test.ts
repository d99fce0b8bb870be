import { describe, expect, it } from 'vitest';
import { toJaegerTrace } from '../../services/query/jaeger/from-spans.js';
import { SpanKind, StatusCode } from '../../shared/model/span.js';
import { BASE_US, double, emptyValue, resourceOf, span, spanIdOf, traceIdOf } from '../fixtures/spans.js';

const TRACE = traceIdOf('4bf92f3577b34da6a3ce929d0e0e4736');

describe('Jaeger JSON trace model', () => {
  it('maps a rich span field for field, in Jaeger order', () => {
    const rich = span({
      traceId: TRACE,
      spanId: '00f067aa0ba902b7',
      parentSpanId: '1111111111111111',
      name: 'POST /checkout',
      service: 'checkout',
      kind: SpanKind.CLIENT,
      startUs: BASE_US + 5,
      durationUs: 1500,
      flags: 1,
      traceState: 'rojo=00f067aa0ba902b7',
      resourceAttrs: { 'host.name': 'node-1', 'process.pid': 42 },
      scope: { name: 'io.opentelemetry.http', version: '1.2.3' },
      attrs: {
        'http.method': 'POST',
        'http.status_code': 503,
        retried: true,
        ratio: 0.25,
        whole: double(2),
        huge: 9_007_199_254_740_993n,
        tiny: -9_007_199_254_740_993n,
        safe: 9_007_199_254_740_991n,
        raw: new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
        list: ['a', 1, true, 9_007_199_254_740_993n],
        map: { z: 1, a: { b: 'c' } },
        nothing: emptyValue(),
      },
      events: [
        { name: 'retry', timeUs: BASE_US + 100, attrs: { attempt: 2 } },
        { name: 'exception', timeUs: BASE_US + 200, attrs: { event: 'custom', 'exception.type': 'Timeout' } },
        { name: '', timeUs: BASE_US + 300, attrs: { only: 'attrs' } },
      ],
      links: [
        { traceId: traceIdOf('abc'), spanId: spanIdOf('def') },
        { traceId: TRACE, spanId: '2222222222222222', attrs: { 'opentracing.ref_type': 'child_of' } },
      ],
      status: { code: StatusCode.ERROR, message: 'upstream reset' },
    });

    expect(JSON.stringify(toJaegerTrace([rich]))).toBe(
      JSON.stringify({
        traceID: '4bf92f3577b34da6a3ce929d0e0e4736',
        spans: [
          {
            traceID: '4bf92f3577b34da6a3ce929d0e0e4736',
            spanID: '00f067aa0ba902b7',
            flags: 1,
            operationName: 'POST /checkout',
            references: [
              { refType: 'CHILD_OF', traceID: '4bf92f3577b34da6a3ce929d0e0e4736', spanID: '1111111111111111' },
              { refType: 'FOLLOWS_FROM', traceID: '0000000000000abc', spanID: '0000000000000def' },
              { refType: 'CHILD_OF', traceID: '4bf92f3577b34da6a3ce929d0e0e4736', spanID: '2222222222222222' },
            ],
            startTime: BASE_US + 5,
            duration: 1500,
            tags: [
              { key: 'otel.scope.name', type: 'string', value: 'io.opentelemetry.http' },
              { key: 'otel.scope.version', type: 'string', value: '1.2.3' },
              { key: 'http.method', type: 'string', value: 'POST' },
              { key: 'http.status_code', type: 'int64', value: 503 },
              { key: 'retried', type: 'bool', value: true },
              { key: 'ratio', type: 'float64', value: 0.25 },
              { key: 'whole', type: 'float64', value: 2 },
              { key: 'huge', type: 'int64', value: '9007199254740993' },
              { key: 'tiny', type: 'int64', value: '-9007199254740993' },
              { key: 'safe', type: 'int64', value: 9007199254740991 },
              { key: 'raw', type: 'binary', value: '3q2+7w==' },
              { key: 'list', type: 'string', value: '["a",1,true,9007199254740993]' },
              { key: 'map', type: 'string', value: '{"a":{"b":"c"},"z":1}' },
              { key: 'nothing', type: 'string', value: '' },
              { key: 'span.kind', type: 'string', value: 'client' },
              { key: 'otel.status_code', type: 'string', value: 'ERROR' },
              { key: 'error', type: 'bool', value: true },
              { key: 'otel.status_description', type: 'string', value: 'upstream reset' },
              { key: 'w3c.tracestate', type: 'string', value: 'rojo=00f067aa0ba902b7' },
            ],
            logs: [
              {
                timestamp: BASE_US + 100,
                fields: [
                  { key: 'event', type: 'string', value: 'retry' },
                  { key: 'attempt', type: 'int64', value: 2 },
                ],
              },
              {
                timestamp: BASE_US + 200,
                fields: [
                  { key: 'event', type: 'string', value: 'custom' },
                  { key: 'exception.type', type: 'string', value: 'Timeout' },
                ],
              },
              { timestamp: BASE_US + 300, fields: [{ key: 'only', type: 'string', value: 'attrs' }] },
            ],
            processID: 'p1',
            warnings: null,
          },
        ],
        processes: {
          p1: {
            serviceName: 'checkout',
            tags: [
              { key: 'host.name', type: 'string', value: 'node-1' },
              { key: 'process.pid', type: 'int64', value: 42 },
            ],
          },
        },
        warnings: null,
      }),
    );
  });

  it('prints 64-bit trace ids as 16 characters, omits flags of 0, and has no references for a root', () => {
    const trace = toJaegerTrace([span({ traceId: traceIdOf('00000000000000000000000000000abc'), spanId: spanIdOf(1) })]);
    expect(trace?.traceID).toBe('0000000000000abc');
    expect(trace?.spans[0]).not.toHaveProperty('flags');
    expect(trace?.spans[0].references).toEqual([]);
    expect(trace?.spans[0].traceID).toBe('0000000000000abc');
  });

  it('lets a link to the parent retype the parent reference instead of adding one', () => {
    const s = span({
      traceId: TRACE,
      parentSpanId: spanIdOf(1),
      links: [{ traceId: TRACE, spanId: spanIdOf(1) }],
    });
    expect(toJaegerTrace([s])?.spans[0].references).toEqual([
      { refType: 'FOLLOWS_FROM', traceID: '4bf92f3577b34da6a3ce929d0e0e4736', spanID: spanIdOf(1) },
    ]);
  });

  it('adds span.kind only for known kinds, otel.status_code OK without error, and nothing for UNSET', () => {
    const tags = (kind: SpanKind, code: StatusCode) =>
      toJaegerTrace([span({ kind, status: { code } })])?.spans[0].tags.map((t) => `${t.key}=${String(t.value)}`);
    expect(tags(SpanKind.UNSPECIFIED, StatusCode.UNSET)).toEqual([]);
    expect(tags(SpanKind.SERVER, StatusCode.OK)).toEqual(['span.kind=server', 'otel.status_code=OK']);
    expect(tags(SpanKind.INTERNAL, StatusCode.UNSET)).toEqual(['span.kind=internal']);
    expect(tags(SpanKind.PRODUCER, StatusCode.UNSET)).toEqual(['span.kind=producer']);
    expect(tags(SpanKind.CONSUMER, StatusCode.UNSET)).toEqual(['span.kind=consumer']);
  });

  it('numbers processes p1, p2… once per distinct service and resource tags, sharing equal ones', () => {
    const a1 = span({ traceId: TRACE, service: 'a', startUs: BASE_US });
    const b = span({ traceId: TRACE, service: 'b', startUs: BASE_US + 1 });
    // An equal resource that is a different object (as read back from a database).
    const a2 = span({ traceId: TRACE, service: 'a', startUs: BASE_US + 2, resource: { ...resourceOf('a') } });
    const aOtherPod = span({ traceId: TRACE, service: 'a', startUs: BASE_US + 3, resourceAttrs: { pod: '2' } });
    const trace = toJaegerTrace([aOtherPod, a2, b, a1]);
    expect(trace?.spans.map((s) => s.processID)).toEqual(['p1', 'p2', 'p1', 'p3']);
    expect(trace?.processes).toEqual({
      p1: { serviceName: 'a', tags: [] },
      p2: { serviceName: 'b', tags: [] },
      p3: { serviceName: 'a', tags: [{ key: 'pod', type: 'string', value: '2' }] },
    });
  });

  it('orders spans by start time whatever order they come in, and maps no spans to nothing', () => {
    const late = span({ traceId: TRACE, spanId: spanIdOf(2), startUs: BASE_US + 10 });
    const early = span({ traceId: TRACE, spanId: spanIdOf(1), startUs: BASE_US });
    expect(toJaegerTrace([late, early])?.spans.map((s) => s.spanID)).toEqual([spanIdOf(1), spanIdOf(2)]);
    expect(toJaegerTrace([])).toBeUndefined();
  });

  it('never reports a negative duration', () => {
    const s = span();
    const backwards = { ...s, endTimeUnixNano: s.startTimeUnixNano - 5000n };
    expect(toJaegerTrace([backwards])?.spans[0].duration).toBe(0);
  });
});
