/**
 * Zipkin v2 receiver: `POST /api/v2/spans` as a fastify plugin, normally on its own listener
 * (:9411, MESHTEL_ZIPKIN_PORT). Register it without fastify-plugin so its content-type parsers
 * and error handler stay inside it.
 *
 * Answers follow Zipkin's server (zipkin-server ZipkinHttpCollector), because that is what
 * Zipkin senders are written against:
 * - **202 Accepted**, empty body, once the spans are durably buffered. Envoy's Zipkin tracer
 *   counts a report as delivered only on 202.
 * - **400**, plain text naming the problem, for a body that does not decode — including an
 *   invalid id (not hex, too long, all zeros). Zipkin has no partial success, so like Zipkin we
 *   refuse the whole request rather than answer 202 for spans we dropped.
 * - **413** when the body (as sent or decompressed) or its span count is over a limit;
 *   **415** for a Content-Type or Content-Encoding we do not decode; **503** with Retry-After
 *   while the buffer cannot take data.
 *
 * Content types: application/json (and no Content-Type at all, which Zipkin also reads as
 * JSON), application/x-protobuf or application/protobuf (zipkin.proto3.ListOfSpans). Zipkin
 * tries JSON for any other type; we answer 415 instead so a misconfigured sender learns why.
 * gzip and deflate bodies are accepted. Zipkin v1 (`/api/v1/spans`, JSON v1 or Thrift) is not:
 * it is answered 404 with a message saying so.
 */
import { tenantOfRequest } from '../../../../shared/security/http-listener.js';
import type { FastifyPluginAsync } from 'fastify';
import { ZipkinDecodeError, decodeZipkinSpansJson, decodeZipkinSpansProtobuf } from '../../../../shared/zipkin/spans.js';
import type { ReceiverMetrics, RefusalReason } from '../../receiver-metrics.js';
import { UnsupportedMediaTypeError, acceptRawBodies, contentCodingOf, decodeUtf8, mediaTypeOf, readRequestBody, type BodyFormat } from '../../transport/http-body.js';
import type { ByteBudget } from '../../transport/byte-budget.js';
import { httpRefusalFor } from '../../transport/http-errors.js';
import type { TraceIntake } from '../../intake/trace-intake.js';

export interface ZipkinHttpLimits {
  /** Body as sent (possibly compressed); larger → 413 before it is read. */
  readonly maxRequestBodyBytes: number;
  /** Body after decompression; inflating stops there → 413. */
  readonly maxDecompressedBodyBytes: number;
  /** Shared by every receiver: request bytes held at once across all requests (503 beyond). */
  readonly budget?: ByteBudget;
}

export interface ZipkinHttpOptions {
  readonly intake: TraceIntake;
  readonly limits: ZipkinHttpLimits;
  readonly metrics: Pick<ReceiverMetrics, 'requestsRefused' | 'requestDuration'>;
}

export const ZIPKIN_SPANS_PATH = '/api/v2/spans';
const ZIPKIN_V1_SPANS_PATH = '/api/v1/spans';
const TRANSPORT = 'zipkin';

export interface ZipkinRefusal {
  readonly statusCode: number;
  /** The plain-text body; names what was wrong. */
  readonly message: string;
  readonly retryAfterSeconds?: number;
  /** Label for meshtel_receiver_requests_refused_total; undefined for our own faults (500). */
  readonly reason?: RefusalReason;
}

/**
 * Zipkin's refusals are OTLP/HTTP's, status for status (bad data 400, limits 413, media type
 * 415, overload 503), plus the Zipkin decoder's own error; only the body differs (plain text).
 */
export function zipkinRefusalFor(err: unknown): ZipkinRefusal {
  if (err instanceof ZipkinDecodeError) return { statusCode: 400, message: err.message, reason: 'decode_error' };
  const { statusCode, message, retryAfterSeconds, reason } = httpRefusalFor(err);
  return { statusCode, message: statusCode === 500 ? 'internal error while receiving spans' : message, retryAfterSeconds, reason };
}

