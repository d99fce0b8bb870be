import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BufferFullError, BufferUnavailableError } from '../../shared/buffer/buffer.js';
import { serviceNameOf, type Resource, type SpanRecord } from '../../shared/model/span.js';
import { TooManySpansError } from '../../shared/otlp/traces/limits.js';
import { decodeTracesProtobuf, encodeTracesProtobuf } from '../../shared/otlp/traces/traces.js';
import { createMetrics } from '../support/metrics.js';
import { TraceIntake } from '../../services/collector/intake/trace-intake.js';
import { RecordingBuffer } from '../support/recording-buffer.js';
import { counterValue } from '../support/self-metrics.js';

const resource: Resource = {
  attributes: [{ key: 'service.name', value: { type: 'string', value: 'checkout' } }],
  droppedAttributesCount: 0,
  schemaUrl: '',
};

function span(traceId: string, spanId: string, name = 'op'): SpanRecord {
  return {
    traceId,
    spanId,
    parentSpanId: '',
    traceState: '',
    flags: 1,
    name,
    kind: 2,
    startTimeUnixNano: 1_700_000_000_000_000_000n,
    endTimeUnixNano: 1_700_000_000_001_000_000n,
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
    resource,
    scope: { name: 'test', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
    serviceName: serviceNameOf(resource),
  };
}

const TRACE_A = 'a'.repeat(32);
const TRACE_B = 'b'.repeat(32);

function setup(maxSpansPerRequest = 100) {
  const buffer = new RecordingBuffer();
  const metrics = createMetrics();
  const intake = new TraceIntake({
    buffer,
    metrics,
    logger: pino({ level: 'silent' }),
    limits: { maxSpansPerRequest, maxAttributesPerSpan: 128, maxAttributeValueLength: 1024 },
  });
  return { buffer, metrics, intake };
}

describe('TraceIntake', () => {
  it('buffers one record per trace, keyed by trace id, holding exactly that trace’s spans', async () => {
    const { buffer, intake } = setup();
    const partial = await intake.accept(
      [span(TRACE_A, '1'.repeat(16), 'a1'), span(TRACE_B, '2'.repeat(16), 'b1'), span(TRACE_A, '3'.repeat(16), 'a2')],
      'otlp_http',
    );

    expect(partial).toEqual({ rejectedSpans: 0, errorMessage: '' });
    expect(buffer.published).toHaveLength(1);
    const records = buffer.published[0];
    expect(records.map((r) => [r.topic, r.key])).toEqual([
      ['spans', TRACE_A],
      ['spans', TRACE_B],
    ]);
    expect(decodeTracesProtobuf(records[0].value).map((s) => s.name)).toEqual(['a1', 'a2']);
    const b = decodeTracesProtobuf(records[1].value);
    expect(b.map((s) => [s.traceId, s.spanId, s.serviceName])).toEqual([[TRACE_B, '2'.repeat(16), 'checkout']]);
  });

  it('buffers one record per partition where the buffer has partitions, each trace whole on the partition its id maps to', async () => {
    const TRACE_C = 'c'.repeat(32);
    const { buffer, intake } = setup();
    const partitions = new Map([[TRACE_A, 0], [TRACE_B, 1], [TRACE_C, 0]]);
    buffer.partitionOf = (_topic, key) => partitions.get(key);
    await intake.accept(
      [span(TRACE_A, '1'.repeat(16), 'a1'), span(TRACE_B, '2'.repeat(16), 'b1'), span(TRACE_C, '4'.repeat(16), 'c1'), span(TRACE_A, '3'.repeat(16), 'a2')],
      'otlp_http',
    );

    const records = buffer.published[0];
    // Keyed by the first trace of each partition; every trace id in a record maps to its key's partition.
    expect(records.map((r) => r.key)).toEqual([TRACE_A, TRACE_B]);
    expect(records.every((r) => r.packable)).toBe(true);
    expect(decodeTracesProtobuf(records[0].value).map((s) => [s.traceId, s.name])).toEqual([
      [TRACE_A, 'a1'], [TRACE_A, 'a2'], [TRACE_C, 'c1'],
    ]);
    expect(decodeTracesProtobuf(records[1].value).map((s) => s.name)).toEqual(['b1']);
    // The spans a record carries are the ones its value encodes.
    for (const r of records) expect(decodeTracesProtobuf(r.value)).toEqual(r.spans);
  });

  it('buffers a whole request as one record where the buffer keeps every trace together (in-process)', async () => {
    const { buffer, intake } = setup();
    buffer.partitionOf = () => 0;
    const spans = [span(TRACE_A, '1'.repeat(16), 'a1'), span(TRACE_B, '2'.repeat(16), 'b1'), span(TRACE_A, '3'.repeat(16), 'a2')];
    await intake.accept(spans, 'otlp_http');

    const records = buffer.published[0];
    expect(records.map((r) => [r.topic, r.key, r.packable])).toEqual([['spans', TRACE_A, true]]);
    expect(decodeTracesProtobuf(records[0].value).map((s) => s.name)).toEqual(['a1', 'b1', 'a2']);
    expect(decodeTracesProtobuf(records[0].value)).toEqual(records[0].spans);
  });

  it('buffers the request’s own bytes when every span is taken as it came, and encodes the spans otherwise', async () => {
    const { buffer, intake } = setup();
    buffer.partitionOf = () => 0;
    const request = encodeTracesProtobuf([span(TRACE_A, '1'.repeat(16), 'a1'), span(TRACE_B, '2'.repeat(16), 'b1')]);
    const spans = decodeTracesProtobuf(request, { keepEncodedSpans: true });
    await intake.accept(spans, 'otlp_grpc', undefined, request);
    expect(buffer.published[0]).toHaveLength(1);
    expect(buffer.published[0][0].value).toBe(request);
    expect(buffer.published[0][0].spans).toEqual(spans);

    // A span rejected: the bytes would still hold it, so the accepted spans are encoded.
    const withBad = encodeTracesProtobuf([span(TRACE_A, '1'.repeat(16), 'a1'), span(TRACE_B, '0'.repeat(16), 'bad')]);
    await intake.accept(decodeTracesProtobuf(withBad, { keepEncodedSpans: true }), 'otlp_grpc', undefined, withBad);
    expect(buffer.published[1][0].value).not.toBe(withBad);
    expect(decodeTracesProtobuf(buffer.published[1][0].value).map((s) => s.name)).toEqual(['a1']);

    // A tenant stamped on the resources: the bytes lack it.
    await intake.accept(decodeTracesProtobuf(request, { keepEncodedSpans: true }), 'otlp_grpc', 'team-a', request);
    expect(buffer.published[2][0].value).not.toBe(request);
    const stamped = decodeTracesProtobuf(buffer.published[2][0].value);
    expect(stamped).toEqual(buffer.published[2][0].spans);
    expect(stamped.every((s) => s.resource.attributes.length > 1)).toBe(true);
  });

  it('encodes the spans per partition even with the request bytes at hand when traces go to several partitions', async () => {
    const { buffer, intake } = setup();
    buffer.partitionOf = (_topic, key) => (key === TRACE_A ? 0 : 1);
    const request = encodeTracesProtobuf([span(TRACE_A, '1'.repeat(16), 'a1'), span(TRACE_B, '2'.repeat(16), 'b1')]);
    await intake.accept(decodeTracesProtobuf(request, { keepEncodedSpans: true }), 'otlp_grpc', undefined, request);
    expect(buffer.published[0].map((r) => [r.key, decodeTracesProtobuf(r.value).map((s) => s.name)])).toEqual([[TRACE_A, ['a1']], [TRACE_B, ['b1']]]);
  });

  it('falls back to one record per trace while the buffer cannot tell partitions', async () => {
    const { buffer, intake } = setup();
    buffer.partitionOf = () => undefined;
    await intake.accept([span(TRACE_A, '1'.repeat(16)), span(TRACE_B, '2'.repeat(16)), span(TRACE_A, '3'.repeat(16))], 'otlp_http');
    expect(buffer.published[0].map((r) => [r.key, decodeTracesProtobuf(r.value).length])).toEqual([[TRACE_A, 2], [TRACE_B, 1]]);
  });

  it('rejects spans with zero or short ids as partial success and buffers the rest', async () => {
    const { buffer, metrics, intake } = setup();
    const partial = await intake.accept(
      [span(TRACE_A, '1'.repeat(16)), span('0'.repeat(32), '2'.repeat(16)), span(TRACE_A, 'abcd')],
      'otlp_grpc',
    );

    expect(partial.rejectedSpans).toBe(2);
    expect(partial.errorMessage).not.toBe('');
    expect(buffer.published.flat().map((r) => r.key)).toEqual([TRACE_A]);
    expect(decodeTracesProtobuf(buffer.published[0][0].value)).toHaveLength(1);
    expect(await counterValue(metrics, 'spansReceived', { transport: 'otlp_grpc' })).toBe(3);
    expect(await counterValue(metrics, 'spansAccepted', { transport: 'otlp_grpc' })).toBe(1);
    expect(await counterValue(metrics, 'spansRefused', { transport: 'otlp_grpc', reason: 'invalid_trace_id' })).toBe(1);
    expect(await counterValue(metrics, 'spansRefused', { transport: 'otlp_grpc', reason: 'invalid_span_id' })).toBe(1);
  });

  it('answers only after the buffer has taken the records', async () => {
    const { buffer, intake } = setup();
    let open!: () => void;
    buffer.gate = new Promise((resolve) => (open = resolve));
    let settled = false;
    const pending = intake.accept([span(TRACE_A, '1'.repeat(16))], 'otlp_http').then(() => (settled = true));

    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).toBe(false);
    open();
    await pending;
    expect(settled).toBe(true);
  });

  it('passes a buffer refusal on to the receiver and counts the spans as not accepted', async () => {
    const { buffer, metrics, intake } = setup();
    buffer.refuse = new BufferFullError('full', 2);
    await expect(intake.accept([span(TRACE_A, '1'.repeat(16))], 'otlp_http')).rejects.toBeInstanceOf(BufferFullError);
    buffer.refuse = new BufferUnavailableError('down');
    await expect(intake.accept([span(TRACE_A, '1'.repeat(16))], 'otlp_http')).rejects.toBeInstanceOf(
      BufferUnavailableError,
    );

    expect(await counterValue(metrics, 'spansAccepted', { transport: 'otlp_http' })).toBe(0);
    expect(await counterValue(metrics, 'spansRefused', { transport: 'otlp_http', reason: 'buffer_full' })).toBe(1);
    expect(await counterValue(metrics, 'spansRefused', { transport: 'otlp_http', reason: 'buffer_unavailable' })).toBe(1);
  });

  it('refuses a request over the span limit whole, buffering nothing', async () => {
    const { buffer, metrics, intake } = setup(2);
    const spans = [1, 2, 3].map((i) => span(TRACE_A, String(i).repeat(16)));
    await expect(intake.accept(spans, 'otlp_http')).rejects.toBeInstanceOf(TooManySpansError);
    expect(buffer.published).toHaveLength(0);
    expect(await counterValue(metrics, 'spansRefused', { transport: 'otlp_http', reason: 'too_many_spans' })).toBe(3);
  });

  it('answers an empty request with full success without touching the buffer', async () => {
    const { buffer, intake } = setup();
    buffer.refuse = new BufferUnavailableError('down');
    expect(await intake.accept([], 'otlp_http')).toEqual({ rejectedSpans: 0, errorMessage: '' });
    expect(buffer.published).toHaveLength(0);
  });
});
