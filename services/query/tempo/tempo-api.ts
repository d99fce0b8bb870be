/**
 * The Tempo HTTP API (grafana/tempo `pkg/api/http.go`) as a fastify plugin: what a Grafana Tempo
 * data source calls — health (`/api/echo`), trace by id (v1 and v2, protobuf or JSON), TraceQL
 * search, and the tag name/value lists behind the query editor's autocomplete. TraceQL runs in
 * the span store (TraceqlReader); this plugin parses parameters and shapes answers. Errors are
 * plain text with a status code, as Tempo answers them.
 */
import { scopeOf } from '../read-scope.js';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { SpanReader, TraceqlReader } from '../../../shared/storage/spanstore.js';
import type { SpanFilter } from '../../../shared/traceql/model.js';
import { TraceqlError, compileSpanFilter } from '../../../shared/traceql/compile.js';
import { searchResponse } from './search-response.js';
import {
  DEFAULT_TAG_LIMIT,
  INTRINSIC_TAG_NAMES,
  MAX_TAG_LIMIT,
  TempoParamError,
  decodeTagSegment,
  parseLimit,
  parseSearch,
  parseTagIdentifier,
  parseTraceHint,
  parseTraceIdParam,
  parseWindow,
  searchQuerySchema,
  single,
  tagValuesQuerySchema,
  tagsQuerySchema,
  traceByIdQuerySchema,
} from './tempo-params.js';
import { traceByIdResponseProtobuf, traceJson, traceProtobuf } from './trace-encoding.js';

export interface TempoApiOptions {
  readonly reader: SpanReader & TraceqlReader;
  /** Readiness of what the API reads (the store); `/ready` answers 503 while false. */
  readonly isReady?: () => Promise<boolean>;
  /** Clock for default time windows; tests pin it. */
  readonly nowMs?: () => number;
  /** meshtel's own version, shown as the build revision. */
  readonly revision?: string;
  /**
   * Multi-tenancy is on: trace by id reads the caller's tenant only, and TraceQL search and tags
   * (whose store queries know no tenant yet) answer 501 rather than show other tenants' data.
   */
  readonly tenancy?: boolean;
}

const NO_TENANT_SEARCH =
  'TraceQL search and tag lookups are not available with multi-tenancy (MESHTEL_MULTITENANCY_ENABLED) yet; trace by id is';

/**
 * The Tempo version `/api/status/buildinfo` reports. Grafana gates features on it (search
 * streaming ≥ 2.2, TraceQL metrics ≥ 2.7); we claim a version whose HTTP API we serve.
 */
export const TEMPO_COMPATIBLE_VERSION = '2.8.0';

const PROTOBUF = 'application/protobuf';

function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const result = schema.safeParse(query);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new TempoParamError(`invalid ${String(issue.path[0])}: ${issue.message}`);
}

function wantsProtobuf(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.toLowerCase().includes(PROTOBUF);
}

/**
 * The `q` of a tag-values request: Grafana sends the query being typed, often unfinished
 * (`{ resource.service.name = "a" && }`). Like Tempo, an unusable `q` means no filter rather than
 * a failed autocomplete.
 */
function autocompleteFilter(q: string | undefined): SpanFilter | undefined {
  if (q === undefined) return undefined;
  try {
    return compileSpanFilter(q);
  } catch (err) {
    if (err instanceof TraceqlError) return undefined;
    throw err;
  }
}

const ATTRIBUTE_SCOPES = ['resource', 'span', 'event', 'link', 'instrumentation'] as const;
const TAG_SCOPES = [...ATTRIBUTE_SCOPES, 'intrinsic'] as const;

