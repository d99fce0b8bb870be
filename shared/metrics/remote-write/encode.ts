/**
 * Remote-write 1.0 `WriteRequest` (prompb/remote.proto, types.proto), written by hand:
 *   WriteRequest { repeated TimeSeries timeseries = 1; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }   // timestamp in ms
 * Metadata (field 3) is left out: Prometheus 2.42 ignores it.
 */
import snappy from 'snappyjs';
import { ProtoWriter } from '../../wire/wire-writer.js';
import type { LabelPair } from '../labels.js';

const LEN = 2;
const VARINT = 0;
const I64 = 1;

export interface EncodedSeries {
  /** The series' `labels` fields (tag + Label message each), encoded once and reused every send. */
  readonly labelBytes: Uint8Array;
  readonly values: readonly number[];
  readonly timestampsMs: readonly number[];
}

const labelWriter = new ProtoWriter(1024);

/** The repeated `labels = 1` fields of a TimeSeries for a sorted label set. */
export function encodeLabels(labels: readonly LabelPair[]): Uint8Array {
  for (const [name, value] of labels) {
    labelWriter.tag(1, LEN);
    const m = labelWriter.fork();
    labelWriter.tag(1, LEN);
    labelWriter.string(name);
    labelWriter.tag(2, LEN);
    labelWriter.string(value);
    labelWriter.join(m);
  }
  return labelWriter.finish();
}

const varintScratch = new Uint8Array(10);

/**
 * A non-negative safe integer as a varint with plain number arithmetic: millisecond timestamps
 * exceed 32 bits, and the writer's bigint path is several times slower on this hot path.
 */
function writeTimestamp(w: ProtoWriter, ms: number): void {
  if (!(ms >= 0) || !Number.isSafeInteger(ms)) {
    w.int64(BigInt(Math.trunc(ms)));
    return;
  }
  let n = 0;
  let v = ms;
  while (v >= 0x80) {
    varintScratch[n++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  varintScratch[n++] = v;
  w.raw(varintScratch.subarray(0, n));
}

const requestWriter = new ProtoWriter(256 * 1024);

/** The uncompressed WriteRequest. Samples of one series must already be in timestamp order. */
export function encodeWriteRequest(series: readonly EncodedSeries[]): Uint8Array<ArrayBuffer> {
  const w = requestWriter;
  for (const s of series) {
    w.tag(1, LEN);
    const ts = w.fork();
    w.raw(s.labelBytes);
    for (let i = 0; i < s.values.length; i++) {
      w.tag(2, LEN);
      const m = w.fork();
      w.tag(1, I64);
      w.double(s.values[i]!);
      w.tag(2, VARINT);
      writeTimestamp(w, Math.round(s.timestampsMs[i]!));
      w.join(m);
    }
    w.join(ts);
  }
  return w.finish();
}

/** Snappy block format (never framed: remote-write receivers reject the stream format). */
export function compressBody(body: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  return snappy.compress(body);
}
