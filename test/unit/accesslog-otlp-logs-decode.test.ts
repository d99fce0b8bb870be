import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { decodeLogsJson, decodeLogsProtobuf, positionOf, type OtlpLogRecord } from '../../shared/otlp/logs/logs-decode.js';
import { encodeLogsResponseJson, encodeLogsResponseProtobuf } from '../../shared/otlp/logs/logs-response.js';
import { OtlpDecodeError } from '../../shared/wire/decode-errors.js';
import { INBOUND_LINE } from '../fixtures/istio-lines.js';
import {
  ExportLogsServiceRequest, ExportLogsServiceResponse, SPAN_ID, TRACE_ID, bytesOfHex, envoyOtelAlsJson, envoyOtelAlsRequest,
  sdkLogRecords,
} from '../fixtures/otlp-logs.js';

/** A request using every LogRecord field, encoded by protobufjs. */
function fullRequest(): Uint8Array {
  return ExportLogsServiceRequest.encode(ExportLogsServiceRequest.fromObject({
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }], droppedAttributesCount: 2 },
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
        scopeLogs: [
          {
            scope: { name: 'checkout-logger', version: '2.0.1' },
            logRecords: [
              {
                timeUnixNano: '1787307302500000001',
                observedTimeUnixNano: '1787307302600000000',
                severityNumber: 17,
                severityText: 'ERROR',
                body: { kvlistValue: { values: [{ key: 'items', value: { intValue: '3' } }] } },
                attributes: [{ key: 'retryable', value: { boolValue: false } }],
                droppedAttributesCount: 1,
                flags: 1,
                traceId: bytesOfHex(TRACE_ID),
                spanId: bytesOfHex(SPAN_ID),
                eventName: 'payment.declined',
              },
              { body: { stringValue: 'second' } },
            ],
          },
        ],
      },
    ],
  })).finish();
}

/** What a receiver must keep of a record, in comparable form. */
function essentials(r: OtlpLogRecord) {
  return {
    service: r.resource.attributes.find((kv) => kv.key === 'service.name')?.value,
    scope: `${r.scope.name}@${r.scope.version}`,
    timeUnixNano: r.timeUnixNano,
    severityNumber: r.severityNumber,
    severityText: r.severityText,
    body: r.body,
    attributes: r.attributes,
    traceId: r.traceId,
    spanId: r.spanId,
  };
}

describe('OTLP logs decoding (protobuf)', () => {
  it('reads every LogRecord field, with resource and scope', () => {
    const [first, second] = decodeLogsProtobuf(fullRequest());
    expect(first).toMatchObject({
      timeUnixNano: 1_787_307_302_500_000_001n,
      observedTimeUnixNano: 1_787_307_302_600_000_000n,
      severityNumber: 17,
      severityText: 'ERROR',
      body: { type: 'kvlist', value: [{ key: 'items', value: { type: 'int', value: 3n } }] },
      attributes: [{ key: 'retryable', value: { type: 'bool', value: false } }],
      droppedAttributesCount: 1,
      flags: 1,
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      eventName: 'payment.declined',
    });
    expect(first.resource).toEqual({
      attributes: [{ key: 'service.name', value: { type: 'string', value: 'checkout' } }],
      droppedAttributesCount: 2,
      schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
    });
    expect(first.scope.name).toBe('checkout-logger');
    expect(first.scope.version).toBe('2.0.1');
    // The second record shares its resource and scope objects, and has no severity text at all.
    expect(second.resource).toBe(first.resource);
    expect(second.scope).toBe(first.scope);
    expect(second.severityText).toBeUndefined();
    expect(second.traceId).toBe('');
    expect(positionOf(second)).toBe('resourceLogs[0].scopeLogs[0].logRecords[1]');
  });

  it('reads an envoyOtelAls request: empty resource, the TEXT line with its newline as body', () => {
    const [record] = decodeLogsProtobuf(envoyOtelAlsRequest([{ line: INBOUND_LINE, labels: { pod: 'reviews-v1-5d8f7c9b6-x2kqp' } }]));
    expect(record.resource.attributes).toEqual([]);
    expect(record.body).toEqual({ type: 'string', value: INBOUND_LINE });
    expect(record.timeUnixNano).toBe(1_787_307_302_126_000_000n);
    expect(record.attributes).toEqual([{ key: 'pod', value: { type: 'string', value: 'reviews-v1-5d8f7c9b6-x2kqp' } }]);
  });

  it('keeps ids of the wrong length as hex, for validation to judge', () => {
    const bytes = ExportLogsServiceRequest.encode(ExportLogsServiceRequest.fromObject({
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ traceId: bytesOfHex('abcd'), spanId: bytesOfHex('0102030405060708090a') }] }] }],
    })).finish();
    const [record] = decodeLogsProtobuf(bytes);
    expect(record.traceId).toBe('abcd');
    expect(record.spanId).toBe('0102030405060708090a');
  });

  it('reads severity numbers it does not know as unspecified', () => {
    const bytes = ExportLogsServiceRequest.encode(ExportLogsServiceRequest.fromObject({
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ severityNumber: 99 }] }] }],
    })).finish();
    expect(decodeLogsProtobuf(bytes)[0].severityNumber).toBe(0);
  });

  it('refuses a truncated request, naming where', () => {
    const bytes = fullRequest();
    const cut = bytes.subarray(0, bytes.length - 5);
    expect(() => decodeLogsProtobuf(cut)).toThrow(OtlpDecodeError);
    expect(() => decodeLogsProtobuf(cut)).toThrow(/^invalid protobuf ExportLogsServiceRequest at resourceLogs\[0\]/);
  });

  it('decodes what the OpenTelemetry JS protobuf serializer writes', () => {
    const sdk = sdkLogRecords();
    const records = decodeLogsProtobuf(ProtobufLogsSerializer.serializeRequest(sdk)!);
    expect(records).toHaveLength(2);
    const [error, info] = records;
    expect(essentials(error)).toMatchObject({
      service: { type: 'string', value: 'checkout' },
      scope: 'checkout-logger@2.0.1',
      timeUnixNano: 1_787_307_302_500_000_000n,
      severityNumber: 17,
      severityText: 'ERROR',
      body: { type: 'string', value: 'payment declined for order 42' },
      traceId: TRACE_ID,
      spanId: SPAN_ID,
    });
    expect(error.attributes).toEqual([
      { key: 'order.id', value: { type: 'int', value: 42n } },
      { key: 'retryable', value: { type: 'bool', value: false } },
      { key: 'payment.provider', value: { type: 'string', value: 'acme' } },
      { key: 'tags', value: { type: 'array', value: [{ type: 'string', value: 'card' }, { type: 'string', value: 'eu' }] } },
    ]);
    expect(info.severityNumber).toBe(10);
    expect(info.body.type).toBe('kvlist');
    expect(info.traceId).toBe('');
  });
});

