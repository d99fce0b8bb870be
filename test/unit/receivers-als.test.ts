/**
 * The Envoy ALS receiver on a real gRPC server, fed by a real grpc-js client that streams
 * protobuf-encoded StreamAccessLogsMessages the way Envoy does (one HTTP/2 connection, several
 * concurrent streams, the identifier on each stream's first message only), into a real
 * InProcessBuffer through the real AccessLogIntake.
 */
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAccessLogsProtobuf } from '../../shared/accesslog/otlp-codec.js';
import type { ConsumedRecord } from '../../shared/buffer/buffer.js';
import { InProcessBuffer } from '../../shared/buffer/inprocess/inprocess-buffer.js';
import { AlsStreamDecoder } from '../../shared/envoy/als-stream.js';
import type { AccessLogRecord } from '../../shared/model/access-log.js';
import { createMetrics, type MeshtelMetrics } from '../support/metrics.js';
import { AccessLogIntake } from '../../services/collector/intake/access-log-intake.js';
import { ALS_STREAM_GRPC_PATH, addEnvoyAlsService, type EnvoyAlsOptions } from '../../services/collector/receivers/envoy-als/envoy-als.js';
import { GrpcServer } from '../../services/collector/transport/grpc-server.js';
import {
  PRODUCTPAGE_NODE, apiServerTcpStream, encodeAlsMessage, outboundEntries, postgresTcpStream, productpageOutboundStream,
  reviewsInboundStream, type Msg,
} from '../fixtures/als.js';
import { counterValue } from '../support/self-metrics.js';
import { waitUntil } from '../support/poll.js';

const logger = pino({ level: 'silent' });
const MiB = 1024 * 1024;

interface Receiver {
  readonly server: GrpcServer;
  readonly client: grpc.Client;
  readonly metrics: MeshtelMetrics;
  stop(): Promise<void>;
}

async function startReceiver(intakeFor: (metrics: MeshtelMetrics) => EnvoyAlsOptions['intake'], extra: Partial<EnvoyAlsOptions> = {}): Promise<Receiver> {
  const metrics = createMetrics();
  const server = new GrpcServer({ host: '127.0.0.1', port: 0, maxReceiveMessageBytes: 4 * MiB, shutdownTimeoutMs: 2000, logger });
  addEnvoyAlsService(server, { intake: intakeFor(metrics), metrics, logger, ...extra });
  const port = await server.start();
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    server, client, metrics,
    async stop() {
      client.close();
      await server.stop();
    },
  };
}

/** An open ALS stream: write messages one by one, then end it and get Envoy's (ignored) reply. */
function openStream(client: grpc.Client) {
  let settle: (r: { response?: Buffer; error?: grpc.ServiceError }) => void = () => {};
  const done = new Promise<{ response?: Buffer; error?: grpc.ServiceError }>((resolve) => (settle = resolve));
  const call = client.makeClientStreamRequest(
    ALS_STREAM_GRPC_PATH,
    (b: Buffer) => b,
    (b: Buffer) => b,
    (error: grpc.ServiceError | null, response?: Buffer) => settle(error ? { error } : { response }),
  );
  return {
    write: (bytes: Uint8Array) => new Promise<void>((resolve, reject) => call.write(Buffer.from(bytes), (err?: Error | null) => (err ? reject(err) : resolve()))),
    end: async () => {
      call.end();
      return done;
    },
  };
}

async function streamAll(client: grpc.Client, messages: readonly Uint8Array[]) {
  const stream = openStream(client);
  for (const m of messages) await stream.write(m);
  return stream.end();
}


/** What the receiver should produce for a stream: the same decoder, applied offline. */
function expectedRecords(messages: readonly Msg[]): AccessLogRecord[] {
  const decoder = new AlsStreamDecoder();
  return messages.flatMap((m) => decoder.decode(encodeAlsMessage(m)));
}

