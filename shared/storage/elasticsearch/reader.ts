/**
 * SpanReader over the daily indices. Every read with a time range names only that range's days
 * (`indicesForRange`); reads without one (a trace id without a hint, the service list) use the
 * `<prefix>-<signal>-*` pattern. Missing days are normal (retention, quiet days), hence
 * `ignore_unavailable` everywhere.
 */
import type { Client, estypes } from '@elastic/elasticsearch';
import type { Resource, SpanRecord } from '../../model/span.js';
import { addDependencyEdges, dependencyLinksFromCounts } from '../span-match.js';
import type { DependencyLink, Operation, OperationQuery, SpanReader, TraceQuery } from '../spanstore.js';
import type { DependencyRangeReader } from '../dependency-range.js';
import { kindFromName, kindName, SpanDocumentDecoder, type SpanDocument } from './document.js';
import { indexPattern, indicesForRange, type Signal } from './indices.js';
import { tagTerm } from './tags.js';
import type { ReadScope } from '../read-scope.js';

/** The tenant filter of a scoped read ([] when unscoped). */
export function tenantFilter(scope: ReadScope | undefined): estypes.QueryDslQueryContainer[] {
  return scope?.tenant === undefined ? [] : [{ term: { tenant: scope.tenant } }];
}

export interface ElasticsearchSpanReaderOptions {
  readonly client: Client;
  readonly indexPrefix: string;
  /**
   * How far before and after a search window (or a trace-id hint) the spans of a found trace are
   * looked for. A trace's other spans may start outside the window, and near midnight in the
   * neighbouring day's index; Jaeger's Elasticsearch reader uses the same one hour.
   */
  readonly traceLookaroundMs: number;
}

/** Spans come back without `tags` and the TraceQL fields: _source excludes them (see templates.ts). */
export type StoredSpanDocument = Omit<SpanDocument, 'tags' | 'traceqlTerms' | 'traceqlKeys'>;

/** Hits per page when reading whole traces; under index.max_result_window (10 000). */
const SPAN_PAGE = 2000;
/** Hits per page for the dependency scan, which reads four small doc-value fields per span. */
const LINK_PAGE = 10_000;
const COMPOSITE_PAGE = 1000;
/** How far before a dependency window parents are looked for (parents start just before their children). */
const PARENT_MARGIN_US = 5 * 60_000_000;
/** Terms per query when fetching traces by id (a terms query allows 65 536). */
const IDS_PER_QUERY = 1000;

/**
 * (traceId, spanId, serviceName, kind, spanHash) identifies a document (see spanDocumentId), so
 * it is a total order for search_after paging without sorting on `_id` (off by default in 8.x).
 * Indices written before `spanHash` existed read it as unmapped (one document per identity there).
 */
const SPAN_SORT: estypes.Sort = [
  { traceId: 'asc' }, { spanId: 'asc' }, { serviceName: 'asc' }, { kind: 'asc' },
  { spanHash: { order: 'asc', unmapped_type: 'keyword' } },
];

const tolerant = { ignore_unavailable: true, allow_no_indices: true } as const;

export class ElasticsearchSpanReader implements SpanReader, DependencyRangeReader {
  private readonly client: Client;
  private readonly prefix: string;
  private readonly lookaroundMs: number;

  constructor(opts: ElasticsearchSpanReaderOptions) {
    this.client = opts.client;
    this.prefix = opts.indexPrefix;
    this.lookaroundMs = opts.traceLookaroundMs;
  }

  /** Index expressions for a time range in µs; exposed so tests can see which days a read touches. */
  indicesFor(signal: Signal, startUs: number, endUs: number): string[] {
    return indicesForRange(this.prefix, signal, Math.floor(startUs / 1000), Math.floor(endUs / 1000));
  }

  async getTrace(traceId: string, hint?: { startTimeUs?: number; endTimeUs?: number }, scope?: ReadScope): Promise<SpanRecord[]> {
    const around = this.lookaroundMs * 1000;
    const index =
      hint?.startTimeUs !== undefined && hint.endTimeUs !== undefined
        ? this.indicesFor('spans', hint.startTimeUs - around, hint.endTimeUs + around)
        : [indexPattern(this.prefix, 'spans')];
    if (index.length === 0) return [];
    return this.readSpans(index, scoped({ term: { traceId } }, scope));
  }

  async getServices(scope?: ReadScope): Promise<string[]> {
    const buckets = await this.composite(scope?.tenant === undefined ? { match_all: {} } : { bool: { filter: tenantFilter(scope) } }, [
      { service: { terms: { field: 'serviceName' } } },
    ]);
    return buckets.map((b) => String(b.service)).sort();
  }