describe('OTLP logs decoding (JSON)', () => {
  it('decodes what the OpenTelemetry JS JSON serializer writes the same as its protobuf', () => {
    const sdk = sdkLogRecords();
    const fromJson = decodeLogsJson(new TextDecoder().decode(JsonLogsSerializer.serializeRequest(sdk)!));
    const fromProtobuf = decodeLogsProtobuf(ProtobufLogsSerializer.serializeRequest(sdk)!);
    expect(fromJson.map(essentials)).toEqual(fromProtobuf.map(essentials));
  });

  it('accepts snake_case keys, severity names and int64 as numbers', () => {
    const [record] = decodeLogsJson(JSON.stringify({
      resource_logs: [{
        scope_logs: [{
          log_records: [{
            time_unix_nano: 1787307302500000,
            severity_number: 'SEVERITY_NUMBER_WARN3',
            severity_text: 'warning',
            trace_id: TRACE_ID.toUpperCase(),
            span_id: SPAN_ID,
            event_name: 'x',
            body: { string_value: 'disk almost full' },
          }],
        }],
      }],
    }));
    expect(record).toMatchObject({
      timeUnixNano: 1_787_307_302_500_000n,
      severityNumber: 15,
      severityText: 'warning',
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      eventName: 'x',
      body: { type: 'string', value: 'disk almost full' },
    });
  });

  it('reads an envoyOtelAls request forwarded as JSON like the protobuf one', () => {
    const entries = [{ line: INBOUND_LINE, labels: { pod: 'reviews-v1-5d8f7c9b6-x2kqp' }, traceId: bytesOfHex(TRACE_ID) }];
    expect(decodeLogsJson(envoyOtelAlsJson(entries)).map(essentials)).toEqual(decodeLogsProtobuf(envoyOtelAlsRequest(entries)).map(essentials));
  });

  it('refuses a value of the wrong type, naming the field', () => {
    const body = JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{}, { timeUnixNano: 'yesterday' }] }] }] });
    expect(() => decodeLogsJson(body)).toThrow(
      'invalid OTLP/JSON ExportLogsServiceRequest at resourceLogs[0].scopeLogs[0].logRecords[1].timeUnixNano',
    );
  });

  it('refuses text that is not JSON', () => {
    expect(() => decodeLogsJson('{"resourceLogs": [')).toThrow(/^invalid JSON/);
  });
});

describe('ExportLogsServiceResponse', () => {
  it('is empty on full success', () => {
    expect(encodeLogsResponseProtobuf({ rejectedLogRecords: 0, errorMessage: '' })).toHaveLength(0);
    expect(encodeLogsResponseJson({ rejectedLogRecords: 0, errorMessage: '' })).toBe('{}');
  });

  it('carries the rejected count and message, readable by an independent decoder', () => {
    const partial = { rejectedLogRecords: 2, errorMessage: '2 log records rejected' };
    const decoded = ExportLogsServiceResponse.toObject(ExportLogsServiceResponse.decode(encodeLogsResponseProtobuf(partial)), { longs: Number });
    expect(decoded).toEqual({ partialSuccess: { rejectedLogRecords: 2, errorMessage: '2 log records rejected' } });
    expect(JSON.parse(encodeLogsResponseJson(partial))).toEqual({ partialSuccess: { rejectedLogRecords: '2', errorMessage: '2 log records rejected' } });
  });
});