describe('Envoy ALS receiver into the in-process buffer', () => {
  let buffer: InProcessBuffer;
  let stored: AccessLogRecord[];
  let receiver: Receiver;

  beforeAll(async () => {
    buffer = new InProcessBuffer({ capacityBytes: 16 * MiB });
    stored = [];
    await buffer.subscribe('accesslogs', async (records: readonly ConsumedRecord[]) => {
      for (const r of records) stored.push(...decodeAccessLogsProtobuf(r.value));
    });
    receiver = await startReceiver((metrics) => new AccessLogIntake({ buffer, metrics, logger }));
  });

  afterAll(async () => {
    await receiver.stop();
    await buffer.stop();
  });

  const storedFor = (nodeId: string | undefined) => stored.filter((r) => r.proxyNodeId === nodeId);

  it('takes several concurrent streams on one connection, each with its identifier only on its first message', async () => {
    const bulk: Msg[] = [
      { identifier: { node: PRODUCTPAGE_NODE, logName: 'http_envoy_accesslog' }, httpLogs: { logEntry: outboundEntries(20, 0) } },
      ...[1, 2, 3, 4].map((i) => ({ httpLogs: { logEntry: outboundEntries(20, i * 20) } })),
    ];
    const streams = [reviewsInboundStream, productpageOutboundStream, apiServerTcpStream, postgresTcpStream, bulk];
    const opened = streams.map(() => openStream(receiver.client));
    // Interleave the streams' messages, as Envoy's worker threads would.
    for (let i = 0; i < Math.max(...streams.map((s) => s.length)); i++) {
      await Promise.all(streams.map((s, j) => (i < s.length ? opened[j].write(encodeAlsMessage(s[i])) : undefined)));
    }
    const replies = await Promise.all(opened.map((s) => s.end()));
    for (const reply of replies) expect(reply).toEqual({ response: Buffer.alloc(0) });

    const expected = streams.flatMap(expectedRecords);
    expect(expected).toHaveLength(2 + 3 + 1 + 1 + 100);
    await waitUntil('every entry to be consumed', () => stored.length >= expected.length);
    const byId = new Map(stored.map((r) => [r.id, r]));
    expect(byId.size).toBe(expected.length);
    for (const record of expected) expect(byId.get(record.id)).toEqual(record);

    // The later messages of the bulk stream got the identifier of its first message.
    const productpageId = 'sidecar~10.244.2.9~productpage-v1-6b746f74dc-9rlmh.default~default.svc.cluster.local';
    expect(storedFor(productpageId)).toHaveLength(3 + 100);
    expect(storedFor(productpageId).every((r) => r.logName === 'http_envoy_accesslog')).toBe(true);
    const bulkStored = stored.filter((r) => r.requestId?.startsWith('req-'));
    expect(bulkStored).toHaveLength(100);
    expect(bulkStored.every((r) => r.source.workload === 'productpage-v1' && r.destination.workload === 'reviews-v1')).toBe(true);

    const m = receiver.metrics;
    expect(await counterValue(m, 'accessLogsReceived', { transport: 'als' })).toBe(expected.length);
    expect(await counterValue(m, 'accessLogsAccepted', { transport: 'als', kind: 'http' })).toBe(105);
    expect(await counterValue(m, 'accessLogsAccepted', { transport: 'als', kind: 'tcp' })).toBe(2);
    expect(await counterValue(m, 'alsStreams', { identifier: 'present' })).toBe(5);
    expect((await m.alsStreamsActive.get()).values[0].value).toBe(0);
  });

  it('counts a garbage message mid-stream and still stores the messages after it, with the stream\'s identifier', async () => {
    stored.length = 0;
    const reply = await streamAll(receiver.client, [
      encodeAlsMessage(reviewsInboundStream[0]),
      Buffer.from('garbage, not a protobuf message \xff\xff'),
      encodeAlsMessage(reviewsInboundStream[1]),
    ]);
    expect(reply.error).toBeUndefined();
    await waitUntil('both good entries', () => stored.length >= 2);
    expect(stored.map((r) => r.path).sort()).toEqual(['/reviews.v1.Reviews/List', '/reviews/0']);
    expect(stored.every((r) => r.destination.workload === 'reviews-v1')).toBe(true);
    expect(await counterValue(receiver.metrics, 'accessLogsRefused', { transport: 'als', reason: 'decode_error' })).toBe(1);
  });

  it('keeps the entries of a stream whose first message has no identifier, with an unknown proxy, and counts the stream', async () => {
    stored.length = 0;
    const before = await counterValue(receiver.metrics, 'alsStreams', { identifier: 'missing' });
    await streamAll(receiver.client, [encodeAlsMessage({ tcpLogs: (postgresTcpStream[0] as { tcpLogs: Msg }).tcpLogs })]);
    await waitUntil('the entry', () => stored.length >= 1);
    expect(stored[0].proxyNodeId).toBeUndefined();
    expect(stored[0].source.workload).toBe('api-server');
    expect(await counterValue(receiver.metrics, 'alsStreams', { identifier: 'missing' })).toBe(before + 1);
  });

  it('shows open streams in the active-streams gauge', async () => {
    const stream = openStream(receiver.client);
    await stream.write(encodeAlsMessage(apiServerTcpStream[0]));
    await waitUntil('the gauge to show the stream', async () => (await receiver.metrics.alsStreamsActive.get()).values[0].value === 1);
    await stream.end();
    await waitUntil('the gauge to drop', async () => (await receiver.metrics.alsStreamsActive.get()).values[0].value === 0);
  });
});

