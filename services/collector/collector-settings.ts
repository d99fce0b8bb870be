/**
 * The collector's receiver settings: ports, request and attribute limits, and the access-log line
 * format. Schema and defaults live here; the Collector resolves what it is given through it.
 */
import { z } from 'zod';
import { compileEnvoyFormat } from '../../shared/accesslog/envoy-format.js';
import { goDurationText as goDuration } from '../../shared/config/duration-setting.js';
import type { RoleSettings } from '../role-settings.js';

const MiB = 1024 * 1024;
const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().min(1);

/** An Envoy format string, or empty for Istio's default TEXT format. Compiled when validated, so a
 * malformed format fails start-up naming its setting instead of failing every request. */
const envoyFormat = z.string().superRefine((format, ctx) => {
  if (format.trim() === '') return;
  try {
    compileEnvoyFormat(format);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
  }
});

export const collectorSettings = z.object({
  otlpGrpcPort: port.default(4317),
  otlpHttpPort: port.default(4318),
  zipkinPort: port.default(9411),
  /** Largest body as sent (possibly compressed). */
  maxRequestBodyBytes: positiveInt.default(4 * MiB),
  /** Largest body after gzip decompression (gzip-bomb guard). */
  maxDecompressedBodyBytes: positiveInt.default(16 * MiB),
  maxSpansPerRequest: positiveInt.default(10_000),
  maxLogRecordsPerRequest: positiveInt.default(10_000),
  maxDataPointsPerRequest: positiveInt.default(50_000),
  maxAttributesPerSpan: positiveInt.default(128),
  // 128 KiB: above Jaeger's 100 KB, so SQL statements and stack traces arrive whole; the request
  // body limits still bound what one request can carry.
  maxAttributeValueLength: positiveInt.default(131_072),
  accessLogFormat: envoyFormat.default(''),
  maxAccessLogLineBytes: positiveInt.default(65_536),
  maxAccessLogLinesPerRequest: positiveInt.default(10_000),
  /** Request bytes all receivers together may hold at once (read, inflated or decoded). */
  maxBodyBytesInFlight: positiveInt.default(256 * MiB),
  /** An HTTP request or a gRPC message must arrive whole within this time from its first byte. */
  receiverBodyTimeoutMs: positiveInt.default(30_000),
  /** A connection with no request / call for this long is closed. */
  receiverIdleTimeoutMs: positiveInt.default(120_000),
  /** Open connections each receiver listener accepts at once. */
  receiverMaxConnections: positiveInt.default(1000),
  /** Concurrent gRPC calls (HTTP/2 streams) per connection. */
  grpcMaxConcurrentStreams: positiveInt.default(100),
  /** Keep-alive pings find dead peers (Envoy ALS streams never end by themselves). */
  grpcKeepaliveTimeMs: positiveInt.default(60_000),
  grpcKeepaliveTimeoutMs: positiveInt.default(20_000),
  // Ten years by default: stops the absurd (1970, 2554) without refusing backfills or replays;
  // deployments whose senders keep good time can tighten it to hours.
  maxClockSkew: goDuration.default('87600h'),
});

export type CollectorSettings = z.output<typeof collectorSettings>;

/** What a Collector is given: its own settings (defaults apply to those left out) and the role's basics. */
export type CollectorConfig = z.input<typeof collectorSettings> & Pick<RoleSettings, 'host' | 'shutdownTimeoutMs'>;
