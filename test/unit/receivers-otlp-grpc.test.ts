import * as grpc from '@grpc/grpc-js';
import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BufferFullError, BufferUnavailableError } from '../../shared/buffer/buffer.js';
import { TRACE_EXPORT_GRPC_PATH } from '../../services/collector/receivers/otlp/otlp-grpc.js';
import { ExportTraceServiceResponse, RetryInfo, RpcStatus } from '../support/proto-root.js';
import {
  comparableFromRecords,
  comparableFromSdk,
  exportWith,
  idBytes,
  rawTraceRequest,
  sdkSpans,
  startCollector,
  testConfig,
  type RunningCollector,
} from '../support/receivers-harness.js';
import { counterValue } from '../support/self-metrics.js';
import { unaryRaw, type RawCallResult } from '../support/grpc-raw.js';

type Compression = NonNullable<NonNullable<ConstructorParameters<typeof OtlpGrpcExporter>[0]>['compression']>;

let running: RunningCollector;
let plain: grpc.Client;
let gzipped: grpc.Client;

beforeAll(async () => {
  running = await startCollector();
  plain = new grpc.Client(running.grpcTarget, grpc.credentials.createInsecure());
  gzipped = new grpc.Client(running.grpcTarget, grpc.credentials.createInsecure(), {
    'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip,
  });
});

afterAll(async () => {
  plain.close();
  gzipped.close();
  await running.collector.stop();
});

afterEach(() => {
  running.buffer.refuse = undefined;
  running.buffer.gate = undefined;
  running.buffer.clear();
});

/** One raw Export call: bytes in, bytes out, so malformed requests can be sent. */
function exportRaw(client: grpc.Client, body: Uint8Array): Promise<RawCallResult> {
  return unaryRaw(client, TRACE_EXPORT_GRPC_PATH, body);
}

function partialOf(response: Buffer | undefined): { rejectedSpans: number; errorMessage: string } {
  const decoded = ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(response ?? Buffer.alloc(0)), {
    longs: Number,
    defaults: true,
  }) as { partialSuccess?: { rejectedSpans: number; errorMessage: string } };
  return decoded.partialSuccess ?? { rejectedSpans: 0, errorMessage: '' };
}

const good = { traceId: idBytes(0xab, 16), spanId: idBytes(0x01, 8), name: 'good' };

describe('OTLP/gRPC receiver with the real OpenTelemetry exporter', () => {
  it('buffers spans sent by the gRPC exporter, unchanged', async () => {
    const spans = sdkSpans();
    const exporter = new OtlpGrpcExporter({ url: `http://${running.grpcTarget}` });
    const result = await exportWith(exporter, spans);
    await exporter.shutdown();

    expect(result.code).toBe(0);
    expect(comparableFromRecords(running.buffer.spans())).toEqual(comparableFromSdk(spans));
    expect(running.buffer.records.map((r) => r.key)).toEqual([spans[0].spanContext().traceId]);
  });

  it('buffers spans sent gzip-compressed by the gRPC exporter', async () => {
    const spans = sdkSpans('gzip-grpc');
    const exporter = new OtlpGrpcExporter({ url: `http://${running.grpcTarget}`, compression: 'gzip' as Compression });
    const result = await exportWith(exporter, spans);
    await exporter.shutdown();

    expect(result.code).toBe(0);
    expect(comparableFromRecords(running.buffer.spans())).toEqual(comparableFromSdk(spans));
  });
});

