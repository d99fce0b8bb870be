/**
 * Jaeger's api_v3 over HTTP (the JSON gateway of Jaeger v2's query service), as a fastify
 * plugin: what Jaeger UI ≥ 2 and Grafana's Jaeger data source (with `jaegerEnableGrpcEndpoint`)
 * call. Traces are OTLP/JSON with hex ids and integer enums, adjusted by the shared trace view
 * (trace-view/), with Jaeger's warnings as the span attribute `@jaeger@warnings`. Errors are
 * `{"error":{"httpCode","message"}}`; a search or trace lookup that finds nothing is a 404
 * `No traces found`, as Jaeger answers.
 */
import { scopeOf } from '../read-scope.js';
import type { FastifyError, FastifyPluginAsync, FastifyReply } from 'fastify';
import { jaegerSpanKind } from '../jaeger/from-spans.js';
import type { KeyValue, SpanRecord } from '../../../shared/model/span.js';
import { encodeTracesJsonObject } from '../../../shared/otlp/traces/traces-json-encode.js';
import type { SpanReader } from '../../../shared/storage/spanstore.js';
import { viewOfTrace, type TraceViewOptions, type ViewSpan } from '../trace-view/view.js';
import {
  V3ParamError, parseFindTraces, parseGetTrace, parseOperations, parseTraceIdV3, v3QuerySchema, type V3Query,
} from './params.js';
import { summarizeTrace } from './summaries.js';

export interface JaegerV3ApiOptions {
  readonly reader: SpanReader;
  /** Traces per search without `query.searchDepth` (Jaeger: 100). */
  readonly defaultLimit: number;
  /** Larger search depths are served as this many. */
  readonly maxLimit: number;
  readonly traceView: TraceViewOptions;
}

/** Where Jaeger v2 keeps a span's warnings in OTLP (its `jptrace.WarningsAttribute`). */
export const WARNINGS_ATTRIBUTE = '@jaeger@warnings';

export interface V3Error {
  readonly error: { readonly httpCode: number; readonly message: string };
}

function sendError(reply: FastifyReply, httpCode: number, message: string): FastifyReply {
  return reply.code(httpCode).send({ error: { httpCode, message } } satisfies V3Error);
}

function queryOf(raw: unknown): V3Query {
  const parsed = v3QuerySchema.safeParse(raw ?? {});
  if (!parsed.success) throw new V3ParamError(`malformed query string: ${parsed.error.issues[0].message}`);
  return parsed.data;
}

function warningsOf(span: SpanRecord): KeyValue[] {
  const warnings = (span as Partial<ViewSpan>).warnings;
  if (warnings === undefined || warnings.length === 0) return [];
  return [{ key: WARNINGS_ATTRIBUTE, value: { type: 'array', value: warnings.map((w) => ({ type: 'string' as const, value: w })) } }];
}

/** `{"result": TracesData}` with every span of every trace, merged, as Jaeger's gateway does. */
function resultOf(traces: readonly ViewSpan[][]): { result: ReturnType<typeof encodeTracesJsonObject> } {
  return { result: encodeTracesJsonObject(traces.flat(), { ids: 'hex', extraAttributes: warningsOf }) };
}

export const jaegerV3Api: FastifyPluginAsync<JaegerV3ApiOptions> = async (app, options) => {
  const { reader, traceView } = options;
  const limits = { defaultLimit: options.defaultLimit, maxLimit: options.maxLimit };

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof V3ParamError) return sendError(reply, 400, err.message);
    const status = err.statusCode ?? 500;
    if (status >= 500) request.log.error({ err }, 'api_v3 request failed');
    return sendError(reply, status, err.message);
  });

  app.get('/api/v3/services', async (request) => ({ services: await reader.getServices(scopeOf(request)) }));

  app.get('/api/v3/operations', async (request) => {
    const query = parseOperations(queryOf(request.query));
    const operations = query === null ? [] : await reader.getOperations(query, scopeOf(request));
    // Jaeger's gateway names a kindless operation `internal`.
    return { operations: operations.map((op) => ({ name: op.name, spanKind: jaegerSpanKind(op.spanKind) || 'internal' })) };
  });

  app.get<{ Params: { traceId: string } }>('/api/v3/traces/:traceId', async (request, reply) => {
    const traceId = parseTraceIdV3(request.params.traceId);
    const { hint, raw } = parseGetTrace(queryOf(request.query));
    const spans = await reader.getTrace(traceId, hint, scopeOf(request));
    if (spans.length === 0) return sendError(reply, 404, 'No traces found');
    return resultOf([viewOfTrace(spans, { ...traceView, raw })]);
  });

  app.get('/api/v3/traces', async (request, reply) => {
    const { query, raw } = parseFindTraces(queryOf(request.query), limits);
    const traces = (await reader.findTraces(query, scopeOf(request))).filter((t) => t.length > 0);
    if (traces.length === 0) return sendError(reply, 404, 'No traces found');
    return resultOf(traces.map((spans) => viewOfTrace(spans, { ...traceView, raw })));
  });

  app.get('/api/v3/trace-summaries', async (request) => {
    // Summaries always read the adjusted trace; rawTraces has no effect (Jaeger).
    const { query } = parseFindTraces(queryOf(request.query), limits);
    const traces = (await reader.findTraces(query, scopeOf(request))).filter((t) => t.length > 0);
    return { summaries: traces.map((spans) => summarizeTrace(viewOfTrace(spans, traceView))) };
  });
};
