import snappy from 'snappyjs';
import { describe, expect, it } from 'vitest';
import type { MetricsSnapshot } from '../../shared/metrics/registry.js';
import { compressBody, encodeLabels, encodeWriteRequest } from '../../shared/metrics/remote-write/encode.js';
import { expandSnapshot, type FlatSample } from '../../shared/metrics/remote-write/expand.js';
import { parseLabelList, sampleLabels, type LabelDefaults } from '../../shared/metrics/labels.js';
import { decodeBody, decodeWriteRequest } from '../support/remote-write-wire.js';

const NO_DEFAULTS: LabelDefaults = { external: [] };

function expand(snapshot: MetricsSnapshot, defaults: LabelDefaults = NO_DEFAULTS): { samples: FlatSample[]; invalid: string[] } {
  const samples: FlatSample[] = [];
  const invalid: string[] = [];
  expandSnapshot(snapshot, defaults, (s) => samples.push(s), (e, n) => invalid.push(`${n}: ${e.message}`));
  return { samples, invalid };
}

const text = (s: FlatSample) => s.labels.map(([n, v]) => `${n}=${v}`).join(',');

describe('remote-write WriteRequest encoding', () => {
  it('decodes back (protobufjs) to the same labels, values and millisecond timestamps beyond 32 bits', () => {
    const ts = 1_763_700_000_123;
    const body = encodeWriteRequest([
      { labelBytes: encodeLabels([['__name__', 'up_total'], ['job', 'mesh ✓']]), values: [1.5, 2], timestampsMs: [ts, ts + 15_000] },
      { labelBytes: encodeLabels([['__name__', 'g'], ['a', 'x'.repeat(300)]]), values: [-0.25], timestampsMs: [ts] },
    ]);
    const decoded = decodeWriteRequest(body);
    expect(decoded).toEqual([
      {
        labels: [{ name: '__name__', value: 'up_total' }, { name: 'job', value: 'mesh ✓' }],
        samples: [{ value: 1.5, timestamp: ts }, { value: 2, timestamp: ts + 15_000 }],
      },
      { labels: [{ name: '__name__', value: 'g' }, { name: 'a', value: 'x'.repeat(300) }], samples: [{ value: -0.25, timestamp: ts }] },
    ]);
  });

  it('compresses with the snappy block format (length varint first, never the framed "sNaPpY" stream)', () => {
    const raw = encodeWriteRequest([{ labelBytes: encodeLabels([['__name__', 'm']]), values: [7], timestampsMs: [1000] }]);
    const body = compressBody(raw);
    expect(body[0]).toBe(raw.length); // small body: the uncompressed length is a one-byte varint
    expect(Buffer.from(body.subarray(0, 10)).toString('latin1')).not.toContain('sNaPpY');
    expect(Buffer.from(snappy.uncompress(body))).toEqual(Buffer.from(raw));
    expect(decodeBody(body)[0]!.samples).toEqual([{ value: 7, timestamp: 1000 }]);
  });
});

describe('remote-write label sets', () => {
  it('sorts by name in byte order, so __name__ comes after capitalised names and before lower-case ones', () => {
    const labels = sampleLabels('m', { b: '2', Zed: 'z', a: '1' }, NO_DEFAULTS);
    expect(labels).toEqual([['Zed', 'z'], ['__name__', 'm'], ['a', '1'], ['b', '2']]);
  });

  it('drops empty values, lets series labels win over external labels and the instance label win over both', () => {
    const defaults: LabelDefaults = { external: [['cluster', 'prod'], ['region', 'eu']], instance: ['meshtel_instance', 'ing-1'] };
    const labels = sampleLabels('m', { region: 'us', empty: '', meshtel_instance: 'spoofed' }, defaults);
    expect(labels).toEqual([['__name__', 'm'], ['cluster', 'prod'], ['meshtel_instance', 'ing-1'], ['region', 'us']]);
  });

  it('refuses invalid metric and label names instead of sending what Prometheus would 500 on', () => {
    expect(sampleLabels('1bad', {}, NO_DEFAULTS)).toBeInstanceOf(Error);
    expect(sampleLabels('m', { 'bad-name': 'x' }, NO_DEFAULTS)).toBeInstanceOf(Error);
    expect(sampleLabels('m', { __reserved: 'x' }, NO_DEFAULTS)).toBeInstanceOf(Error);
  });

  it('parses external labels and names the bad entry', () => {
    expect(parseLabelList(' cluster=prod , region=eu-west=1 ')).toEqual({ cluster: 'prod', region: 'eu-west=1' });
    expect(parseLabelList('')).toEqual({});
    expect(() => parseLabelList('cluster=')).toThrow(/cluster=.*must not be empty/);
    expect(() => parseLabelList('9x=1')).toThrow(/9x=1/);
    expect(() => parseLabelList('__x=1')).toThrow(/__x/);
    expect(() => parseLabelList('a=1,a=2')).toThrow(/twice/);
  });
});

describe('snapshot expansion', () => {
  it('expands a histogram into cumulative _bucket{le} series ending with +Inf = count, then _sum and _count', () => {
    const { samples } = expand({
      timestampMs: 5000,
      families: [{
        name: 'lat', help: '', type: 'histogram',
        series: [{ labels: { svc: 'a' }, bounds: [0.5, 1, 2.5], bucketCounts: [1, 3, 3], sum: 4.2, count: 5 }],
      }],
    });
    expect(samples.map((s) => `${text(s)} ${s.value}@${s.timestampMs}`)).toEqual([
      '__name__=lat_bucket,le=0.5,svc=a 1@5000',
      '__name__=lat_bucket,le=1,svc=a 3@5000',
      '__name__=lat_bucket,le=2.5,svc=a 3@5000',
      '__name__=lat_bucket,le=+Inf,svc=a 5@5000',
      '__name__=lat_sum,svc=a 4.2@5000',
      '__name__=lat_count,svc=a 5@5000',
    ]);
  });

  it('expands a summary into {quantile}, _sum and _count with the series own timestamp', () => {
    const { samples } = expand({
      timestampMs: 5000,
      families: [{
        name: 'rpc', help: '', type: 'summary',
        series: [{ labels: {}, quantiles: [{ quantile: 0.5, value: 3 }, { quantile: 0.99, value: 9 }], sum: 30, count: 7, timestampMs: 4000 }],
      }],
    });
    expect(samples.map((s) => `${text(s)} ${s.value}@${s.timestampMs}`)).toEqual([
      '__name__=rpc,quantile=0.5 3@4000',
      '__name__=rpc,quantile=0.99 9@4000',
      '__name__=rpc_sum 30@4000',
      '__name__=rpc_count 7@4000',
    ]);
  });

  it('reports a sample with an invalid label and keeps the rest', () => {
    const { samples, invalid } = expand({
      timestampMs: 1,
      families: [{ name: 'c_total', help: '', type: 'counter', series: [{ labels: { 'a-b': 'x' }, value: 1 }, { labels: { ok: 'y' }, value: 2 }] }],
    });
    expect(invalid).toEqual(['1: invalid label name "a-b"']);
    expect(samples.map(text)).toEqual(['__name__=c_total,ok=y']);
  });
});