describe('OTLP/gRPC receiver answers', () => {
  it('keeps good spans and reports zero or short ids as partial success', async () => {
    const { response, error } = await exportRaw(
      plain,
      rawTraceRequest([
        good,
        { traceId: idBytes(0, 16), spanId: idBytes(0x02, 8), name: 'zero-trace' },
        { traceId: idBytes(0xab, 12), spanId: idBytes(0x03, 8), name: 'short-trace' },
      ]),
    );

    expect(error).toBeUndefined();
    const partial = partialOf(response);
    expect(partial.rejectedSpans).toBe(2);
    expect(partial.errorMessage).not.toBe('');
    expect(running.buffer.spans().map((s) => s.name)).toEqual(['good']);
  });

  it('answers full success without partial_success', async () => {
    const { response, error } = await exportRaw(gzipped, rawTraceRequest([good]));
    expect(error).toBeUndefined();
    expect(partialOf(response)).toEqual({ rejectedSpans: 0, errorMessage: '' });
    expect(running.buffer.spans()).toHaveLength(1);
  });

  it('answers an undecodable message with INVALID_ARGUMENT naming the problem', async () => {
    const whole = rawTraceRequest([good]);
    const { error } = await exportRaw(plain, whole.subarray(0, whole.length - 7));

    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error?.details).toMatch(/truncated/);
    expect(running.buffer.records).toHaveLength(0);
    expect(await counterValue(running.metrics, 'requestsRefused', { transport: 'otlp_grpc', reason: 'decode_error' })).toBeGreaterThan(0);
  });

  it('answers too many spans with INVALID_ARGUMENT naming the limit', async () => {
    const spans = Array.from({ length: testConfig.maxSpansPerRequest + 1 }, (_, i) => ({
      traceId: idBytes(0xcd, 16),
      spanId: Buffer.from(String(i + 1).padStart(16, '0'), 'hex'),
      name: `s${i}`,
    }));
    const { error } = await exportRaw(plain, rawTraceRequest(spans));
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error?.details).toMatch(new RegExp(`limit of ${testConfig.maxSpansPerRequest}`));
  });

  it('answers a message over the size limit with RESOURCE_EXHAUSTED', async () => {
    const { error } = await exportRaw(plain, new Uint8Array(testConfig.maxDecompressedBodyBytes + 1));
    expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });

  it('answers a gzip message that inflates past the limit with RESOURCE_EXHAUSTED', async () => {
    // Compressed to a few KiB on the wire; only decompression reveals the size.
    const { error } = await exportRaw(gzipped, new Uint8Array(2 * testConfig.maxDecompressedBodyBytes));
    expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(error?.details).toMatch(/decompresses/);
  });

  it('answers UNAVAILABLE with RetryInfo while the buffer is full', async () => {
    running.buffer.refuse = new BufferFullError('buffer holds 64 MiB', 3);
    const { error } = await exportRaw(plain, rawTraceRequest([good]));

    expect(error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(error?.details).toMatch(/buffer holds 64 MiB/);
    const [bin] = error!.metadata.get('grpc-status-details-bin') as Buffer[];
    const status = RpcStatus.toObject(RpcStatus.decode(bin)) as { details: Array<{ value: Uint8Array }> };
    const retry = RetryInfo.toObject(RetryInfo.decode(status.details[0].value), { longs: Number }) as {
      retryDelay: { seconds: number };
    };
    expect(retry.retryDelay.seconds).toBe(3);
  });

  it('answers UNAVAILABLE while the buffer is unreachable', async () => {
    running.buffer.refuse = new BufferUnavailableError('kafka unreachable');
    const { error } = await exportRaw(gzipped, rawTraceRequest([good]));
    expect(error?.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('still accepts good requests after all the bad ones', async () => {
    const spans = sdkSpans('after-bad');
    const exporter = new OtlpGrpcExporter({ url: `http://${running.grpcTarget}` });
    const result = await exportWith(exporter, spans);
    await exporter.shutdown();
    expect(result.code).toBe(0);
    expect(comparableFromRecords(running.buffer.spans())).toEqual(comparableFromSdk(spans));
  });
});

describe('OTLP/gRPC receiver shutdown', () => {
  it('finishes a call in flight before stop() resolves', async () => {
    const own = await startCollector();
    const client = new grpc.Client(own.grpcTarget, grpc.credentials.createInsecure());
    let open!: () => void;
    own.buffer.gate = new Promise((resolve) => (open = resolve));
    const inFlight = exportRaw(client, rawTraceRequest([good]));
    const deadline = Date.now() + 5000;
    while ((await counterValue(own.metrics, 'spansReceived', { transport: 'otlp_grpc' })) === 0) {
      if (Date.now() > deadline) throw new Error('call never reached the intake');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }

    let stopped = false;
    const stopping = own.collector.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stopped).toBe(false);
    open();

    expect((await inFlight).error).toBeUndefined();
    client.close();
    await stopping;
    expect(own.buffer.spans()).toHaveLength(1);
  });

  it('serves a further service added before start on the same port', async () => {
    const echoPath = '/meshtel.test.Echo/Say';
    const own = await startCollector({}, (collector) =>
      collector.grpc.addService(
        {
          Say: {
            path: echoPath,
            requestStream: false,
            responseStream: false,
            requestSerialize: (b: Buffer) => b,
            requestDeserialize: (b: Buffer) => b,
            responseSerialize: (b: Buffer) => b,
            responseDeserialize: (b: Buffer) => b,
          },
        },
        { Say: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, call.request) },
      ),
    );
    const client = new grpc.Client(own.grpcTarget, grpc.credentials.createInsecure());
    const echoed = await new Promise<Buffer | undefined>((resolve, reject) =>
      client.makeUnaryRequest(echoPath, (b: Buffer) => b, (b: Buffer) => b, Buffer.from('hi'), (err, res) =>
        err ? reject(err) : resolve(res),
      ),
    );
    const traced = await exportRaw(client, rawTraceRequest([good]));
    client.close();
    await own.collector.stop();

    expect(echoed?.toString()).toBe('hi');
    expect(traced.error).toBeUndefined();
  });
});
