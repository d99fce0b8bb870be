/**
 * AccessLogReader over the daily access-log indices. Every read has a time range and names only
 * the indices of its days (`indicesForRange`); missing days are normal (retention, quiet days),
 * hence `ignore_unavailable`. Filters mean what accesslog-match.ts says, expressed as queries.
 */
import type { ReadScope } from '../read-scope.js';
import { tenantFilter } from './reader.js';
import type { Client, estypes } from '@elastic/elasticsearch';
import type { AccessLogRecord } from '../../model/access-log.js';
import { DEFAULT_ACCESS_LOG_KINDS } from '../accesslog-match.js';
import type { AccessLogEdge, AccessLogPage, AccessLogQuery, AccessLogReader } from '../accesslogstore.js';
import { decodeAccessLogDocument, type StoredAccessLog } from './accesslog-document.js';
import { indicesForRange } from './indices.js';

export interface ElasticsearchAccessLogReaderOptions {
  readonly client: Client;
  readonly indexPrefix: string;
}

/** Elasticsearch's index.max_result_window: `from + size` may not exceed it. */
const RESULT_WINDOW = 10_000;
/**
 * Matches counted exactly up to here, then reported as a lower bound: counting every match of
 * a broad query over a busy day costs more than a pager needs.
 */
const TOTAL_HITS_CAP = 100_000;
/**
 * Request ids are counted with the cardinality aggregation (HyperLogLog++): exact in practice up
 * to this many distinct requests per edge and window, within about a percent above. Exact
 * counting would page every request id back to us, one bucket each: minutes for an hour of a
 * busy mesh, against one aggregation here. Each bucket may hold up to 8 bytes × this threshold
 * of sketch on the cluster, hence the small composite page: 200 × 80 KB stays far below a small
 * node's request circuit breaker.
 */
const REQUEST_ID_PRECISION = 10_000;
const EDGE_PAGE = 200;

/** Same order as compareNewestFirst: start to the nanosecond, newest first, then id. */
const NEWEST_FIRST: estypes.Sort = [{ startTimeUs: 'desc' }, { startNanosOfUs: 'desc' }, { id: 'asc' }];

const tolerant = { ignore_unavailable: true, allow_no_indices: true } as const;

interface StoredDocument {
  readonly record: StoredAccessLog;
}

export class ElasticsearchAccessLogReader implements AccessLogReader {
  private readonly client: Client;
  private readonly prefix: string;

  constructor(opts: ElasticsearchAccessLogReaderOptions) {
    this.client = opts.client;
    this.prefix = opts.indexPrefix;
  }

  /** Index expressions for a time range in µs; exposed so tests can see which days a read touches. */
  indicesFor(startUs: number, endUs: number): string[] {
    return indicesForRange(this.prefix, 'accesslogs', Math.floor(startUs / 1000), Math.floor(endUs / 1000));
  }

  async findAccessLogs(query: AccessLogQuery, scope?: ReadScope): Promise<AccessLogPage> {
    const index = this.indicesFor(query.startTimeMinUs, query.startTimeMaxUs);
    if (index.length === 0) return { records: [], total: 0 };
    const filter = [...filtersOf(query), ...tenantFilter(scope)];
    const limit = Math.max(0, query.limit);
    const offset = Math.max(0, query.offset);
    const search = (extra: Partial<estypes.SearchRequest>) =>
      this.client.search<StoredDocument>({ index, ...tolerant, query: { bool: { filter } }, sort: NEWEST_FIRST, ...extra });

    if (offset + limit <= RESULT_WINDOW) {
      const res = await search({ from: offset, size: limit, track_total_hits: TOTAL_HITS_CAP });
      return { records: recordsOf(res.hits.hits), ...totalOf(res.hits.total) };
    }

    // Deep pages: from + size would exceed the result window, so walk there with search_after,
    // reading only sort values until `offset` records are skipped.
    const first = await search({ size: 0, track_total_hits: TOTAL_HITS_CAP });
    const total = totalOf(first.hits.total);
    let after: estypes.SortResults | undefined;
    for (let skip = offset; skip > 0; ) {
      const size = Math.min(skip, RESULT_WINDOW);
      const res = await search({ size, _source: false, track_total_hits: false, search_after: after });
      const hits = res.hits.hits;
      if (hits.length === 0) return { records: [], ...total };
      skip -= hits.length;
      after = hits[hits.length - 1]!.sort;
      if (hits.length < size) return { records: [], ...total };
    }
    const records: AccessLogRecord[] = [];
    while (records.length < limit) {
      const size = Math.min(limit - records.length, RESULT_WINDOW);
      const res = await search({ size, track_total_hits: false, search_after: after });
      const hits = res.hits.hits;
      records.push(...recordsOf(hits));
      if (hits.length < size) break;
      after = hits[hits.length - 1]!.sort;
    }
    return { records, ...total };
  }

