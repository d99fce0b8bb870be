/**
 * OTLP/HTTP logs receiver: `POST /v1/logs` as a fastify plugin (opentelemetry-proto
 * docs/specification.md, "OTLP/HTTP"), with the trace receiver's behaviour: protobuf or JSON by
 * Content-Type, gzip/deflate, size limits before and after decompression, partial success, and
 * google.rpc.Status error bodies in the request's encoding. Register it without fastify-plugin
 * (as otlpHttpTraces) so its content-type parsers and error handler stay inside it.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { decodeLogsJson, decodeLogsProtobuf } from '../../shared/accesslog/logs-decode.js';
import type { LogLimits } from '../../shared/accesslog/logs-normalize.js';
import {
  encodeLogsResponseJson, encodeLogsResponseProtobuf, type LogsPartialSuccess,
} from '../../shared/accesslog/logs-response.js';
import { encodeStatusProtobuf, statusJson, type StatusDetail } from '../../shared/otlp/status.js';
import type { Logger } from '../../shared/telemetry/logger.js';
import type { AccessLogIntake } from './access-log-intake.js';
import {
  bodyFormatOf, contentCodingOf, decodeUtf8, decompressBody, mediaTypeOf, type BodyFormat,
} from './http-body.js';
import { exportLogs, httpLogsRefusalFor, type LogsReceiverMetrics } from './otlp-logs-export.js';
import type { OtlpHttpLimits } from './otlp-http.js';

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
const CONTENT_TYPE: Record<BodyFormat, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

export const otlpHttpLogs: FastifyPluginAsync<OtlpHttpLogsOptions> = async (app, opts) => {
  const { intake, limits, metrics } = opts;

  // Bodies are read raw whatever their type: the decoder is chosen in the handler, and fastify's
  // JSON parser would both parse into the wrong shape and answer errors in its own format.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: limits.maxRequestBodyBytes },
    (_request: FastifyRequest, body: Buffer, done: (err: Error | null, body?: Buffer) => void) => done(null, body),
  );

  app.setErrorHandler((err, request, reply) => {
    const refusal = httpLogsRefusalFor(err);
    const logger = opts.logger ?? request.log;
    if (refusal.reason) {
      metrics.requestsRefused.inc({ transport: TRANSPORT, reason: refusal.reason });
      logger.debug({ statusCode: refusal.statusCode, reason: refusal.reason, detail: refusal.message }, 'OTLP/HTTP logs request refused');
    } else {
      logger.error({ err }, 'OTLP/HTTP logs request failed');
    }
    const details: StatusDetail[] = [];
    if (refusal.retryAfterSeconds !== undefined) {
      const seconds = Math.max(1, Math.ceil(refusal.retryAfterSeconds));
      reply.header('retry-after', String(seconds));
      // The same delay as a RetryInfo detail, for clients that read the Status rather than headers.
      details.push({ type: 'retryInfo', retryDelayMs: seconds * 1000 });
    }
    const format = responseFormatOf(request);
    reply.code(refusal.statusCode).type(CONTENT_TYPE[format]);
    void reply.send(
      format === 'json'
        ? statusJson(refusal.grpcCode, refusal.message, details)
        : Buffer.from(encodeStatusProtobuf(refusal.grpcCode, refusal.message, details)),
    );
  });

  app.addHook('onResponse', async (_request, reply) => {
    metrics.requestDuration.observe({ transport: TRANSPORT }, reply.elapsedTime / 1000);
  });

  app.post(OTLP_LOGS_PATH, {
    // Refuse an unknown media type or coding before reading a possibly large body.
    onRequest: async (request) => {
      bodyFormatOf(request.headers['content-type']);
      contentCodingOf(request.headers['content-encoding']);
    },
    handler: async (request, reply) => {
      const format = bodyFormatOf(request.headers['content-type']);
      const coding = contentCodingOf(request.headers['content-encoding']);
      // No body at all (no Content-Length) is an empty export request, which must succeed.
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const body = await decompressBody(raw, coding, limits.maxDecompressedBodyBytes);
      const logs = format === 'json' ? decodeLogsJson(decodeUtf8(body)) : decodeLogsProtobuf(body);
      const partial = await exportLogs(logs, TRANSPORT, { intake, limits, metrics, logger: opts.logger ?? request.log });
      return sendResponse(reply, format, partial);
    },
  });

  // As for /v1/traces: other methods on the path get 405 rather than 404 (as the Collector answers).
  app.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: OTLP_LOGS_PATH,
    handler: async (_request, reply) => {
      reply.code(405).header('allow', 'POST').type('text/plain');
      return `${OTLP_LOGS_PATH} accepts POST only`;
    },
  });
};

function sendResponse(reply: FastifyReply, format: BodyFormat, partial: LogsPartialSuccess): string | Buffer {
  reply.code(200).type(CONTENT_TYPE[format]);
  return format === 'json' ? encodeLogsResponseJson(partial) : Buffer.from(encodeLogsResponseProtobuf(partial));
}

/** Error bodies use the request's encoding; JSON for a media type we do not speak (readable with curl). */
function responseFormatOf(request: FastifyRequest): BodyFormat {
  const type = mediaTypeOf(request.headers['content-type']);
  return type === 'application/x-protobuf' || type === 'application/protobuf' ? 'protobuf' : 'json';
}
