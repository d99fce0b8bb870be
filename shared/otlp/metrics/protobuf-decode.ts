/**
 * Protobuf decoding of ExportMetricsServiceRequest (and MetricsData: the same bytes) into the
 * model of ./model.ts, with the wire reader the trace and log decoders use. Unknown fields are
 * skipped; exemplars and metric metadata are skipped too (nothing downstream reads them).
 * Repeated scalars are read packed or unpacked, as protobuf requires of a parser.
 */
import type { InstrumentationScope, KeyValue, Resource } from '../../model/span.js';
import { NO_ATTRIBUTES, decodeResource, decodeScope, emptyResource, emptyScope, readKeyValueInto } from '../common/common-decode.js';
import { toOtlpDecodeError, within } from '../../wire/decode-errors.js';
import { ProtoReader } from '../../wire/wire-reader.js';
import type {
  HistogramPoint, MetricData, NumberPoint, OtlpMetric, OtlpMetricsRequest, OtlpResourceMetrics, OtlpScopeMetrics, SummaryPoint,
} from './model.js';

/** Throws OtlpDecodeError naming the failing field, e.g. `resourceMetrics[0].scopeMetrics[0].metrics[2].sum…`. */
export function decodeMetricsProtobuf(bytes: Uint8Array): OtlpMetricsRequest {
  const r = new ProtoReader(bytes);
  const end = bytes.length;
  const resourceMetrics: OtlpResourceMetrics[] = [];
  try {
    while (r.pos < end) {
      const tag = r.tag(end);
      if (tag === 0x0a) resourceMetrics.push(nested(r, end, 'resourceMetrics', resourceMetrics.length, decodeResourceMetrics));
      else r.skip(tag, end);
    }
  } catch (err) {
    throw toOtlpDecodeError(err, 'invalid OTLP metrics protobuf');
  }
  return { resourceMetrics };
}

/** Reads one length-delimited message with `read`, naming `field[index]` in errors. */
function nested<T>(r: ProtoReader, end: number, field: string, index: number | undefined, read: (r: ProtoReader, end: number) => T): T {
  try {
    const stop = r.lengthDelimited(end);
    const value = read(r, stop);
    r.pos = stop;
    return value;
  } catch (err) {
    throw within(err, field, index);
  }
}

function decodeResourceMetrics(r: ProtoReader, end: number): OtlpResourceMetrics {
  let resource: Resource | undefined;
  let schemaUrl = '';
  const scopeMetrics: OtlpScopeMetrics[] = [];
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === 0x0a) resource = nested(r, end, 'resource', undefined, (rr, e) => decodeResource(rr, e, ''));
    else if (tag === 0x12) scopeMetrics.push(nested(r, end, 'scopeMetrics', scopeMetrics.length, decodeScopeMetrics));
    else if (tag === 0x1a) schemaUrl = r.string(end);
    else r.skip(tag, end);
  }
  return { resource: { ...(resource ?? emptyResource('')), schemaUrl }, scopeMetrics };
}

function decodeScopeMetrics(r: ProtoReader, end: number): OtlpScopeMetrics {
  let scope: InstrumentationScope | undefined;
  let schemaUrl = '';
  const metrics: OtlpMetric[] = [];
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === 0x0a) scope = nested(r, end, 'scope', undefined, (rr, e) => decodeScope(rr, e, ''));
    else if (tag === 0x12) metrics.push(nested(r, end, 'metrics', metrics.length, decodeMetric));
    else if (tag === 0x1a) schemaUrl = r.string(end);
    else r.skip(tag, end);
  }
  return { scope: { ...(scope ?? emptyScope('')), schemaUrl }, metrics };
}

function decodeMetric(r: ProtoReader, end: number): OtlpMetric {
  let name = '';
  let description = '';
  let unit = '';
  let data: MetricData = { kind: 'none' };
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x0a: name = r.string(end); break;
      case 0x12: description = r.string(end); break;
      case 0x1a: unit = r.string(end); break;
      // A oneof: the last member present wins.
      case 0x2a: data = nested(r, end, 'gauge', undefined, decodeGauge); break;
      case 0x3a: data = nested(r, end, 'sum', undefined, decodeSum); break;
      case 0x4a: data = nested(r, end, 'histogram', undefined, decodeHistogram); break;
      case 0x52: data = nested(r, end, 'exponentialHistogram', undefined, countExponentialPoints); break;
      case 0x5a: data = nested(r, end, 'summary', undefined, decodeSummary); break;
      default: r.skip(tag, end);
    }
  }
  return { name, description, unit, data };
}

function decodeGauge(r: ProtoReader, end: number): MetricData {
  const points: NumberPoint[] = [];
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === 0x0a) points.push(nested(r, end, 'dataPoints', points.length, decodeNumberPoint));
    else r.skip(tag, end);
  }
  return { kind: 'gauge', points };
}

