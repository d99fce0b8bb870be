/**
 * The access-log query API as a fastify plugin:
 *
 *   GET /api/v1/accesslogs                 search: time window, peers, response, duration, trace,
 *                                          reporter, kind; newest first, paged (accesslog-params.ts)
 *   GET /api/traces/:traceID/accesslogs    the access logs of one trace, for the trace view
 *
 * Answers use the Jaeger API's envelope `{data, total, limit, offset, errors}` so a client of
 * both reads one shape; here `total` counts every match (for a pager) and `limit`/`offset` echo
 * the page. A 400 names the parameter at fault.
 */
import { scopeOf } from '../read-scope.js';
import type { FastifyError, FastifyPluginAsync, FastifyReply } from 'fastify';
import { BACKEND_ERROR_MESSAGE, isFastifyClientError } from '../backend-errors.js';
import type { z } from 'zod';
import type { MeshServiceNaming } from '../../../shared/istio/service-naming.js';
import type { AccessLogRecord } from '../../../shared/model/access-log.js';
import { estimateAccessLogBytes } from '../../../shared/storage/accesslog-size.js';
import type { AccessLogPage, AccessLogQuery, AccessLogReader } from '../../../shared/storage/accesslogstore.js';
import {
  AccessLogParamError,
  accessLogsQuerySchema,
  parseAccessLogsQuery,
  parseTraceAccessLogsQuery,
  traceAccessLogsQuerySchema,
  type AccessLogLimits,
} from './accesslog-params.js';

export interface AccessLogApiOptions {
  readonly reader: AccessLogReader;
  /** Records per page when `limit` is absent. */
  readonly defaultLimit: number;
  /** Largest `limit` accepted (and the page size of a trace's access logs). */
  readonly maxLimit: number;
  /** Largest (estimated) response; records past it are left out and `truncated` is set. 32 MiB by default. */
  readonly maxResponseBytes?: number;
  /** Largest `offset` accepted; 100 000 by default. */
  readonly maxOffset?: number;
  /** Clock for the default time windows; tests pin it. */
  readonly nowMs?: () => number;
  /** How `sourceService` / `destinationService` node ids are named where the store derives them. */
  readonly serviceNaming?: MeshServiceNaming;
}

/**
 * A record as JSON: every field of AccessLogRecord under its own name, with the start both as
 * RFC 3339 text (nanosecond fraction, UTC) and as a decimal string of Unix nanoseconds (a JSON
 * number would round it), and the duration in µs and ms.
 */
export type AccessLogJson = Omit<AccessLogRecord, 'startTimeUnixNano'> & {
  readonly startTime: string;
  readonly startTimeUnixNano: string;
  readonly durationMs?: number;
};

export interface AccessLogEnvelope {
  readonly data: AccessLogJson[] | null;
  readonly total: number;
  readonly limit: number;
  readonly offset: number;
  /** Present (true) when the store stopped counting matches: `total` is then a lower bound. */
  readonly totalIsLowerBound?: true;
  /**
   * Present (true) when the page was cut at MESHTEL_QUERY_MAX_RESPONSE_BYTES: `data` then holds
   * the first records only; ask again with a larger offset (or a smaller limit) for the rest.
   */
  readonly truncated?: true;
  readonly errors: Array<{ readonly code: number; readonly msg: string }> | null;
}

const DEFAULT_MAX_OFFSET = 100_000;
const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
const NANOS_PER_SECOND = 1_000_000_000n;

/** `2026-01-01T00:00:00.123456789Z`: RFC 3339 with all nine fraction digits, as Go prints RFC3339Nano minus the trimming. */
export function rfc3339Nano(unixNano: bigint): string {
  const seconds = unixNano >= 0n ? unixNano / NANOS_PER_SECOND : (unixNano - NANOS_PER_SECOND + 1n) / NANOS_PER_SECOND;
  const fraction = unixNano - seconds * NANOS_PER_SECOND;
  const whole = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${whole}.${fraction.toString().padStart(9, '0')}Z`;
}

export function accessLogJson(record: AccessLogRecord): AccessLogJson {
  const { id, kind, input, startTimeUnixNano, durationUs, ...rest } = record;
  return {
    id,
    kind,
    input,
    startTime: rfc3339Nano(startTimeUnixNano),
    startTimeUnixNano: startTimeUnixNano.toString(),
    ...(durationUs !== undefined && { durationUs, durationMs: durationUs / 1000 }),
    ...rest,
  };
}

function pageEnvelope(page: AccessLogPage, query: AccessLogQuery, maxResponseBytes: number): AccessLogEnvelope {
  // Estimated before serializing anything: 400 records of 1 MiB each once built a 420 MB answer.
  let bytes = 0;
  let kept = page.records.length;
  for (let i = 0; i < page.records.length; i++) {
    bytes += estimateAccessLogBytes(page.records[i]!);
    if (bytes > maxResponseBytes && i > 0) {
      kept = i;
      break;
    }
  }
  const records = kept < page.records.length ? page.records.slice(0, kept) : page.records;
  return {
    data: records.map(accessLogJson),
    total: page.total,
    limit: query.limit,
    offset: query.offset,
    ...(page.totalIsLowerBound === true && { totalIsLowerBound: true as const }),
    ...(kept < page.records.length && { truncated: true as const }),
    errors: null,
  };
}

function sendError(reply: FastifyReply, code: number, msg: string): FastifyReply {
  const body: AccessLogEnvelope = { data: null, total: 0, limit: 0, offset: 0, errors: [{ code, msg }] };
  return reply.code(code).send(body);
}

function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const result = schema.safeParse(query);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue?.code === 'unrecognized_keys') throw new AccessLogParamError(String(issue.keys[0]), 'unknown parameter');
  throw new AccessLogParamError(String(issue?.path[0] ?? 'query'), issue?.message ?? 'invalid');
}

export const accessLogApi: FastifyPluginAsync<AccessLogApiOptions> = async (app, options) => {
  const { reader } = options;
  const nowMs = options.nowMs ?? Date.now;
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const limits: AccessLogLimits = {
    defaultLimit: options.defaultLimit,
    maxLimit: options.maxLimit,
    maxOffset: options.maxOffset ?? DEFAULT_MAX_OFFSET,
  };

  // Scoped to this plugin: the Jaeger API and others on the same server keep their own handlers.
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof AccessLogParamError) return sendError(reply, 400, err.message);
    // Only fastify's own refusals (bad framing, body too large) are the client's to read; anything
    // else — an Elasticsearch error above all — is logged and answered in meshtel's own words.
    if (isFastifyClientError(err)) return sendError(reply, err.statusCode!, err.message);
    request.log.error({ err }, 'access-log api request failed');
    return sendError(reply, 500, BACKEND_ERROR_MESSAGE);
  });

  app.get('/api/v1/accesslogs', async (request) => {
    const parsed = parseAccessLogsQuery(parseQuery(accessLogsQuerySchema, request.query), limits, nowMs());
    const query = options.serviceNaming ? { ...parsed, serviceNaming: options.serviceNaming } : parsed;
    return pageEnvelope(await reader.findAccessLogs(query, scopeOf(request)), query, maxResponseBytes);
  });

  app.get<{ Params: { traceID: string } }>('/api/traces/:traceID/accesslogs', async (request) => {
    const q = parseQuery(traceAccessLogsQuerySchema, request.query);
    const query = parseTraceAccessLogsQuery(request.params.traceID, q, limits, nowMs());
    return pageEnvelope(await reader.findAccessLogs(query, scopeOf(request)), query, maxResponseBytes);
  });
};
