/**
 * OTLP/HTTP metrics receiver: `POST /v1/metrics` as a fastify plugin (opentelemetry-proto
 * docs/specification.md, "OTLP/HTTP"), behaving as /v1/traces and /v1/logs do (otlp-http-export.ts):
 * protobuf or JSON by Content-Type, gzip/deflate, size limits before and after decompression,
 * partial success, and google.rpc.Status error bodies in the request's encoding. Register it
 * without fastify-plugin so its content-type parsers and error handler stay inside it.
 */
import { tenantOfRequest } from '../../../../shared/security/http-listener.js';
import type { FastifyPluginAsync } from 'fastify';
import { RpcCode } from '../../../../shared/otlp/common/status.js';
import { decodeMetricsJson } from '../../../../shared/otlp/metrics/json-decode.js';
import { decodeMetricsProtobuf } from '../../../../shared/otlp/metrics/protobuf-decode.js';
import { encodeMetricsResponseJson, encodeMetricsResponseProtobuf } from '../../../../shared/otlp/metrics/response.js';
import { TooManyDataPointsError } from '../../../../shared/otlp/metrics/validate.js';
import type { Logger } from '../../../../shared/telemetry/logger.js';
import type { ReceiverMetrics, RefusalReason } from '../../receiver-metrics.js';
import { decodeUtf8 } from '../../transport/http-body.js';
import { httpRefusalFor, type HttpRefusal } from '../../transport/http-errors.js';
import { registerOtlpExportRoute, type OtlpHttpLimits } from './otlp-http-export.js';
import type { MetricsIntake } from '../../intake/metrics-intake.js';

export type MetricsReceiverMetrics = Pick<ReceiverMetrics, 'requestsRefused' | 'requestDuration'>;

/** A refusal label of meshtel_receiver_requests_refused_total; metrics add one reason to the trace ones. */
export type MetricsRefusalReason = RefusalReason | 'too_many_data_points';

export interface OtlpHttpMetricsOptions {
  readonly intake: MetricsIntake;
  /** Body limits (shared with /v1/traces and /v1/logs). */
  readonly limits: OtlpHttpLimits;
  readonly metrics: MetricsReceiverMetrics;
  /** For refusal logs; the request's logger is used when absent. */
  readonly logger?: Logger;
}

export const OTLP_METRICS_PATH = '/v1/metrics';
const TRANSPORT = 'otlp_http';

export interface HttpMetricsRefusal extends Omit<HttpRefusal, 'reason'> {
  readonly reason?: MetricsRefusalReason;
}

/** As for traces, plus: too many data points is 413 (retrying the same request cannot help). */
export function httpMetricsRefusalFor(err: unknown): HttpMetricsRefusal {
  if (err instanceof TooManyDataPointsError) {
    return { statusCode: 413, grpcCode: RpcCode.INVALID_ARGUMENT, message: err.message, reason: 'too_many_data_points' };
  }
  const refusal = httpRefusalFor(err);
  return refusal.statusCode === 500 ? { ...refusal, message: 'internal error while receiving metrics' } : refusal;
}

export const otlpHttpMetrics: FastifyPluginAsync<OtlpHttpMetricsOptions> = async (app, opts) => {
  const { intake, limits, metrics } = opts;
  registerOtlpExportRoute(app, {
    path: OTLP_METRICS_PATH,
    signal: 'metrics',
    transport: TRANSPORT,
    limits,
    metrics,
    logger: opts.logger,
    refusalFor: httpMetricsRefusalFor,
    handle: async (body, format, request) => {
      const decoded = format === 'json' ? decodeMetricsJson(decodeUtf8(body)) : decodeMetricsProtobuf(body);
      const partial = await intake.accept(decoded, TRANSPORT, tenantOfRequest(request));
      return format === 'json' ? encodeMetricsResponseJson(partial) : encodeMetricsResponseProtobuf(partial);
    },
  });
};
