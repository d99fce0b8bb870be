/**
 * OTLP/HTTP logs receiver: `POST /v1/logs` as a fastify plugin (opentelemetry-proto
 * docs/specification.md, "OTLP/HTTP"), with the trace receiver's behaviour (otlp-http-export.ts):
 * protobuf or JSON by Content-Type, gzip/deflate, size limits before and after decompression,
 * partial success, and google.rpc.Status error bodies in the request's encoding. Register it
 * without fastify-plugin (as otlpHttpTraces) so its content-type parsers and error handler stay
 * inside it.
 */
import { tenantOfRequest } from '../../../../shared/security/http-listener.js';
import type { FastifyPluginAsync } from 'fastify';
import { decodeLogsJson, decodeLogsProtobuf } from '../../../../shared/otlp/logs/logs-decode.js';
import type { LogLimits } from '../../../../shared/accesslog/logs-normalize.js';
import { encodeLogsResponseJson, encodeLogsResponseProtobuf } from '../../../../shared/otlp/logs/logs-response.js';
import type { Logger } from '../../../../shared/telemetry/logger.js';
import type { AccessLogIntake } from '../../intake/access-log-intake.js';
import { decodeUtf8 } from '../../transport/http-body.js';
import { exportLogs, httpLogsRefusalFor, type LogsReceiverMetrics } from './otlp-logs-export.js';
import { registerOtlpExportRoute, type OtlpHttpLimits } from './otlp-http-export.js';

export interface OtlpHttpLogsOptions {
  readonly intake: AccessLogIntake;
  /** Body limits (shared with /v1/traces) and log-record limits. */
  readonly limits: OtlpHttpLimits & LogLimits;
  readonly metrics: LogsReceiverMetrics;
  /** For refusal and rejection logs; the request's logger is used when absent. */
  readonly logger?: Logger;
}

export const OTLP_LOGS_PATH = '/v1/logs';
const TRANSPORT = 'otlp_http';

export const otlpHttpLogs: FastifyPluginAsync<OtlpHttpLogsOptions> = async (app, opts) => {
  const { intake, limits, metrics } = opts;
  registerOtlpExportRoute(app, {
    path: OTLP_LOGS_PATH,
    signal: 'logs',
    transport: TRANSPORT,
    limits,
    metrics,
    logger: opts.logger,
    refusalFor: httpLogsRefusalFor,
    handle: async (body, format, request) => {
      const logs = format === 'json' ? decodeLogsJson(decodeUtf8(body)) : decodeLogsProtobuf(body);
      const partial = await exportLogs(logs, TRANSPORT, { intake, limits, metrics, logger: opts.logger ?? request.log, tenant: tenantOfRequest(request) });
      return format === 'json' ? encodeLogsResponseJson(partial) : encodeLogsResponseProtobuf(partial);
    },
  });
};