  async getOperations(query: OperationQuery, scope?: ReadScope): Promise<Operation[]> {
    const filter: estypes.QueryDslQueryContainer[] = [{ term: { serviceName: query.service } }, ...tenantFilter(scope)];
    if (query.spanKind !== undefined) filter.push({ term: { spanKind: kindName(query.spanKind) } });
    const buckets = await this.composite({ bool: { filter } }, [
      { name: { terms: { field: 'operationName' } } },
      { kind: { terms: { field: 'spanKind' } } },
    ]);
    return buckets
      .map((b) => ({ name: String(b.name), spanKind: kindFromName(String(b.kind)) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.spanKind - b.spanKind));
  }

  async findTraces(query: TraceQuery, scope?: ReadScope): Promise<SpanRecord[][]> {
    if (query.limit <= 0) return [];
    const index = this.indicesFor('spans', query.startTimeMinUs, query.startTimeMaxUs);
    if (index.length === 0) return [];
    const filter: estypes.QueryDslQueryContainer[] = [
      { range: { startTimeUs: { gte: query.startTimeMinUs, lte: query.startTimeMaxUs } } },
      ...tenantFilter(scope),
    ];
    if (query.service !== undefined) filter.push({ term: { serviceName: query.service } });
    if (query.operation !== undefined) filter.push({ term: { name: query.operation } });
    if (query.durationMinUs !== undefined || query.durationMaxUs !== undefined) {
      filter.push({ range: { durationUs: { gte: query.durationMinUs, lte: query.durationMaxUs } } });
    }
    for (const [key, value] of Object.entries(query.tags)) filter.push({ term: { tags: tagTerm(key, value) } });

    // Trace ids ordered by their latest matching span: a terms aggregation ordered by a max
    // sub-aggregation (descending max is exact across shards, unlike most sub-aggregation orders).
    const found = await this.client.search<unknown, Record<'traces', estypes.AggregationsStringTermsAggregate>>({
      index,
      ...tolerant,
      size: 0,
      track_total_hits: false,
      query: { bool: { filter } },
      aggs: {
        traces: {
          terms: { field: 'traceId', size: query.limit, order: { latest: 'desc' } },
          aggs: { latest: { max: { field: 'startTimeUs' } } },
        },
      },
    });
    const buckets = found.aggregations?.traces.buckets;
    const traceIds = (Array.isArray(buckets) ? buckets : []).map((b) => String(b.key));
    if (traceIds.length === 0) return [];

    const byTrace = await this.tracesByIds(traceIds, query.startTimeMinUs, query.startTimeMaxUs, scope);
    return traceIds.map((id) => byTrace.get(id)!).filter((spans) => spans.length > 0);
  }

  /**
   * Every span of the given traces found in the window's days plus the lookaround (a found
   * trace's other spans may start outside the window); each id maps to its spans, [] if none.
   */
  async tracesByIds(traceIds: readonly string[], startTimeMinUs: number, startTimeMaxUs: number, scope?: ReadScope): Promise<Map<string, SpanRecord[]>> {
    const around = this.lookaroundMs * 1000;
    const spanIndex = this.indicesFor('spans', startTimeMinUs - around, startTimeMaxUs + around);
    const byTrace = new Map<string, SpanRecord[]>(traceIds.map((id) => [id, []]));
    for (let i = 0; i < traceIds.length; i += IDS_PER_QUERY) {
      const spans = await this.readSpans(spanIndex, scoped({ terms: { traceId: traceIds.slice(i, i + IDS_PER_QUERY) } }, scope));
      for (const span of spans) byTrace.get(span.traceId)?.push(span);
    }
    return byTrace;
  }

  /**
   * Computed on demand: pages through the doc values (ids, service, kind, start) of every span
   * in the window plus a margin before it, sorted by trace id so one trace is in memory at a
   * time, and applies the same parent rules as every store (span-match.ts). The margin lets a
   * child near the window's start find a parent that started just before it; only children in
   * the window are counted. Cost grows with the spans scanned (~150 bytes each over the wire,
   * roughly a second per million on one node): fine for hours, slow for days of a busy mesh,
   * which is what the dependency roll-up job (stored `…-dependencies-…` indices) is for.
   */
  async getDependencies(endTimeMs: number, lookbackMs: number, scope?: ReadScope): Promise<DependencyLink[]> {
    return this.getDependenciesBetween((endTimeMs - lookbackMs) * 1000, endTimeMs * 1000, scope);
  }

  /** DependencyRangeReader: children started within [fromUs, toUs]; same scan as getDependencies. */
  async getDependenciesBetween(fromUs: number, toUs: number, scope?: ReadScope): Promise<DependencyLink[]> {
    const scanFromUs = fromUs - PARENT_MARGIN_US;
    const index = this.indicesFor('spans', scanFromUs, toUs);
    if (index.length === 0) return [];
    const counts = new Map<string, number>();
    let trace: SpanRecord[] = [];
    let after: estypes.SortResults | undefined;
    for (;;) {
      const res = await this.client.search({
        index,
        ...tolerant,
        size: LINK_PAGE,
        track_total_hits: false,
        _source: false,
        docvalue_fields: ['traceId', 'spanId', 'parentSpanId', 'serviceName', 'kind', 'startTimeUs'],
        query: scoped({ range: { startTimeUs: { gte: scanFromUs, lte: toUs } } }, scope),
        sort: SPAN_SORT,
        search_after: after,
      });
      const hits = res.hits.hits;
      for (const hit of hits) {
        const link = linkSpanOf(hit.fields ?? {});
        if (trace.length > 0 && trace[0]!.traceId !== link.traceId) {
          addDependencyEdges(trace, fromUs, toUs, counts);
          trace = [];
        }
        trace.push(link);
      }
      if (hits.length < LINK_PAGE) break;
      after = hits[hits.length - 1]!.sort;
    }
    addDependencyEdges(trace, fromUs, toUs, counts);
    return dependencyLinksFromCounts(counts);
  }

  private async readSpans(index: string[], query: estypes.QueryDslQueryContainer): Promise<SpanRecord[]> {
    const decoder = new SpanDocumentDecoder();
    const spans: SpanRecord[] = [];
    let after: estypes.SortResults | undefined;
    for (;;) {
      const res = await this.client.search<StoredSpanDocument>({
        index,
        ...tolerant,
        size: SPAN_PAGE,
        track_total_hits: false,
        query,
        sort: SPAN_SORT,
        search_after: after,
      });
      const hits = res.hits.hits;
      for (const hit of hits) if (hit._source) spans.push(decoder.decode(hit._source));
      if (hits.length < SPAN_PAGE) break;
      after = hits[hits.length - 1]!.sort;
    }
    return spans;
  }

  /** All buckets of a composite aggregation over the services indices, page by page. */
  private async composite(
    query: estypes.QueryDslQueryContainer,
    sources: Array<Record<string, estypes.AggregationsCompositeAggregationSource>>,
  ): Promise<Array<Record<string, estypes.FieldValue>>> {
    const out: Array<Record<string, estypes.FieldValue>> = [];
    let after: Record<string, estypes.FieldValue> | undefined;
    for (;;) {
      const res = await this.client.search<unknown, Record<'groups', estypes.AggregationsCompositeAggregate>>({
        index: indexPattern(this.prefix, 'services'),
        ...tolerant,
        size: 0,
        track_total_hits: false,
        query,
        aggs: { groups: { composite: { size: COMPOSITE_PAGE, sources, after } } },
      });
      const agg = res.aggregations?.groups;
      const buckets = agg && Array.isArray(agg.buckets) ? agg.buckets : [];
      for (const b of buckets) out.push(b.key as Record<string, estypes.FieldValue>);
      if (!agg?.after_key || buckets.length < COMPOSITE_PAGE) break;
      after = agg.after_key as Record<string, estypes.FieldValue>;
    }
    return out;
  }
}

/** `query` as it was when unscoped (request bodies unchanged), else with the tenant filter added. */
function scoped(query: estypes.QueryDslQueryContainer, scope: ReadScope | undefined): estypes.QueryDslQueryContainer {
  return scope?.tenant === undefined ? query : { bool: { filter: [query, ...tenantFilter(scope)] } };
}

const NO_RESOURCE: Resource = { attributes: [], droppedAttributesCount: 0, schemaUrl: '' };

/**
 * A SpanRecord with only what dependency edges need (ids, service, kind, start) filled in from
 * doc values, so the dependency scan reads no _source and shares span-match.ts with every store.
 */
function linkSpanOf(fields: Record<string, unknown>): SpanRecord {
  const first = (name: string): unknown => (fields[name] as unknown[] | undefined)?.[0];
  const startNs = BigInt(Number(first('startTimeUs') ?? 0)) * 1000n;
  return {
    traceId: String(first('traceId') ?? ''),
    spanId: String(first('spanId') ?? ''),
    parentSpanId: String(first('parentSpanId') ?? ''),
    traceState: '',
    flags: 0,
    name: '',
    kind: kindFromName(String(first('kind') ?? '')),
    startTimeUnixNano: startNs,
    endTimeUnixNano: startNs,
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
    resource: NO_RESOURCE,
    scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
    serviceName: String(first('serviceName') ?? ''),
  };
}
