/**
 * The Jaeger query API (v1 JSON, under /api) as a fastify plugin: what the Jaeger UI and
 * Grafana's Jaeger data source call. Jaeger itself is removing the search endpoints (2026), while
 * Grafana still calls all of them, so we keep serving the whole v1 set. Every answer, errors
 * included, is Jaeger's envelope `{data, total, limit, offset, errors}`.
 */
import { scopeOf } from '../read-scope.js';
import type { FastifyError, FastifyPluginAsync, FastifyReply } from 'fastify';
import { BACKEND_ERROR_MESSAGE, isFastifyClientError } from '../backend-errors.js';
import type { z } from 'zod';
import { jaegerSpanKind } from './from-spans.js';
import { jaegerTraceId } from './ids.js';
import type { JaegerDependencyLink, JaegerTrace } from './model.js';
import type { SpanRecord } from '../../../shared/model/span.js';
import type { SpanReader } from '../../../shared/storage/spanstore.js';
import { jaegerTraceView } from '../trace-view/jaeger-json.js';
import type { TraceViewOptions } from '../trace-view/view.js';
import {
  JaegerParamError,
  dependenciesQuerySchema,
  operationsQuerySchema,
  parseDependenciesQuery,
  parseOperationsQuery,
  parseRaw,
  parseSearch,
  parseTraceHint,
  parseTraceIdParam,
  searchQuerySchema,
  traceQuerySchema,
} from './jaeger-params.js';

export interface JaegerApiOptions {
  readonly reader: SpanReader;
  /** Traces returned by a search without `limit` (Jaeger: 100). */
  readonly defaultLimit: number;
  /** Largest `limit` served; more is clamped to it (as Jaeger), so one request cannot pull the whole store. */
  readonly maxLimit: number;
  /** How traces are adjusted before they are shown (trace-view/); default: Jaeger's (no clock-skew shifts). */
  readonly traceView?: TraceViewOptions;
  /** Clock for the default time windows; tests pin it. */
  readonly nowMs?: () => number;
}

interface StructuredError {
  readonly code?: number;
  readonly msg: string;
  readonly traceID?: string;
}

export interface JaegerEnvelope<T> {
  readonly data: T | null;
  readonly total: number;
  readonly limit: number;
  readonly offset: number;
  readonly errors: StructuredError[] | null;
}

/** `total` is only filled for services and operations; `limit`/`offset` are always 0 (Jaeger). */
function envelope<T>(data: T, total = 0, errors: StructuredError[] | null = null): JaegerEnvelope<T> {
  return { data, total, limit: 0, offset: 0, errors };
}

function sendError(reply: FastifyReply, code: number, msg: string): FastifyReply {
  return reply.code(code).send(envelope(null, 0, [{ code, msg }]));
}

function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const result = schema.safeParse(query);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new JaegerParamError(`unable to parse param '${String(issue.path[0])}': ${issue.message}`);
}

export const DEFAULT_TRACE_VIEW: TraceViewOptions = { maxClockSkewAdjustNanos: 0n };