  /**
   * One composite aggregation over (edgeParent, edgeChild), paged: per edge, the distinct
   * request ids of `request` records plus the number of `count` records (rules in
   * accesslog-match.ts, derived at write time).
   */
  async getAccessLogEdges(endTimeMs: number, lookbackMs: number, scope?: ReadScope): Promise<AccessLogEdge[]> {
    const fromUs = (endTimeMs - lookbackMs) * 1000;
    const toUs = endTimeMs * 1000;
    const index = this.indicesFor(fromUs, toUs);
    if (index.length === 0) return [];
    const query: estypes.QueryDslQueryContainer = {
      bool: {
        filter: [{ range: { startTimeUs: { gte: fromUs, lte: toUs } } }, { terms: { edgeRule: ['request', 'count'] } }, ...tenantFilter(scope)],
      },
    };
    type EdgeBucket = estypes.AggregationsCompositeBucket & {
      requests: estypes.AggregationsFilterAggregate & { ids: estypes.AggregationsCardinalityAggregate };
      counted: estypes.AggregationsFilterAggregate;
    };
    const edges: AccessLogEdge[] = [];
    let after: Record<string, estypes.FieldValue> | undefined;
    for (;;) {
      const res = await this.client.search<unknown, Record<'edges', estypes.AggregationsCompositeAggregate>>({
        index,
        ...tolerant,
        size: 0,
        track_total_hits: false,
        query,
        aggs: {
          edges: {
            composite: {
              size: EDGE_PAGE,
              sources: [{ parent: { terms: { field: 'edgeParent' } } }, { child: { terms: { field: 'edgeChild' } } }],
              after,
            },
            aggs: {
              requests: {
                filter: { term: { edgeRule: 'request' } },
                aggs: { ids: { cardinality: { field: 'requestId', precision_threshold: REQUEST_ID_PRECISION } } },
              },
              counted: { filter: { term: { edgeRule: 'count' } } },
            },
          },
        },
      });
      const agg = res.aggregations?.edges;
      const buckets = (agg && Array.isArray(agg.buckets) ? agg.buckets : []) as EdgeBucket[];
      for (const b of buckets) {
        const callCount = b.requests.ids.value + b.counted.doc_count;
        if (callCount > 0) edges.push({ parent: String(b.key.parent), child: String(b.key.child), callCount });
      }
      if (!agg?.after_key || buckets.length < EDGE_PAGE) break;
      after = agg.after_key as Record<string, estypes.FieldValue>;
    }
    return edges;
  }
}

function filtersOf(q: AccessLogQuery): estypes.QueryDslQueryContainer[] {
  const filter: estypes.QueryDslQueryContainer[] = [
    { range: { startTimeUs: { gte: q.startTimeMinUs, lte: q.startTimeMaxUs } } },
    { terms: { kind: [...(q.kinds ?? DEFAULT_ACCESS_LOG_KINDS)] } },
  ];
  const term = (field: string, value: string | number | undefined) => {
    if (value !== undefined) filter.push({ term: { [field]: value } });
  };
  term('sourceWorkload', q.sourceWorkload);
  term('sourceNamespace', q.sourceNamespace);
  term('destinationWorkload', q.destinationWorkload);
  term('destinationNamespace', q.destinationNamespace);
  if (q.destinationService !== undefined) {
    filter.push({
      bool: {
        should: [
          { term: { destinationService: q.destinationService } },
          { term: { destinationServiceName: q.destinationService } },
          { term: { 'graph.target': q.destinationService } },
        ],
        minimum_should_match: 1,
      },
    });
  }
  // Node ids and protocol as the mesh graph fields written with the record say (graph-mappings.ts).
  term('graph.source', q.sourceService);
  term('graph.protocol', q.protocol);
  // Indexed for every call record that has one (accesslog-document.ts).
  term('requestId', q.requestId);
  term('responseCode', q.responseCode);
  if (q.responseCodeClass !== undefined) {
    filter.push({ range: { responseCode: { gte: q.responseCodeClass * 100, lt: (q.responseCodeClass + 1) * 100 } } });
  }
  term('responseFlags', q.responseFlag);
  if (q.minDurationUs !== undefined) filter.push({ range: { durationUs: { gte: q.minDurationUs } } });
  term('traceId', q.traceId);
  term('reporter', q.reporter);
  return filter;
}

function recordsOf(hits: readonly estypes.SearchHit<StoredDocument>[]): AccessLogRecord[] {
  const out: AccessLogRecord[] = [];
  for (const hit of hits) if (hit._source?.record) out.push(decodeAccessLogDocument(hit._source.record));
  return out;
}

function totalOf(total: estypes.SearchTotalHits | number | undefined): { total: number; totalIsLowerBound?: true } {
  if (total === undefined) return { total: 0 };
  if (typeof total === 'number') return { total };
  return total.relation === 'gte' ? { total: total.value, totalIsLowerBound: true } : { total: total.value };
}
