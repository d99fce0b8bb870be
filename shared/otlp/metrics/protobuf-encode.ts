/**
 * Protobuf encoding of the model as an ExportMetricsServiceRequest: what the collector puts on the
 * `metrics` topic, readable by any OTLP consumer (DESIGN principle 1). Exponential histograms and
 * metrics without data are not encoded (the model keeps no points for them; validation rejects them).
 */
import { writeKeyValues, writeResource, writeScope } from '../common/common-encode.js';
import { WireType } from '../../wire/wire-reader.js';
import { ProtoWriter } from '../../wire/wire-writer.js';
import type { HistogramPoint, NumberPoint, OtlpMetric, OtlpMetricsRequest, SummaryPoint } from './model.js';

const writer = new ProtoWriter();

export function encodeMetricsProtobuf(request: OtlpMetricsRequest): Uint8Array<ArrayBuffer> {
  const w = writer;
  w.reset();
  for (const rm of request.resourceMetrics) {
    w.tag(1, WireType.LEN);
    const rmMark = w.fork();
    w.tag(1, WireType.LEN);
    const resMark = w.fork();
    writeResource(w, rm.resource);
    w.join(resMark);
    for (const sm of rm.scopeMetrics) {
      w.tag(2, WireType.LEN);
      const smMark = w.fork();
      w.tag(1, WireType.LEN);
      const scopeMark = w.fork();
      writeScope(w, sm.scope);
      w.join(scopeMark);
      for (const metric of sm.metrics) writeMetric(w, metric);
      if (sm.scope.schemaUrl !== '') {
        w.tag(3, WireType.LEN);
        w.string(sm.scope.schemaUrl);
      }
      w.join(smMark);
    }
    if (rm.resource.schemaUrl !== '') {
      w.tag(3, WireType.LEN);
      w.string(rm.resource.schemaUrl);
    }
    w.join(rmMark);
  }
  return w.finish();
}

function writeString(w: ProtoWriter, field: number, s: string): void {
  if (s === '') return;
  w.tag(field, WireType.LEN);
  w.string(s);
}

function writeMetric(w: ProtoWriter, metric: OtlpMetric): void {
  const { data } = metric;
  if (data.kind === 'none' || data.kind === 'exponentialHistogram') return;
  w.tag(2, WireType.LEN);
  const mark = w.fork();
  writeString(w, 1, metric.name);
  writeString(w, 2, metric.description);
  writeString(w, 3, metric.unit);
  const field = { gauge: 5, sum: 7, histogram: 9, summary: 11 }[data.kind];
  w.tag(field, WireType.LEN);
  const dataMark = w.fork();
  switch (data.kind) {
    case 'gauge':
      for (const p of data.points) writeNested(w, 1, () => writeNumberPoint(w, p));
      break;
    case 'sum':
      for (const p of data.points) writeNested(w, 1, () => writeNumberPoint(w, p));
      writeVarint(w, 2, data.temporality);
      writeVarint(w, 3, data.monotonic ? 1 : 0);
      break;
    case 'histogram':
      for (const p of data.points) writeNested(w, 1, () => writeHistogramPoint(w, p));
      writeVarint(w, 2, data.temporality);
      break;
    case 'summary':
      for (const p of data.points) writeNested(w, 1, () => writeSummaryPoint(w, p));
      break;
  }
  w.join(dataMark);
  w.join(mark);
}

function writeNested(w: ProtoWriter, field: number, body: () => void): void {
  w.tag(field, WireType.LEN);
  const mark = w.fork();
  body();
  w.join(mark);
}

function writeVarint(w: ProtoWriter, field: number, v: number): void {
  if (v === 0) return;
  w.tag(field, WireType.VARINT);
  w.uint32(v);
}

function writeTimes(w: ProtoWriter, p: { startTimeUnixNano: bigint; timeUnixNano: bigint }): void {
  if (p.startTimeUnixNano !== 0n) {
    w.tag(2, WireType.I64);
    w.fixed64(p.startTimeUnixNano);
  }
  if (p.timeUnixNano !== 0n) {
    w.tag(3, WireType.I64);
    w.fixed64(p.timeUnixNano);
  }
}

function writeDouble(w: ProtoWriter, field: number, v: number | undefined): void {
  if (v === undefined) return;
  w.tag(field, WireType.I64);
  w.double(v);
}

function writeNumberPoint(w: ProtoWriter, p: NumberPoint): void {
  writeTimes(w, p);
  if (typeof p.value === 'bigint') {
    w.tag(6, WireType.I64);
    w.fixed64(BigInt.asUintN(64, p.value));
  } else writeDouble(w, 4, p.value);
  writeKeyValues(w, 7, p.attributes);
  writeVarint(w, 8, p.flags);
}

function writeHistogramPoint(w: ProtoWriter, p: HistogramPoint): void {
  writeTimes(w, p);
  w.tag(4, WireType.I64);
  w.fixed64(BigInt(p.count));
  writeDouble(w, 5, p.sum);
  if (p.bucketCounts.length > 0) {
    writeNested(w, 6, () => {
      for (const c of p.bucketCounts) w.fixed64(BigInt(c));
    });
  }
  if (p.explicitBounds.length > 0) {
    writeNested(w, 7, () => {
      for (const b of p.explicitBounds) w.double(b);
    });
  }
  writeKeyValues(w, 9, p.attributes);
  writeVarint(w, 10, p.flags);
  writeDouble(w, 11, p.min);
  writeDouble(w, 12, p.max);
}

function writeSummaryPoint(w: ProtoWriter, p: SummaryPoint): void {
  writeTimes(w, p);
  w.tag(4, WireType.I64);
  w.fixed64(BigInt(p.count));
  writeDouble(w, 5, p.sum);
  for (const q of p.quantiles) {
    writeNested(w, 6, () => {
      writeDouble(w, 1, q.quantile);
      writeDouble(w, 2, q.value);
    });
  }
  writeKeyValues(w, 7, p.attributes);
  writeVarint(w, 8, p.flags);
}
