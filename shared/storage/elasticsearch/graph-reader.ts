/**
 * GraphReader over Elasticsearch: one composite aggregation across the window's span and
 * access-log indices, over the `graph.*` fields both stores index at write time (the
 * GraphObservation of each client span and access-log entry, graph-mappings.ts). Per edge bucket:
 * distinct request keys (cardinality — the union over traces and every sidecar's report, so a
 * call counts once), error and response-class request keys, latency range buckets per signal,
 * bytes, mTLS reports, kinds, namespaces, protocols and signals. No document reaches the query
 * process; the buckets become the same EdgePartials the memory reader computes.
 */
import type { Client, estypes } from '@elastic/elasticsearch';
import { strongerKind, strongerProtocol } from '../../graph/aggregate.js';
import { emptyLatency, LATENCY_BOUNDS_MS } from '../../graph/latency.js';
import type {
  EdgePartial,
  EdgeTimeseriesPoint,
  EdgeTimeseriesQuery,
  GraphLevel,
  GraphProtocol,
  GraphQuery,
  GraphSignal,
  NodeKind,
} from '../../graph/model.js';
import { GRAPH_SIGNALS } from '../../graph/model.js';
import { pointOf, stepStarts, stepIndexOf } from '../../graph/timeseries.js';
import type { GraphReader } from '../graphstore.js';
import { indicesForRange } from './indices.js';

export interface ElasticsearchGraphReaderOptions {
  readonly client: Client;
  readonly indexPrefix: string;
}

/**
 * Request keys are counted with HyperLogLog++; below this many distinct keys per bucket the count
 * is exact in practice, above it within about a percent (see accesslog-reader.ts for the
 * trade-off). 40000 is Elasticsearch's maximum; the composite page is small to bound the sketches.
 */
const REQUEST_KEY_PRECISION = 40_000;
const EDGE_PAGE = 100;
const tolerant = { ignore_unavailable: true, allow_no_indices: true } as const;

const LATENCY_RANGES: estypes.AggregationsAggregationRange[] = [
  ...LATENCY_BOUNDS_MS.map((to, i) => (i === 0 ? { to } : { from: LATENCY_BOUNDS_MS[i - 1]!, to })),
  { from: LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]! },
];

const distinctRequests = { cardinality: { field: 'graph.requestKey', precision_threshold: REQUEST_KEY_PRECISION } };

/** Per-bucket sub-aggregations shared by the graph and the time series. */
function countingAggs(): Record<string, estypes.AggregationsAggregationContainer> {
  const latency = (signal: GraphSignal): estypes.AggregationsAggregationContainer => ({
    filter: { term: { 'graph.signal': signal } },
    aggs: { ranges: { range: { field: 'graph.durationMs', ranges: LATENCY_RANGES, keyed: false } } },
  });
  return {
    requests: distinctRequests,
    errors: { filter: { term: { 'graph.error': true } }, aggs: { keys: distinctRequests } },
    latencyAccessLogs: latency('accesslogs'),
    latencyTraces: latency('traces'),
  };
}

function edgeAggs(): Record<string, estypes.AggregationsAggregationContainer> {
  const terms = (field: string, size: number): estypes.AggregationsAggregationContainer => ({ terms: { field: `graph.${field}`, size } });
  return {
    ...countingAggs(),
    codes: { terms: { field: 'graph.codeClass', size: 64 }, aggs: { keys: distinctRequests } },
    sourceKind: terms('sourceKind', 10),
    targetKind: terms('targetKind', 10),
    sourceNamespace: terms('sourceNamespace', 1),
    targetNamespace: terms('targetNamespace', 1),
    protocol: terms('protocol', 3),
    signal: terms('signal', 2),
    bytesSent: { sum: { field: 'graph.bytesSent' } },
    bytesReceived: { sum: { field: 'graph.bytesReceived' } },
    mtlsKnown: { filter: { exists: { field: 'graph.mtls' } } },
    mtlsYes: { filter: { term: { 'graph.mtls': true } } },
  };
}

