/**
 * Test-only reader of remote-write bodies: snappy block uncompress, then protobufjs with the
 * WriteRequest schema written out here, independent of the hand-written encoder under test.
 */
import protobuf from 'protobufjs';
import snappy from 'snappyjs';

const PROTO = `
syntax = "proto3";
package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
`;

const WriteRequest = protobuf.parse(PROTO).root.lookupType('prometheus.WriteRequest');

export interface DecodedSeries {
  labels: Array<{ name: string; value: string }>;
  samples: Array<{ value: number; timestamp: number }>;
}

export function decodeWriteRequest(uncompressed: Uint8Array): DecodedSeries[] {
  const msg = WriteRequest.toObject(WriteRequest.decode(uncompressed), { longs: Number, defaults: true }) as {
    timeseries: Array<{ labels: Array<{ name: string; value: string }>; samples: Array<{ value: number; timestamp: number }> }>;
  };
  return msg.timeseries;
}

export function decodeBody(body: Uint8Array): DecodedSeries[] {
  return decodeWriteRequest(snappy.uncompress(new Uint8Array(body)));
}

/** `name{a="b",…}` of a decoded series, in wire order, for compact assertions. */
export function seriesText(s: DecodedSeries): string {
  return s.labels.map((l) => `${l.name}=${l.value}`).join(',');
}
