import { describe, expect, it } from 'vitest';
import { AlsDecodeError, decodeAlsMessage } from '../../shared/envoy/als-wire.js';
import { AlsStreamDecoder } from '../../shared/envoy/als-stream.js';
import { decodeStruct } from '../../shared/envoy/struct.js';
import { protoRoot } from '../support/proto-root.js';
import { encodeAlsMessage, outboundReviewsEntry, reviewsInboundStream, struct, type Msg } from '../fixtures/als.js';

const decodeOne = (message: Msg) => new AlsStreamDecoder().decode(encodeAlsMessage(message));
const withCommon = (common: Msg): Msg => ({ httpLogs: { logEntry: [{ commonProperties: { startTime: { seconds: 1 }, ...common } }] } });

// The reference's table (istio-envoy.md §1.2, ResponseFlags): field name → Envoy short code.
const FLAG_CODES: Record<string, string> = {
  failedLocalHealthcheck: 'LH', noHealthyUpstream: 'UH', upstreamRequestTimeout: 'UT', localReset: 'LR',
  upstreamRemoteReset: 'UR', upstreamConnectionFailure: 'UF', upstreamConnectionTermination: 'UC', upstreamOverflow: 'UO',
  noRouteFound: 'NR', delayInjected: 'DI', faultInjected: 'FI', rateLimited: 'RL', rateLimitServiceError: 'RLSE',
  downstreamConnectionTermination: 'DC', upstreamRetryLimitExceeded: 'URX', streamIdleTimeout: 'SI',
  invalidEnvoyRequestHeaders: 'IH', downstreamProtocolError: 'DPE', upstreamMaxStreamDurationReached: 'UMSDR',
  responseFromCacheFilter: 'RFCF', noFilterConfigFound: 'NFCF', durationTimeout: 'DT', upstreamProtocolError: 'UPE',
  noClusterFound: 'NC', overloadManager: 'OM', dnsResolutionFailure: 'DF', downstreamRemoteReset: 'DR',
};