interface TermsBucket {
  readonly key: string | number;
  readonly doc_count: number;
}
interface Terms {
  readonly buckets: readonly TermsBucket[];
}
interface CountingBucket {
  readonly requests: { readonly value: number };
  readonly errors: { readonly keys: { readonly value: number } };
  readonly latencyAccessLogs: { readonly ranges: { readonly buckets: readonly { readonly doc_count: number }[] } };
  readonly latencyTraces: { readonly ranges: { readonly buckets: readonly { readonly doc_count: number }[] } };
}
interface EdgeBucket extends CountingBucket {
  readonly key: Record<string, string>;
  readonly codes: { readonly buckets: readonly (TermsBucket & { readonly keys: { readonly value: number } })[] };
  readonly sourceKind: Terms;
  readonly targetKind: Terms;
  readonly sourceNamespace: Terms;
  readonly targetNamespace: Terms;
  readonly protocol: Terms;
  readonly signal: Terms;
  readonly bytesSent: { readonly value: number | null };
  readonly bytesReceived: { readonly value: number | null };
  readonly mtlsKnown: { readonly doc_count: number };
  readonly mtlsYes: { readonly doc_count: number };
}

function latencyOfBuckets(ranges: { readonly buckets: readonly { readonly doc_count: number }[] }): number[] {
  const counts = emptyLatency();
  ranges.buckets.forEach((b, i) => (counts[i] = b.doc_count));
  return counts;
}

export class ElasticsearchGraphReader implements GraphReader {
  private readonly client: Client;
  private readonly prefix: string;

  constructor(opts: ElasticsearchGraphReaderOptions) {
    this.client = opts.client;
    this.prefix = opts.indexPrefix;
  }

  /** The days' span (service level only) and access-log indices. */
  private indices(startUs: number, endUs: number, level: GraphLevel): string[] {
    const fromMs = Math.floor(startUs / 1000);
    const toMs = Math.floor(endUs / 1000);
    const accessLogs = indicesForRange(this.prefix, 'accesslogs', fromMs, toMs);
    return level === 'service' ? [...indicesForRange(this.prefix, 'spans', fromMs, toMs), ...accessLogs] : accessLogs;
  }

  private filters(startUs: number, endUs: number, level: GraphLevel, namespace?: string): estypes.QueryDslQueryContainer[] {
    const [source, target] = endFields(level);
    const filter: estypes.QueryDslQueryContainer[] = [
      { range: { 'graph.timeUs': { gte: startUs, lte: endUs } } },
      { exists: { field: source } },
      { exists: { field: target } },
    ];
    if (level === 'workload') filter.push({ term: { 'graph.signal': 'accesslogs' } });
    if (namespace !== undefined) {
      filter.push({
        bool: { should: [{ term: { 'graph.sourceNamespace': namespace } }, { term: { 'graph.targetNamespace': namespace } }], minimum_should_match: 1 },
      });
    }
    return filter;
  }

  async getEdgePartials(query: GraphQuery): Promise<EdgePartial[]> {
    const index = this.indices(query.startUs, query.endUs, query.level);
    if (index.length === 0) return [];
    const [sourceField, targetField] = endFields(query.level);
    const edges: EdgePartial[] = [];
    let after: Record<string, estypes.FieldValue> | undefined;
    for (;;) {
      const res = await this.client.search<unknown, Record<'edges', estypes.AggregationsCompositeAggregate>>({
        index,
        ...tolerant,
        size: 0,
        track_total_hits: false,
        query: { bool: { filter: this.filters(query.startUs, query.endUs, query.level, query.namespace) } },
        aggs: {
          edges: {
            composite: {
              size: EDGE_PAGE,
              sources: [{ source: { terms: { field: sourceField } } }, { target: { terms: { field: targetField } } }],
              after,
            },
            aggs: edgeAggs(),
          },
        },
      });
      const agg = res.aggregations?.edges;
      const buckets = (agg && Array.isArray(agg.buckets) ? agg.buckets : []) as unknown as EdgeBucket[];
      for (const b of buckets) {
        const partial = partialOf(b, query.level);
        if (partial.requests > 0) edges.push(partial);
      }
      if (!agg?.after_key || buckets.length < EDGE_PAGE) break;
      after = agg.after_key as Record<string, estypes.FieldValue>;
    }
    return edges;
  }

