/**
 * What the three OTLP/HTTP receivers (/v1/traces, /v1/logs, /v1/metrics) share, so they behave the
 * same by construction (opentelemetry-proto docs/specification.md, "OTLP/HTTP"): protobuf or JSON
 * by Content-Type, gzip/deflate, size limits before and after decompression, google.rpc.Status
 * error bodies in the request's encoding with Retry-After, and 405 for other methods. Each receiver
 * keeps only what is its own: decoding, the intake call, the response encoding and its refusal
 * mapping. Call it from inside a plugin registered without fastify-plugin: the content-type parsers,
 * error handler and hook it installs apply to that plugin's scope and never to sibling routes.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { encodeStatusProtobuf, statusJson, type StatusDetail } from '../../../../shared/otlp/common/status.js';
import type { Logger } from '../../../../shared/telemetry/logger.js';
import type { ReceiverMetrics } from '../../receiver-metrics.js';
import { acceptRawBodies, bodyFormatOf, contentCodingOf, mediaTypeOf, readRequestBody, type BodyFormat } from '../../transport/http-body.js';
import type { HttpRefusal } from '../../transport/http-errors.js';
import type { ByteBudget } from '../../transport/byte-budget.js';

export interface OtlpHttpLimits {
  /** Body as sent (possibly compressed); larger → 413 before it is read. */
  readonly maxRequestBodyBytes: number;
  /** Body after decompression; inflating stops there → 413. */
  readonly maxDecompressedBodyBytes: number;
  /** Shared by every receiver: request bytes held at once across all requests (503 beyond). */
  readonly budget?: ByteBudget;
}

/** An HTTP refusal whose metric reason may be one a signal adds to the trace ones. */
export interface OtlpHttpRefusal extends Omit<HttpRefusal, 'reason'> {
  readonly reason?: string;
}

export interface OtlpHttpExportRoute {
  readonly path: string;
  /** Names the signal in log lines ("OTLP/HTTP <signal> request refused"). */
  readonly signal: string;
  /** Label of the request metrics. */
  readonly transport: string;
  readonly limits: OtlpHttpLimits;
  readonly metrics: Pick<ReceiverMetrics, 'requestsRefused' | 'requestDuration'>;
  /** For refusal logs; the request's logger is used when absent. */
  readonly logger?: Logger;
  readonly refusalFor: (err: unknown) => OtlpHttpRefusal;
  /**
   * Decodes the (decompressed) body, hands it on and encodes the export response in `format`.
   * `request` is there for its logger. Throwing (or rejecting) answers with `refusalFor`'s status.
   */
  readonly handle: (body: Buffer, format: BodyFormat, request: FastifyRequest) => Promise<string | Uint8Array>;
}

const CONTENT_TYPE: Record<BodyFormat, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

export function registerOtlpExportRoute(app: FastifyInstance, route: OtlpHttpExportRoute): void {
  const { path, signal, transport, limits, metrics, refusalFor, handle } = route;

  acceptRawBodies(app, limits.maxRequestBodyBytes, limits.budget);

  app.setErrorHandler((err, request, reply) => {
    const refusal = refusalFor(err);
    const logger = route.logger ?? request.log;
    if (refusal.reason) {
      metrics.requestsRefused.inc({ transport, reason: refusal.reason });
      logger.debug({ statusCode: refusal.statusCode, reason: refusal.reason, detail: refusal.message }, `OTLP/HTTP ${signal} request refused`);
    } else {
      logger.error({ err }, `OTLP/HTTP ${signal} request failed`);
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
    metrics.requestDuration.observe({ transport }, reply.elapsedTime / 1000);
  });

  app.post(path, {
    // Refuse an unknown media type or coding before reading a possibly large body.
    onRequest: async (request) => {
      bodyFormatOf(request.headers['content-type']);
      contentCodingOf(request.headers['content-encoding']);
    },
    handler: async (request, reply) => {
      const format = bodyFormatOf(request.headers['content-type']);
      const body = await readRequestBody(request, limits.maxDecompressedBodyBytes);
      const response = await handle(body, format, request);
      reply.code(200).type(CONTENT_TYPE[format]);
      // fastify sends a Buffer as bytes but would serialize a bare Uint8Array as JSON.
      return typeof response === 'string' ? response : Buffer.from(response);
    },
  });

  // The Collector answers other methods on the path with 405 rather than 404 (otlphttp.go).
  app.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: path,
    handler: async (_request, reply) => {
      reply.code(405).header('allow', 'POST').type('text/plain');
      return `${path} accepts POST only`;
    },
  });
}

/**
 * Error bodies use the request's encoding (spec: "in the same encoding as the request"). For a
 * media type we do not speak there is none, so JSON is used: readable with curl and still a
 * valid google.rpc.Status encoding.
 */
function responseFormatOf(request: FastifyRequest): BodyFormat {
  const type = mediaTypeOf(request.headers['content-type']);
  return type === 'application/x-protobuf' || type === 'application/protobuf' ? 'protobuf' : 'json';
}
