/**
 * Shared set-up for the OTLP logs receiver tests: a fastify app with the /v1/logs plugin and a
 * gRPC server with the LogsService, both on free ports, in front of a real InProcessBuffer and
 * AccessLogIntake; a subscriber decodes what reaches the `accesslogs` topic. Also OTLP logs
 * exporters assembled from the installed OpenTelemetry JS exporter bases, the way the
 * exporter-logs-otlp-{http,proto,grpc} packages build theirs (those packages are not installed).
 */
import type { ExportResult } from '@opentelemetry/core';
import { CompressionAlgorithm, OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { convertLegacyOtlpGrpcOptions, createOtlpGrpcExportDelegate } from '@opentelemetry/otlp-grpc-exporter-base';
import { JsonLogsSerializer, LogsExporterMetricsHelper, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { decodeAccessLogsProtobuf } from '../../shared/accesslog/otlp-codec.js';
import { InProcessBuffer } from '../../shared/buffer/inprocess/inprocess-buffer.js';
import type { AccessLogRecord } from '../../shared/model/access-log.js';
import { createMetrics, type MeshtelMetrics } from '../support/metrics.js';
import { AccessLogIntake } from '../../services/collector/intake/access-log-intake.js';
import { GrpcServer } from '../../services/collector/transport/grpc-server.js';
import { LOGS_EXPORT_GRPC_PATH, addOtlpLogsService } from '../../services/collector/receivers/otlp/otlp-logs-grpc.js';
import { otlpHttpLogs } from '../../services/collector/receivers/otlp/otlp-logs-http.js';

export const MiB = 1024 * 1024;

export const LIMITS = {
  maxRequestBodyBytes: 1 * MiB,
  maxDecompressedBodyBytes: 4 * MiB,
  maxLogRecordsPerRequest: 500,
  maxAttributesPerLogRecord: 128,
  maxAttributeValueLength: 4096,
};

/** Small enough that one request of a few hundred entries cannot fit: "buffer full" on demand. */
export const BUFFER_CAPACITY_BYTES = 64 * 1024;

export interface RunningLogsReceivers {
  readonly app: FastifyInstance;
  readonly grpc: GrpcServer;
  readonly buffer: InProcessBuffer;
  readonly metrics: MeshtelMetrics;
  readonly httpUrl: string;
  readonly grpcTarget: string;
  /** Every record that reached the `accesslogs` topic, decoded, with its buffer key. */
  readonly received: Array<{ key: string; record: AccessLogRecord }>;
  /** Waits until at least `n` records arrived (the in-process buffer delivers asynchronously). */
  waitForRecords(n: number): Promise<AccessLogRecord[]>;
  stop(): Promise<void>;
}

export async function startLogsReceivers(): Promise<RunningLogsReceivers> {
  const logger = pino({ level: 'silent' });
  const metrics = createMetrics();
  const buffer = new InProcessBuffer({ capacityBytes: BUFFER_CAPACITY_BYTES, metrics });
  const received: Array<{ key: string; record: AccessLogRecord }> = [];
  await buffer.subscribe('accesslogs', async (batch) => {
    for (const r of batch) for (const record of decodeAccessLogsProtobuf(r.value)) received.push({ key: r.key, record });
  });
  const intake = new AccessLogIntake({ buffer, metrics, logger });

  const httpLogger: FastifyBaseLogger = logger;
  const app = Fastify({ loggerInstance: httpLogger, bodyLimit: LIMITS.maxRequestBodyBytes });
  await app.register(otlpHttpLogs, { intake, metrics, limits: LIMITS });
  await app.listen({ host: '127.0.0.1', port: 0 });

  const grpc = new GrpcServer({
    host: '127.0.0.1',
    port: 0,
    maxReceiveMessageBytes: LIMITS.maxDecompressedBodyBytes,
    shutdownTimeoutMs: 2000,
    logger,
  });
  addOtlpLogsService(grpc, { intake, metrics, logger, limits: LIMITS });
  const grpcPort = await grpc.start();

  return {
    app,
    grpc,
    buffer,
    metrics,
    httpUrl: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    grpcTarget: `127.0.0.1:${grpcPort}`,
    received,
    async waitForRecords(n) {
      const deadline = Date.now() + 5000;
      while (received.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} records in the buffer, got ${received.length}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return received.map((r) => r.record);
    },
    async stop() {
      await Promise.all([app.close(), grpc.stop()]);
      await buffer.stop();
    },
  };
}

export type LogsExporter = OTLPExporterBase<ReadableLogRecord[]>;

/** OTLP/HTTP logs exporter, protobuf (as @opentelemetry/exporter-logs-otlp-proto). */
export function httpProtobufLogsExporter(baseUrl: string, compression = CompressionAlgorithm.NONE): LogsExporter {
  return new OTLPExporterBase(createOtlpHttpExportDelegate(
    convertLegacyHttpOptions({ url: `${baseUrl}/v1/logs`, compression }, 'LOGS', 'v1/logs', { 'Content-Type': 'application/x-protobuf' }),
    ProtobufLogsSerializer, 'otlp_http_log_exporter', LogsExporterMetricsHelper, undefined,
  ));
}

/** OTLP/HTTP logs exporter, JSON (as @opentelemetry/exporter-logs-otlp-http). */
export function httpJsonLogsExporter(baseUrl: string, compression = CompressionAlgorithm.NONE): LogsExporter {
  return new OTLPExporterBase(createOtlpHttpExportDelegate(
    convertLegacyHttpOptions({ url: `${baseUrl}/v1/logs`, compression }, 'LOGS', 'v1/logs', { 'Content-Type': 'application/json' }),
    JsonLogsSerializer, 'otlp_http_log_exporter', LogsExporterMetricsHelper, undefined,
  ));
}

/** OTLP/gRPC logs exporter (as @opentelemetry/exporter-logs-otlp-grpc). */
export function grpcLogsExporter(target: string): LogsExporter {
  return new OTLPExporterBase(createOtlpGrpcExportDelegate(
    convertLegacyOtlpGrpcOptions({ url: `http://${target}` }, 'LOGS'),
    ProtobufLogsSerializer, 'otlp_grpc_log_exporter', LogsExporterMetricsHelper, undefined,
    'LogsExportService', LOGS_EXPORT_GRPC_PATH,
  ));
}

export function exportWith(exporter: LogsExporter, records: ReadableLogRecord[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(records, resolve));
}

