/**
 * `POST /v1/accesslogs`: Istio / Envoy access-log lines as proxies write them to stdout, shipped by
 * Fluent Bit, Vector or curl. Each entry is parsed on its own (Istio TEXT, Istio JSON, the
 * configured custom Envoy format, or any of them wrapped in a shipper record); the good ones are
 * published, the bad ones counted and reported line by line, so one garbage line never costs the
 * rest of its batch.
 *
 * Answers:
 * - 200 `{"accepted": n, "rejected": m, "errors": [{"line": 3, "message": "…"}]}` when at least
 *   one entry was good (or the body held none); `errors` lists the first 20 rejected lines.
 * - 400, same body, when every entry was bad: nothing was kept, and a shipper that treats 2xx as
 *   delivered should learn about it (Fluent Bit and Vector do not retry 400s, so nothing loops).
 * - 413 (body or decompressed body over its limit, more lines than allowed), 415 (media type or
 *   coding we do not read), 400 (corrupt gzip, a JSON array that does not parse), 503 +
 *   Retry-After when the buffer cannot take the entries now (shippers retry 5xx).
 * Error bodies are `{"error": "<what was wrong>"}`.
 * Register without fastify-plugin, so its content-type parsers stay inside it.
 */
import { tenantOfRequest } from '../../../../shared/security/http-listener.js';
import type { FastifyPluginAsync } from 'fastify';
import { parseAccessLogEntry } from '../../../../shared/accesslog/access-log-line.js';
import type { CompiledEnvoyFormat } from '../../../../shared/accesslog/envoy-format.js';
import { AccessLogParseError } from '../../../../shared/accesslog/errors.js';
import type { AccessLogRecord } from '../../../../shared/model/access-log.js';
import type { ReceiverMetrics } from '../../receiver-metrics.js';
import type { AccessLogIntake } from '../../intake/access-log-intake.js';
import { splitAccessLogBody, TooManyLinesError, type BodyEntry } from './accesslog-lines-body.js';
import { UnsupportedMediaTypeError, acceptRawBodies, contentCodingOf, mediaTypeOf, readRequestBody } from '../../transport/http-body.js';
import type { ByteBudget } from '../../transport/byte-budget.js';
import { httpRefusalFor, type HttpRefusal } from '../../transport/http-errors.js';

export interface AccessLogLinesLimits {
  /** Body as sent (possibly compressed); larger → 413 before it is read. */
  readonly maxRequestBodyBytes: number;
  /** Body after decompression; inflating stops there → 413. */
  readonly maxDecompressedBodyBytes: number;
  /** Shared by every receiver: request bytes held at once across all requests (503 beyond). */
  readonly budget?: ByteBudget;
  /** Longest line parsed; a longer one is rejected alone. */
  readonly maxLineBytes: number;
  /** Most non-empty lines (or array elements) per request; more → 413 for the whole request. */
  readonly maxLinesPerRequest: number;
}

export interface AccessLogLinesOptions {
  readonly intake: Pick<AccessLogIntake, 'accept'>;
  readonly metrics: Pick<ReceiverMetrics, 'requestsRefused' | 'requestDuration' | 'accessLogsReceived' | 'accessLogsRefused'>;
  readonly limits: AccessLogLinesLimits;
  /** The mesh's custom TEXT format (MESHTEL_ACCESSLOG_FORMAT); Istio's default TEXT format when absent. */
  readonly format?: CompiledEnvoyFormat;
}

export interface LineError {
  readonly line: number;
  readonly message: string;
}

export interface AccessLogLinesResponse {
  readonly accepted: number;
  readonly rejected: number;
  readonly errors: readonly LineError[];
}

export const ACCESSLOG_LINES_PATH = '/v1/accesslogs';
/** Enough to see what is wrong; a batch of 10 000 bad lines must not echo 10 000 messages. */
export const MAX_REPORTED_LINE_ERRORS = 20;
const TRANSPORT = 'accesslog_lines';

/**
 * Shippers label these types inconsistently for the same bytes (Fluent Bit json_lines says
 * application/json, Vector says application/x-ndjson), so all of them mean "lines or JSON".
 * No Content-Type at all is read as text: `nc`/raw senders omit it.
 */
const LINE_TYPES = new Set(['', 'text/plain', 'application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/json']);