function decodeSum(r: ProtoReader, end: number): MetricData {
  const points: NumberPoint[] = [];
  let temporality = 0;
  let monotonic = false;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === 0x0a) points.push(nested(r, end, 'dataPoints', points.length, decodeNumberPoint));
    else if (tag === 0x10) temporality = r.uint32(end);
    else if (tag === 0x18) monotonic = r.bool(end);
    else r.skip(tag, end);
  }
  return { kind: 'sum', temporality, monotonic, points };
}

function decodeHistogram(r: ProtoReader, end: number): MetricData {
  const points: HistogramPoint[] = [];
  let temporality = 0;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === 0x0a) points.push(nested(r, end, 'dataPoints', points.length, decodeHistogramPoint));
    else if (tag === 0x10) temporality = r.uint32(end);
    else r.skip(tag, end);
  }
  return { kind: 'histogram', temporality, points };
}

function countExponentialPoints(r: ProtoReader, end: number): MetricData {
  let pointCount = 0;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === 0x0a) pointCount++;
    r.skip(tag, end);
  }
  return { kind: 'exponentialHistogram', pointCount };
}

function decodeSummary(r: ProtoReader, end: number): MetricData {
  const points: SummaryPoint[] = [];
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === 0x0a) points.push(nested(r, end, 'dataPoints', points.length, decodeSummaryPoint));
    else r.skip(tag, end);
  }
  return { kind: 'summary', points };
}

function decodeNumberPoint(r: ProtoReader, end: number): NumberPoint {
  let attributes: KeyValue[] | undefined;
  let startTimeUnixNano = 0n;
  let timeUnixNano = 0n;
  let value: number | bigint | undefined;
  let flags = 0;
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x3a: attributes = readKeyValueInto(r, end, attributes, 'attributes'); break;
      case 0x11: startTimeUnixNano = r.fixed64(end); break;
      case 0x19: timeUnixNano = r.fixed64(end); break;
      case 0x21: value = r.double(end); break;
      case 0x31: value = BigInt.asIntN(64, r.fixed64(end)); break; // sfixed64
      case 0x40: flags = r.uint32(end); break;
      default: r.skip(tag, end);
    }
  }
  return { attributes: attributes ?? NO_ATTRIBUTES, startTimeUnixNano, timeUnixNano, value, flags };
}

function decodeHistogramPoint(r: ProtoReader, end: number): HistogramPoint {
  let attributes: KeyValue[] | undefined;
  let startTimeUnixNano = 0n;
  let timeUnixNano = 0n;
  let count = 0;
  let sum: number | undefined;
  const bucketCounts: number[] = [];
  const explicitBounds: number[] = [];
  let flags = 0;
  let min: number | undefined;
  let max: number | undefined;
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x4a: attributes = readKeyValueInto(r, end, attributes, 'attributes'); break;
      case 0x11: startTimeUnixNano = r.fixed64(end); break;
      case 0x19: timeUnixNano = r.fixed64(end); break;
      case 0x21: count = Number(r.fixed64(end)); break;
      case 0x29: sum = r.double(end); break;
      case 0x31: bucketCounts.push(Number(r.fixed64(end))); break;
      case 0x32: {
        const stop = r.lengthDelimited(end);
        while (r.pos < stop) bucketCounts.push(Number(r.fixed64(stop)));
        break;
      }
      case 0x39: explicitBounds.push(r.double(end)); break;
      case 0x3a: {
        const stop = r.lengthDelimited(end);
        while (r.pos < stop) explicitBounds.push(r.double(stop));
        break;
      }
      case 0x50: flags = r.uint32(end); break;
      case 0x59: min = r.double(end); break;
      case 0x61: max = r.double(end); break;
      default: r.skip(tag, end);
    }
  }
  return { attributes: attributes ?? NO_ATTRIBUTES, startTimeUnixNano, timeUnixNano, count, sum, bucketCounts, explicitBounds, min, max, flags };
}

function decodeSummaryPoint(r: ProtoReader, end: number): SummaryPoint {
  let attributes: KeyValue[] | undefined;
  let startTimeUnixNano = 0n;
  let timeUnixNano = 0n;
  let count = 0;
  let sum = 0;
  const quantiles: Array<{ quantile: number; value: number }> = [];
  let flags = 0;
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x3a: attributes = readKeyValueInto(r, end, attributes, 'attributes'); break;
      case 0x11: startTimeUnixNano = r.fixed64(end); break;
      case 0x19: timeUnixNano = r.fixed64(end); break;
      case 0x21: count = Number(r.fixed64(end)); break;
      case 0x29: sum = r.double(end); break;
      case 0x32: quantiles.push(nested(r, end, 'quantileValues', quantiles.length, decodeQuantile)); break;
      case 0x40: flags = r.uint32(end); break;
      default: r.skip(tag, end);
    }
  }
  return { attributes: attributes ?? NO_ATTRIBUTES, startTimeUnixNano, timeUnixNano, count, sum, quantiles, flags };
}

function decodeQuantile(r: ProtoReader, end: number): { quantile: number; value: number } {
  let quantile = 0;
  let value = 0;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === 0x09) quantile = r.double(end);
    else if (tag === 0x11) value = r.double(end);
    else r.skip(tag, end);
  }
  return { quantile, value };
}