  async getEdgeTimeseries(query: EdgeTimeseriesQuery): Promise<EdgeTimeseriesPoint[]> {
    const starts = stepStarts(query);
    const index = this.indices(query.startUs, query.endUs, query.level);
    if (index.length === 0) return starts.map((t) => pointOf(t, undefined));
    const [sourceField, targetField] = endFields(query.level);
    const res = await this.client.search<unknown, Record<'steps', estypes.AggregationsHistogramAggregate>>({
      index,
      ...tolerant,
      size: 0,
      track_total_hits: false,
      query: {
        bool: {
          filter: [
            ...this.filters(query.startUs, query.endUs, query.level),
            { term: { [sourceField]: query.source } },
            { term: { [targetField]: query.target } },
          ],
        },
      },
      aggs: {
        steps: {
          histogram: { field: 'graph.timeUs', interval: query.stepUs, offset: query.startUs % query.stepUs, min_doc_count: 1 },
          aggs: countingAggs(),
        },
      },
    });
    const byStep = new Map<number, CountingBucket>();
    const buckets = res.aggregations?.steps?.buckets;
    for (const b of (Array.isArray(buckets) ? buckets : []) as unknown as (CountingBucket & { key: number })[]) {
      byStep.set(stepIndexOf(b.key, query), b);
    }
    return starts.map((t, i) => {
      const b = byStep.get(i);
      if (b === undefined || b.requests.value === 0) return pointOf(t, undefined);
      return pointOf(t, {
        ...EMPTY_COUNTS,
        requests: b.requests.value,
        errors: b.errors.keys.value,
        latencyAccessLogs: latencyOfBuckets(b.latencyAccessLogs.ranges),
        latencyTraces: latencyOfBuckets(b.latencyTraces.ranges),
      });
    });
  }
}

const EMPTY_COUNTS: EdgePartial = {
  source: '', target: '', sourceKind: 'unknown', targetKind: 'unknown', protocol: 'http', requests: 0, errors: 0, responseCodes: {},
  latencyAccessLogs: [], latencyTraces: [], bytesSent: 0, bytesReceived: 0, mtlsReports: 0, mtlsKnownReports: 0, seenIn: [],
};

function endFields(level: GraphLevel): [string, string] {
  return level === 'service' ? ['graph.source', 'graph.target'] : ['graph.sourceWorkload', 'graph.targetWorkload'];
}

const workloadKind = (kind: NodeKind): NodeKind => (kind === 'service' ? 'workload' : kind);

function partialOf(b: EdgeBucket, level: GraphLevel): EdgePartial {
  const kind = (t: Terms): NodeKind => {
    let k: NodeKind = 'unknown';
    for (const x of t.buckets) k = strongerKind(k, level === 'workload' ? workloadKind(String(x.key) as NodeKind) : (String(x.key) as NodeKind));
    return k;
  };
  let protocol: GraphProtocol | undefined;
  for (const x of b.protocol.buckets) protocol = protocol === undefined ? (String(x.key) as GraphProtocol) : strongerProtocol(protocol, String(x.key) as GraphProtocol);
  const responseCodes: Record<string, number> = {};
  for (const c of [...b.codes.buckets].sort((x, y) => (String(x.key) < String(y.key) ? -1 : 1))) {
    if (c.keys.value > 0) responseCodes[String(c.key)] = c.keys.value;
  }
  const signals = new Set(b.signal.buckets.map((x) => String(x.key)));
  const sourceNamespace = b.sourceNamespace.buckets[0]?.key;
  const targetNamespace = b.targetNamespace.buckets[0]?.key;
  return {
    source: String(b.key['source']),
    target: String(b.key['target']),
    sourceKind: kind(b.sourceKind),
    targetKind: kind(b.targetKind),
    ...(sourceNamespace !== undefined ? { sourceNamespace: String(sourceNamespace) } : {}),
    ...(targetNamespace !== undefined ? { targetNamespace: String(targetNamespace) } : {}),
    protocol: protocol ?? 'http',
    requests: b.requests.value,
    errors: b.errors.keys.value,
    responseCodes,
    latencyAccessLogs: latencyOfBuckets(b.latencyAccessLogs.ranges),
    latencyTraces: latencyOfBuckets(b.latencyTraces.ranges),
    bytesSent: b.bytesSent.value ?? 0,
    bytesReceived: b.bytesReceived.value ?? 0,
    mtlsReports: b.mtlsYes.doc_count,
    mtlsKnownReports: b.mtlsKnown.doc_count,
    seenIn: GRAPH_SIGNALS.filter((s) => signals.has(s)),
  };
}