const PROTOBUF_TYPES = new Set(['application/x-protobuf', 'application/protobuf']);

/** Which decoder a Content-Type selects; throws UnsupportedMediaTypeError (415) for others. */
export function zipkinBodyFormatOf(contentType: string | undefined): BodyFormat {
  const type = mediaTypeOf(contentType);
  // No Content-Type: Zipkin's server reads the body as JSON v2, and simple senders rely on it.
  if (type === '' || type === 'application/json') return 'json';
  if (PROTOBUF_TYPES.has(type)) return 'protobuf';
  throw new UnsupportedMediaTypeError(
    `unsupported Content-Type '${type}'; send application/json (Zipkin v2 JSON) or application/x-protobuf (zipkin.proto3.ListOfSpans)`,
  );
}

export const zipkinHttp: FastifyPluginAsync<ZipkinHttpOptions> = async (app, opts) => {
  const { intake, limits, metrics } = opts;

  acceptRawBodies(app, limits.maxRequestBodyBytes, limits.budget);

  app.setErrorHandler((err, request, reply) => {
    const refusal = zipkinRefusalFor(err);
    if (refusal.reason) {
      metrics.requestsRefused.inc({ transport: TRANSPORT, reason: refusal.reason });
      request.log.debug({ statusCode: refusal.statusCode, reason: refusal.reason, detail: refusal.message }, 'Zipkin span request refused');
    } else {
      request.log.error({ err }, 'Zipkin span request failed');
    }
    if (refusal.retryAfterSeconds !== undefined) {
      reply.header('retry-after', String(Math.max(1, Math.ceil(refusal.retryAfterSeconds))));
    }
    void reply.code(refusal.statusCode).type('text/plain; charset=utf-8').send(refusal.message);
  });

  app.addHook('onResponse', async (_request, reply) => {
    metrics.requestDuration.observe({ transport: TRANSPORT }, reply.elapsedTime / 1000);
  });

  app.post(ZIPKIN_SPANS_PATH, {
    // Refuse an unknown media type or coding before reading a possibly large body.
    onRequest: async (request) => {
      zipkinBodyFormatOf(request.headers['content-type']);
      contentCodingOf(request.headers['content-encoding']);
    },
    handler: async (request, reply) => {
      const format = zipkinBodyFormatOf(request.headers['content-type']);
      const body = await readRequestBody(request, limits.maxDecompressedBodyBytes);
      const spans = format === 'json' ? decodeZipkinSpansJson(decodeUtf8(body)) : decodeZipkinSpansProtobuf(body);
      const partial = await intake.accept(spans, TRANSPORT, tenantOfRequest(request));
      // The decoders already refuse every id TraceIntake would reject, so this stays 0; if a
      // future rule rejects spans individually, Zipkin has no way to say so, hence the log.
      if (partial.rejectedSpans > 0) {
        request.log.warn({ rejectedSpans: partial.rejectedSpans, reason: partial.errorMessage }, 'Zipkin spans rejected individually');
      }
      return reply.code(202).send();
    },
  });

  app.post(ZIPKIN_V1_SPANS_PATH, async (_request, reply) => {
    reply.code(404).type('text/plain; charset=utf-8');
    return `Zipkin v1 spans are not supported; send Zipkin v2 JSON or protobuf to ${ZIPKIN_SPANS_PATH}`;
  });

  // Other methods on the path: 405 with Allow, as the OTLP receiver answers (Zipkin's GET
  // /api/v2/spans is a query API, which meshtel serves through the Jaeger API instead).
  app.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: ZIPKIN_SPANS_PATH,
    handler: async (_request, reply) => {
      reply.code(405).header('allow', 'POST').type('text/plain; charset=utf-8');
      return `${ZIPKIN_SPANS_PATH} accepts POST only`;
    },
  });
};