export const tempoApi: FastifyPluginAsync<TempoApiOptions> = async (app, options) => {
  const { reader } = options;
  const nowMs = options.nowMs ?? Date.now;

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof TempoParamError || err instanceof TraceqlError) return reply.code(400).type('text/plain').send(err.message);
    const status = err.statusCode ?? 500;
    if (status >= 500) request.log.error({ err }, 'tempo api request failed');
    return reply.code(status).type('text/plain').send(status >= 500 ? `internal error: ${err.message}` : err.message);
  });

  app.get('/api/echo', async (_request, reply) => reply.type('text/plain').send('echo'));

  app.get('/ready', async (_request, reply) => {
    const ready = options.isReady === undefined || (await options.isReady());
    return reply.code(ready ? 200 : 503).type('text/plain').send(ready ? 'ready' : 'not ready');
  });

  app.get('/api/status/buildinfo', async () => ({
    version: TEMPO_COMPATIBLE_VERSION,
    revision: options.revision ?? 'meshtel',
    branch: 'meshtel',
    buildDate: '',
    buildUser: 'meshtel',
    goVersion: '',
  }));

  async function traceById(request: FastifyRequest<{ Params: { traceID: string } }>, reply: FastifyReply, v2: boolean): Promise<FastifyReply> {
    const traceId = parseTraceIdParam(request.params.traceID);
    const hint = parseTraceHint(parseQuery(traceByIdQuerySchema, request.query));
    const spans = await reader.getTrace(traceId, hint, scopeOf(request));
    // Grafana retries v1 on a 404 from v2, so both must say 404 for an unknown trace.
    if (spans.length === 0) return reply.code(404).type('text/plain').send('trace not found');
    if (wantsProtobuf(request)) {
      const body = v2 ? traceByIdResponseProtobuf(spans) : traceProtobuf(spans);
      return reply.type(PROTOBUF).send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    }
    const trace = traceJson(spans);
    return reply.send(v2 ? { trace, metrics: {} } : trace);
  }

  app.get<{ Params: { traceID: string } }>('/api/traces/:traceID', (request, reply) => traceById(request, reply, false));
  app.get<{ Params: { traceID: string } }>('/api/v2/traces/:traceID', (request, reply) => traceById(request, reply, true));

  if (options.tenancy === true) {
    app.addHook('onRequest', async (request, reply) => {
      if (request.url.startsWith('/api/search') || request.url.startsWith('/api/v2/search')) {
        return reply.code(501).type('text/plain').send(NO_TENANT_SEARCH);
      }
      return undefined;
    });
  }

  app.get('/api/search', async (request) => {
    const search = parseSearch(parseQuery(searchQuerySchema, request.query), nowMs());
    const matches = await reader.searchTraceql({
      query: search.query,
      startTimeMinUs: search.startTimeMinUs,
      startTimeMaxUs: search.startTimeMaxUs,
      limit: search.limit,
      spansPerSpanset: search.spansPerSpanset,
    });
    return searchResponse(search.query, matches);
  });

  /** Tag names per scope: the stored attribute keys, and the supported intrinsics. */
  async function scopedTags(query: z.infer<typeof tagsQuerySchema>): Promise<{ name: string; tags: string[] }[]> {
    const scope = single(query.scope);
    if (scope !== undefined && scope !== 'all' && scope !== 'none' && !(TAG_SCOPES as readonly string[]).includes(scope)) {
      throw new TempoParamError(`invalid scope: ${JSON.stringify(scope)} is not one of ${TAG_SCOPES.join(', ')}`);
    }
    const filter = autocompleteFilter(single(query.q));
    const window = {
      ...parseWindow(query, nowMs()),
      limit: parseLimit(query.limit, DEFAULT_TAG_LIMIT, MAX_TAG_LIMIT),
      ...(filter !== undefined && { filter }),
    };
    const wanted = (s: string) => scope === undefined || scope === 'all' || scope === 'none' || scope === s;
    const found = ATTRIBUTE_SCOPES.some(wanted) ? await reader.getTraceqlTags(window) : [];
    const scopes = ATTRIBUTE_SCOPES.filter(wanted)
      .map((name) => ({ name: name as string, tags: found.filter((t) => t.scope === name).map((t) => t.key) }))
      .filter((s) => s.tags.length > 0);
    if (wanted('intrinsic')) scopes.push({ name: 'intrinsic', tags: [...INTRINSIC_TAG_NAMES] });
    return scopes;
  }

  app.get('/api/search/tags', async (request) => {
    const query = parseQuery(tagsQuerySchema, request.query);
    const scopes = await scopedTags(query);
    // v1 names are bare attribute keys; intrinsics only when asked for by scope.
    const withIntrinsics = single(query.scope) === 'intrinsic';
    const names = new Set<string>();
    for (const s of scopes) {
      if (s.name !== 'intrinsic' || withIntrinsics) for (const t of s.tags) names.add(t);
    }
    return { tagNames: [...names].sort(), metrics: {} };
  });

  app.get('/api/v2/search/tags', async (request) => {
    return { scopes: await scopedTags(parseQuery(tagsQuerySchema, request.query)), metrics: {} };
  });

  async function tagValues(request: FastifyRequest<{ Params: { name: string } }>, v2: boolean) {
    const query = parseQuery(tagValuesQuerySchema, request.query);
    const name = decodeTagSegment(request.params.name);
    // v1 names are bare keys: the span's or the resource's attribute.
    const tag = v2 ? parseTagIdentifier(name) : ({ kind: 'attribute', scope: 'unscoped', key: name } as const);
    const filter = autocompleteFilter(single(query.q));
    const window = { ...parseWindow(query, nowMs()), limit: parseLimit(query.limit, DEFAULT_TAG_LIMIT, MAX_TAG_LIMIT) };
    if (tag === undefined) return [];
    return reader.getTraceqlTagValues(tag, { ...window, ...(filter !== undefined && { filter }) });
  }

  app.get<{ Params: { name: string } }>('/api/search/tag/:name/values', async (request) => {
    const values = await tagValues(request, false);
    return { tagValues: [...new Set(values.map((v) => v.value))], metrics: {} };
  });

  app.get<{ Params: { name: string } }>('/api/v2/search/tag/:name/values', async (request) => ({
    tagValues: await tagValues(request, true),
    metrics: {},
  }));

  const metricsNotServed = async (_request: FastifyRequest, reply: FastifyReply) =>
    reply.code(501).type('text/plain').send('TraceQL metrics (/api/metrics/query_range, /api/metrics/query) are not supported by meshtel; use the span metrics in Prometheus (traces_spanmetrics_*)');
  app.get('/api/metrics/query_range', metricsNotServed);
  app.get('/api/metrics/query', metricsNotServed);
};
