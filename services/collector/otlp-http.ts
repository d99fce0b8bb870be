/**
 * OTLP/HTTP trace receiver: `POST /v1/traces` as a fastify plugin (opentelemetry-proto
 * docs/specification.md, "OTLP/HTTP"). Register it without fastify-plugin so its content-type
 * parsers and error handler stay inside it and never change how sibling routes behave.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import {
  decodeTracesJson,
  decodeTracesProtobuf,
  encodeStatusProtobuf,
  encodeTraceResponseJson,
  encodeTraceResponseProtobuf,
  statusJson,
  type PartialSuccess,
  type StatusDetail,
} from '../../shared/otlp/traces.js';
import type { MeshtelMetrics } from '../../shared/telemetry/metrics.js';
import {
  bodyFormatOf,
  contentCodingOf,
  decodeUtf8,
  decompressBody,
  mediaTypeOf,
  type BodyFormat,
} from './http-body.js';
import { httpRefusalFor } from './otlp-http-errors.js';
import type { TraceIntake } from './trace-intake.js';

export interface OtlpHttpLimits {
  /** Body as sent (possibly compressed); larger → 413 before it is read. */
  readonly maxRequestBodyBytes: number;
  /** Body after decompression; inflating stops there → 413. */
  readonly maxDecompressedBodyBytes: number;
}

export interface OtlpHttpOptions {
  readonly intake: TraceIntake;
  readonly limits: OtlpHttpLimits;
  readonly metrics: Pick<MeshtelMetrics, 'requestsRefused' | 'requestDuration'>;
}

export const OTLP_TRACES_PATH = '/v1/traces';
const TRANSPORT = 'otlp_http';
const CONTENT_TYPE: Record<BodyFormat, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

export const otlpHttpTraces: FastifyPluginAsync<OtlpHttpOptions> = async (app, opts) => {
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
    const refusal = httpRefusalFor(err);
    if (refusal.reason) {
      metrics.requestsRefused.inc({ transport: TRANSPORT, reason: refusal.reason });
      request.log.debug({ statusCode: refusal.statusCode, reason: refusal.reason, detail: refusal.message }, 'OTLP/HTTP trace request refused');
    } else {
      request.log.error({ err }, 'OTLP/HTTP trace request failed');
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

  app.post(OTLP_TRACES_PATH, {
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
      // Spans that validation leaves untouched are re-encoded per trace by copying their bytes.
      const spans = format === 'json' ? decodeTracesJson(decodeUtf8(body)) : decodeTracesProtobuf(body, { keepEncodedSpans: true });
      const partial = await intake.accept(spans, TRANSPORT);
      return sendResponse(reply, format, partial);
    },
  });

  // The Collector answers other methods on the path with 405 rather than 404 (otlphttp.go).
  app.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: OTLP_TRACES_PATH,
    handler: async (_request, reply) => {
      reply.code(405).header('allow', 'POST').type('text/plain');
      return `${OTLP_TRACES_PATH} accepts POST only`;
    },
  });
};

function sendResponse(reply: FastifyReply, format: BodyFormat, partial: PartialSuccess): string | Buffer {
  reply.code(200).type(CONTENT_TYPE[format]);
  return format === 'json' ? encodeTraceResponseJson(partial) : Buffer.from(encodeTraceResponseProtobuf(partial));
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