describe('ALS wire decoding', () => {
  it.each(Object.entries(FLAG_CODES))('maps response flag %s to %s', (name, code) => {
    const [record] = decodeOne(withCommon({ responseFlags: { [name]: true } }));
    expect(record.responseFlags).toEqual([code]);
  });

  it('maps unauthorized_details to UAEX and lists several flags in field order', () => {
    const [record] = decodeOne(withCommon({ responseFlags: { upstreamRetryLimitExceeded: true, unauthorizedDetails: { reason: 1 }, noHealthyUpstream: true } }));
    expect(record.responseFlags).toEqual(['UH', 'UAEX', 'URX']);
  });

  it('prints addresses the way Envoy does: pipes by path, internal addresses as envoy://, named ports', () => {
    const [record] = decodeOne(withCommon({
      downstreamRemoteAddress: { pipe: { path: '/var/run/app.sock' } },
      downstreamLocalAddress: { envoyInternalAddress: { serverListenerName: 'connect_originate', endpointId: '10.0.0.1:80' } },
      upstreamRemoteAddress: { socketAddress: { address: '10.1.2.3', namedPort: 'http' } },
      upstreamLocalAddress: { socketAddress: { address: '::1', portValue: 0 } },
    }));
    expect(record.downstreamRemoteAddress).toBe('/var/run/app.sock');
    expect(record.downstreamLocalAddress).toBe('envoy://connect_originate/10.0.0.1:80');
    expect(record.upstreamHost).toBe('10.1.2.3:http');
    // port_value is a oneof member, so even 0 is on the wire; IPv6 hosts get brackets.
    expect(record.upstreamLocalAddress).toBe('[::1]:0');
  });

  it('reads 64-bit byte counters above 2^32 exactly', () => {
    const [record] = decodeOne({
      tcpLogs: { logEntry: [{ commonProperties: { startTime: { seconds: 1 } }, connectionProperties: { receivedBytes: 5_000_000_123, sentBytes: 2 ** 40 } }] },
    });
    expect([record.bytesReceived, record.bytesSent]).toEqual([5_000_000_123, 2 ** 40]);
  });

  it('skips fields it does not know, wherever they appear', () => {
    const plain = encodeAlsMessage({ httpLogs: { logEntry: [outboundReviewsEntry] } });
    // Field 99 (varint) and field 100 (bytes) at the top level, as a newer Envoy might send.
    const extended = Buffer.concat([Buffer.from([0x98, 0x06, 0x01, 0xa2, 0x06, 0x02, 0x61, 0x62]), plain]);
    const [a] = new AlsStreamDecoder().decode(plain);
    const [b] = new AlsStreamDecoder().decode(extended);
    expect(b).toEqual(a);
  });

  it('keeps only the oneof member that comes last (http_logs, then tcp_logs)', () => {
    const http = encodeAlsMessage({ httpLogs: { logEntry: [outboundReviewsEntry] } });
    const tcp = encodeAlsMessage({ tcpLogs: { logEntry: [{ commonProperties: { startTime: { seconds: 1 } } }] } });
    const message = decodeAlsMessage(Buffer.concat([http, tcp]));
    expect(message.httpEntries).toHaveLength(0);
    expect(message.tcpEntries).toHaveLength(1);
  });

  it('decodes an identifier-only message (no entries) and remembers it for the stream', () => {
    const stream = new AlsStreamDecoder();
    const identifier = (reviewsInboundStream[0] as { identifier: Msg }).identifier;
    expect(stream.decode(encodeAlsMessage({ identifier }))).toEqual([]);
    expect(stream.identified).toBe(true);
    expect(stream.proxy.workload.workload).toBe('reviews-v1');
  });

  it('refuses garbage with an AlsDecodeError naming where it broke', () => {
    expect(() => decodeAlsMessage(Buffer.from('not a protobuf message at all'))).toThrow(AlsDecodeError);
    const good = encodeAlsMessage({ httpLogs: { logEntry: [outboundReviewsEntry, outboundReviewsEntry] } });
    // Cut inside the second entry: the length prefixes promise more than is there.
    const truncated = good.subarray(0, good.length - 10);
    expect(() => decodeAlsMessage(truncated)).toThrow(/^invalid StreamAccessLogsMessage: truncated/);
    // Deep inside a second http_logs: response_flags (field 16) holding a fixed64 cut short.
    const flagsCutShort = [0x82, 0x01, 0x04, 0x11, 0x01, 0x02, 0x03];
    const common = [0x0a, flagsCutShort.length, ...flagsCutShort];
    const entry = [0x0a, common.length, ...common];
    const corrupted = Buffer.concat([encodeAlsMessage(withCommon({})), Buffer.from([0x12, entry.length, ...entry])]);
    expect(() => decodeAlsMessage(corrupted)).toThrow(/at httpLogs\.logEntry\[0\]\.commonProperties\.responseFlags: truncated fixed64/);
  });

  it('leaves the stream state untouched by an undecodable message', () => {
    const stream = new AlsStreamDecoder();
    expect(() => stream.decode(Buffer.from([0x0a, 0xff]))).toThrow(AlsDecodeError);
    expect(stream.identified).toBe(false);
    stream.decode(encodeAlsMessage(reviewsInboundStream[0]));
    expect(stream.identified).toBe(true);
  });
});

describe('google.protobuf.Struct decoding', () => {
  it('decodes every Value kind, nested structs and lists, as protobufjs encodes them', () => {
    const Struct = protoRoot.lookupType('google.protobuf.Struct');
    const input = { s: 'x', n: 1.5, b: true, z: null, list: ['a', 2, false, { deep: ['y'] }], obj: { k: 'v' } };
    const bytes = Struct.encode(Struct.fromObject(struct(input))).finish();
    expect(JSON.parse(JSON.stringify(decodeStruct(bytes)))).toEqual(input);
  });
});
