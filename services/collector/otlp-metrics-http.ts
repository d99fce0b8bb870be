/**
 * OTLP/HTTP metrics receiver: `POST /v1/metrics` as a fastify plugin (opentelemetry-proto
 * docs/specification.md, "OTLP/HTTP"), behaving as /v1/traces and /v1/logs do: protobuf or JSON by
 * Content-Type, gzip/deflate, size limits before and after decompression, partial success, and
 * google.rpc.Status error bodies in the request's encoding. Register it without fastify-plugin so
 * its content-type parsers and error handler stay inside it.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { encodeStatusProtobuf, RpcCode, statusJson, type StatusDetail } from '../../shared/otlp/status.js';
import { decodeMetricsJson } from '../../shared/otlpmetrics/json-decode.js';
import { decodeMetricsProtobuf } from '../../shared/otlpmetrics/protobuf-decode.js';
import { encodeMetricsResponseJson, encodeMetricsResponseProtobuf, type MetricsPartialSuccess } from '../../shared/otlpmetrics/response.js';
import { TooManyDataPointsError } from '../../shared/otlpmetrics/validate.js';
import type { Logger } from '../../shared/telemetry/logger.js';
import type { MeshtelMetrics, RefusalReason } from '../../shared/telemetry/metrics.js';
import { bodyFormatOf, contentCodingOf, decodeUtf8, decompressBody, mediaTypeOf, type BodyFormat } from './http-body.js';
import type { OtlpHttpLimits } from './otlp-http.js';
import { httpRefusalFor, type HttpRefusal } from './otlp-http-errors.js';
import type { MetricsIntake } from './metrics-intake.js';

export type MetricsReceiverMetrics = Pick<MeshtelMetrics, 'requestsRefused' | 'requestDuration'>;

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
const CONTENT_TYPE: Record<BodyFormat, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

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

  // Bodies are read raw whatever their type: the decoder is chosen in the handler.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: limits.maxRequestBodyBytes },
    (_request: FastifyRequest, body: Buffer, done: (err: Error | null, body?: Buffer) => void) => done(null, body),
  );

  app.setErrorHandler((err, request, reply) => {
    const refusal = httpMetricsRefusalFor(err);
    const logger = opts.logger ?? request.log;
    if (refusal.reason) {
      metrics.requestsRefused.inc({ transport: TRANSPORT, reason: refusal.reason });
      logger.debug({ statusCode: refusal.statusCode, reason: refusal.reason, detail: refusal.message }, 'OTLP/HTTP metrics request refused');
    } else {
      logger.error({ err }, 'OTLP/HTTP metrics request failed');
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

  app.post(OTLP_METRICS_PATH, {
    // Refuse an unknown media type or coding before reading a possibly large body.
    onRequest: async (request) => {
      bodyFormatOf(request.headers['content-type']);
      contentCodingOf(request.headers['content-encoding']);
    },
    handler: async (request, reply) => {
      const format = bodyFormatOf(request.headers['content-type']);
      const coding = contentCodingOf(request.headers['content-encoding']);
      // No body at all is an empty export request, which must succeed.
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const body = await decompressBody(raw, coding, limits.maxDecompressedBodyBytes);
      const decoded = format === 'json' ? decodeMetricsJson(decodeUtf8(body)) : decodeMetricsProtobuf(body);
      const partial = await intake.accept(decoded, TRANSPORT);
      return sendResponse(reply, format, partial);
    },
  });

  // As for /v1/traces: other methods on the path get 405 rather than 404 (as the Collector answers).
  app.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: OTLP_METRICS_PATH,
    handler: async (_request, reply) => {
      reply.code(405).header('allow', 'POST').type('text/plain');
      return `${OTLP_METRICS_PATH} accepts POST only`;
    },
  });
};

function sendResponse(reply: FastifyReply, format: BodyFormat, partial: MetricsPartialSuccess): string | Buffer {
  reply.code(200).type(CONTENT_TYPE[format]);
  return format === 'json' ? encodeMetricsResponseJson(partial) : Buffer.from(encodeMetricsResponseProtobuf(partial));
}

/** Error bodies use the request's encoding; JSON for a media type we do not speak (readable with curl). */
function responseFormatOf(request: FastifyRequest): BodyFormat {
  const type = mediaTypeOf(request.headers['content-type']);
  return type === 'application/x-protobuf' || type === 'application/protobuf' ? 'protobuf' : 'json';
}