export const jaegerApi: FastifyPluginAsync<JaegerApiOptions> = async (app, options) => {
  const { reader } = options;
  const nowMs = options.nowMs ?? Date.now;
  const limits = { defaultLimit: options.defaultLimit, maxLimit: options.maxLimit };
  const view = options.traceView ?? DEFAULT_TRACE_VIEW;
  /** The trace as shown: adjusted unless `raw` (Jaeger's adjusters), and never empty. */
  const traceJson = (spans: readonly SpanRecord[], raw: boolean): JaegerTrace | undefined => jaegerTraceView(spans, { ...view, raw });

  // Scoped to this plugin: other APIs on the same server keep their own error shapes.
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof JaegerParamError) return sendError(reply, 400, err.message);
    // Only fastify's own refusals (bad framing, body too large) are the client's to read; anything
    // else — an Elasticsearch error above all — is logged and answered in meshtel's own words.
    if (isFastifyClientError(err)) return sendError(reply, err.statusCode!, err.message);
    request.log.error({ err }, 'jaeger api request failed');
    return sendError(reply, 500, BACKEND_ERROR_MESSAGE);
  });

  app.get('/api/services', async (request) => {
    const services = await reader.getServices(scopeOf(request));
    return envelope(services, services.length);
  });

  app.get<{ Params: { service: string } }>('/api/services/:service/operations', async (request) => {
    const operations = await reader.getOperations({ service: request.params.service }, scopeOf(request));
    // This older endpoint lists names only, one per name whatever its kinds.
    const names = [...new Set(operations.map((op) => op.name))];
    return envelope(names, names.length);
  });

  app.get('/api/operations', async (request) => {
    const query = parseOperationsQuery(parseQuery(operationsQuerySchema, request.query));
    const operations = await reader.getOperations(query, scopeOf(request));
    const data = operations.map((op) => ({ name: op.name, spanKind: jaegerSpanKind(op.spanKind) }));
    return envelope(data, data.length);
  });

  app.get('/api/traces', async (request) => {
    const search = parseSearch(parseQuery(searchQuerySchema, request.query), limits, nowMs());
    if (search.kind === 'ids') {
      const data: JaegerTrace[] = [];
      const errors: StructuredError[] = [];
      for (const traceId of search.traceIds) {
        const trace = traceJson(await reader.getTrace(traceId, undefined, scopeOf(request)), search.raw);
        // Multi-get reports missing ids beside the found traces, with 200 (Jaeger).
        if (trace === undefined) errors.push({ msg: 'trace not found', traceID: jaegerTraceId(traceId) });
        else data.push(trace);
      }
      return envelope(data, 0, errors.length > 0 ? errors : null);
    }
    const traces = await reader.findTraces(search.query, scopeOf(request));
    const data: JaegerTrace[] = [];
    for (const spans of traces) {
      const trace = traceJson(spans, search.raw);
      if (trace !== undefined) data.push(trace);
    }
    return envelope(data);
  });

  app.get<{ Params: { traceID: string } }>('/api/traces/:traceID', async (request, reply) => {
    const traceId = parseTraceIdParam(request.params.traceID);
    const query = parseQuery(traceQuerySchema, request.query);
    const hint = parseTraceHint(query);
    const raw = parseRaw(query.raw);
    const trace = traceJson(await reader.getTrace(traceId, hint, scopeOf(request)), raw);
    if (trace === undefined) return sendError(reply, 404, 'trace not found');
    return envelope([trace]);
  });

  app.get('/api/dependencies', async (request) => {
    const query = parseDependenciesQuery(parseQuery(dependenciesQuerySchema, request.query), nowMs());
    const links = await reader.getDependencies(query.endTimeMs, query.lookbackMs, scopeOf(request));
    return envelope(summedLinks(links, query.service));
  });

  // Anything else under /api answers in the envelope, so clients can show the message.
  // More specific routes registered by other plugins (e.g. /api/v1/edges) still win.
  app.all('/api/*', async (request, reply) => sendError(reply, 404, `${request.method} ${request.url.split('?')[0]} not found`));
};

/** Duplicate edges (a store may return one per index or per day) are summed; stable order. */
function summedLinks(links: readonly JaegerDependencyLink[], service: string | undefined): JaegerDependencyLink[] {
  const byEdge = new Map<string, JaegerDependencyLink>();
  for (const link of links) {
    if (service !== undefined && link.parent !== service && link.child !== service) continue;
    const key = `${link.parent}\u0000${link.child}`;
    const prev = byEdge.get(key);
    byEdge.set(key, { parent: link.parent, child: link.child, callCount: (prev?.callCount ?? 0) + link.callCount });
  }
  return [...byEdge.values()].sort((a, b) =>
    a.parent < b.parent ? -1 : a.parent > b.parent ? 1 : a.child < b.child ? -1 : a.child > b.child ? 1 : 0,
  );
}