describe('Envoy ALS receiver when the buffer refuses', () => {
  it('counts refused entries as buffer_full, keeps the stream open, and takes later entries once space frees', async () => {
    const encodedSize = encodeAlsMessage({ httpLogs: { logEntry: outboundEntries(10) } }).length;
    // Room for roughly one message's records, and nobody consuming yet.
    const buffer = new InProcessBuffer({ capacityBytes: encodedSize * 3 });
    const receiver = await startReceiver((metrics) => new AccessLogIntake({ buffer, metrics, logger }));
    try {
      const stream = openStream(receiver.client);
      await stream.write(encodeAlsMessage({ identifier: { node: PRODUCTPAGE_NODE }, httpLogs: { logEntry: outboundEntries(10, 0) } }));
      for (let i = 1; i <= 5; i++) await stream.write(encodeAlsMessage({ httpLogs: { logEntry: outboundEntries(10, i * 10) } }));
      await waitUntil('all six messages decoded', async () => (await counterValue(receiver.metrics, 'accessLogsReceived', { transport: 'als' })) === 60);
      await waitUntil('refusals', async () => (await counterValue(receiver.metrics, 'accessLogsRefused', { transport: 'als', reason: 'buffer_full' })) > 0);
      const refused = await counterValue(receiver.metrics, 'accessLogsRefused', { transport: 'als', reason: 'buffer_full' });
      const accepted = await counterValue(receiver.metrics, 'accessLogsAccepted', { transport: 'als' });
      expect(refused + accepted).toBe(60);

      // Drain the buffer: the same stream's next message is taken.
      const stored: AccessLogRecord[] = [];
      await buffer.subscribe('accesslogs', async (records) => {
        for (const r of records) stored.push(...decodeAccessLogsProtobuf(r.value));
      });
      await waitUntil('the buffer to drain', () => buffer.stats().bytesHeld === 0);
      await stream.write(encodeAlsMessage({ httpLogs: { logEntry: outboundEntries(10, 1000) } }));
      const reply = await stream.end();
      expect(reply).toEqual({ response: Buffer.alloc(0) });
      await waitUntil('the later entries', () => stored.some((r) => r.requestId === 'req-1009'));
      expect(await counterValue(receiver.metrics, 'accessLogsAccepted', { transport: 'als' })).toBe(accepted + 10);
      expect(stored.find((r) => r.requestId === 'req-1009')?.proxyNodeId).toContain('productpage-v1');
    } finally {
      await receiver.stop();
      await buffer.stop();
    }
  });
});

describe('Envoy ALS receiver pacing', () => {
  it('hands over a bounded number of messages at once per stream and answers only after all settled', async () => {
    let running = 0;
    let maxRunning = 0;
    let handed = 0;
    const gates: Array<() => void> = [];
    const intake = {
      accept: (records: readonly AccessLogRecord[]) => {
        running++;
        handed += records.length;
        maxRunning = Math.max(maxRunning, running);
        return new Promise<void>((resolve) => gates.push(() => {
          running--;
          resolve();
        }));
      },
    };
    const receiver = await startReceiver(() => intake, { maxInFlightPerStream: 2 });
    try {
      const stream = openStream(receiver.client);
      // Writes complete into HTTP/2 buffers even while the receiver pauses reading.
      const writes = Array.from({ length: 8 }, (_, i) => stream.write(encodeAlsMessage({ httpLogs: { logEntry: outboundEntries(1, i) } })));
      let answered = false;
      const ended = Promise.all(writes).then(() => stream.end()).then((r) => {
        answered = true;
        return r;
      });
      await waitUntil('two hand-overs', () => gates.length === 2);
      await new Promise((r) => setTimeout(r, 100));
      expect(gates).toHaveLength(2);
      // Release one at a time: each release lets exactly one more message through.
      for (let released = 0; released < 7; released++) {
        gates[released]();
        if (released < 6) await waitUntil(`hand-over ${released + 3}`, () => gates.length === released + 3);
      }
      // Every message is read and Envoy has half-closed, but one hand-over is still running.
      await new Promise((r) => setTimeout(r, 100));
      expect(answered).toBe(false);
      gates[7]();
      const reply = await ended;
      expect(reply).toEqual({ response: Buffer.alloc(0) });
      expect(maxRunning).toBe(2);
      expect(handed).toBe(8);
    } finally {
      await receiver.stop();
    }
  });

  it('skips a message over maxMessageBytes, counts it, and goes on with the stream', async () => {
    const handed: AccessLogRecord[] = [];
    const receiver = await startReceiver(() => ({ accept: async (records: readonly AccessLogRecord[]) => void handed.push(...records) }), { maxMessageBytes: 2048 });
    try {
      const reply = await streamAll(receiver.client, [
        encodeAlsMessage({ httpLogs: { logEntry: outboundEntries(50, 0) } }),
        encodeAlsMessage({ httpLogs: { logEntry: outboundEntries(1, 99) } }),
      ]);
      expect(reply.error).toBeUndefined();
      expect(handed.map((r) => r.requestId)).toEqual(['req-99']);
      expect(await counterValue(receiver.metrics, 'accessLogsRefused', { transport: 'als', reason: 'body_too_large' })).toBe(1);
    } finally {
      await receiver.stop();
    }
  });
});