export const accessLogLines: FastifyPluginAsync<AccessLogLinesOptions> = async (app, opts) => {
  const { intake, metrics, limits, format } = opts;

  acceptRawBodies(app, limits.maxRequestBodyBytes, limits.budget);

  app.setErrorHandler((err, request, reply) => {
    const refusal = refusalFor(err);
    if (refusal.reason) {
      metrics.requestsRefused.inc({ transport: TRANSPORT, reason: refusal.reason });
      request.log.debug({ statusCode: refusal.statusCode, reason: refusal.reason, detail: refusal.message }, 'access-log lines refused');
    } else {
      request.log.error({ err }, 'access-log lines request failed');
    }
    if (refusal.retryAfterSeconds !== undefined) {
      reply.header('retry-after', String(Math.max(1, Math.ceil(refusal.retryAfterSeconds))));
    }
    const message = refusal.statusCode === 500 ? 'internal error while receiving access logs' : refusal.message;
    void reply.code(refusal.statusCode).type('application/json').send({ error: message });
  });

  app.addHook('onResponse', async (_request, reply) => {
    metrics.requestDuration.observe({ transport: TRANSPORT }, reply.elapsedTime / 1000);
  });

  app.post(ACCESSLOG_LINES_PATH, {
    // Refuse an unknown media type or coding before reading a possibly large body.
    onRequest: async (request) => {
      lineMediaTypeOf(request.headers['content-type']);
      contentCodingOf(request.headers['content-encoding']);
    },
    handler: async (request, reply) => {
      const json = lineMediaTypeOf(request.headers['content-type']) === 'application/json';
      const body = await readRequestBody(request, limits.maxDecompressedBodyBytes);
      const entries = splitAccessLogBody(body, json, limits);
      // Every non-empty line counts as received; the intake counts what the buffer accepted.
      if (entries.length > 0) metrics.accessLogsReceived.inc({ transport: TRANSPORT }, entries.length);

      const records: AccessLogRecord[] = [];
      const errors: LineError[] = [];
      let rejected = 0;
      for (const entry of entries) {
        const outcome = parseEntry(entry, format);
        if ('record' in outcome) {
          records.push(outcome.record);
          continue;
        }
        rejected++;
        metrics.accessLogsRefused.inc({ transport: TRANSPORT, reason: outcome.reason });
        if (outcome.reason === 'internal_error') request.log.error({ err: outcome.cause, line: entry.line }, 'access-log line parser failed');
        if (errors.length < MAX_REPORTED_LINE_ERRORS) errors.push({ line: entry.line, message: outcome.message });
      }
      if (rejected > 0) request.log.debug({ rejected, firstErrors: errors.slice(0, 3) }, 'access-log lines rejected');

      if (records.length === 0 && rejected > 0) {
        metrics.requestsRefused.inc({ transport: TRANSPORT, reason: 'decode_error' });
        reply.code(400);
      } else {
        // Buffer refusals propagate to the error handler: 503 + Retry-After, nothing acknowledged.
        if (records.length > 0) await intake.accept(records, TRANSPORT, tenantOfRequest(request));
        reply.code(200);
      }
      const response: AccessLogLinesResponse = { accepted: records.length, rejected, errors };
      return reply.type('application/json').send(response);
    },
  });

  app.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: ACCESSLOG_LINES_PATH,
    handler: async (_request, reply) => {
      reply.code(405).header('allow', 'POST').type('text/plain');
      return `${ACCESSLOG_LINES_PATH} accepts POST only`;
    },
  });
};

type EntryOutcome =
  | { readonly record: AccessLogRecord }
  | { readonly reason: 'malformed_line' | 'line_too_long' | 'internal_error'; readonly message: string; readonly cause?: unknown };

function parseEntry(entry: BodyEntry, format: CompiledEnvoyFormat | undefined): EntryOutcome {
  if (entry.kind === 'too_long') {
    return { reason: 'line_too_long', message: `line is ${entry.bytes} bytes, over the limit of MESHTEL_MAX_ACCESSLOG_LINE_BYTES` };
  }
  if (entry.kind === 'invalid_utf8') return { reason: 'malformed_line', message: 'line is not valid UTF-8' };
  try {
    return { record: parseAccessLogEntry(entry.value, { format, defaults: { input: 'lines' } }) };
  } catch (err) {
    if (err instanceof AccessLogParseError) return { reason: 'malformed_line', message: err.message };
    // A parser bug must not cost the other lines; it is logged and the line reported.
    return { reason: 'internal_error', message: 'internal error while parsing this line', cause: err };
  }
}

function lineMediaTypeOf(contentType: string | undefined): string {
  const type = mediaTypeOf(contentType);
  if (LINE_TYPES.has(type)) return type;
  throw new UnsupportedMediaTypeError(
    `unsupported Content-Type '${type}'; send access-log lines as text/plain, application/x-ndjson or application/json`,
  );
}

interface LinesRefusal extends Pick<HttpRefusal, 'statusCode' | 'message' | 'retryAfterSeconds'> {
  /** Label for meshtel_receiver_requests_refused_total; undefined for our own faults (500). */
  readonly reason?: string;
}

/** The OTLP/HTTP mapping (same limits, codings and buffer errors), plus our one own refusal. */
function refusalFor(err: unknown): LinesRefusal {
  if (err instanceof TooManyLinesError) {
    // Retrying the same request cannot help: a 4xx, as for too many spans.
    return { statusCode: 413, message: err.message, reason: 'too_many_lines' };
  }
  return httpRefusalFor(err);
}
