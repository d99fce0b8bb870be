/**
 * TraceQL over the span indices. A search is ONE aggregation request over the window's days:
 * the spans matching any spanset's filter (plus root spans when a trace-level condition needs
 * them) are grouped by trace id, latest match first, and each trace bucket carries per spanset
 * its match count and first `spss` matched spans (top_hits), the root span and the trace's extent.
 * This module then decides per bucket which spansets hold — with the same functions the memory
 * store uses (evaluate.ts) — and reads the chosen traces whole, as findTraces does.
 *
 * Bounds, stated because a terms aggregation truncates before anything runs on its buckets:
 *  - with one spanset (or spansets joined by ||) and no trace-level condition every bucket holds,
 *    so `limit` buckets are asked for and the answer is exact;
 *  - otherwise the newest {@link CANDIDATE_TRACES} candidate traces are decided; an older trace
 *    beyond them is not found even when it would hold.
 * Trace-level values come from the spans the request sees (matched and root spans in the window):
 * `rootName`/`rootServiceName` need the root span in the window (only roots that can satisfy them
 * are asked for), and `traceDuration` is the extent of those spans — the true one whenever the
 * root span covers its trace.
 */
import type { Client, estypes } from '@elastic/elasticsearch';
import type { SpanRecord } from '../../model/span.js';
import { compareSpansByStart, compareTypedValues, traceMatches, type TraceFacts } from '../../traceql/evaluate.js';
import { combineSpansets, spansetsOf, type BoolExpr, type SpanFilter, type SpansetExpr, type TraceIntrinsic, type TypedTagValue } from '../../traceql/model.js';
import type { TagRef, TagWindow, TraceqlSearchQuery, TraceqlTraceMatch } from '../spanstore.js';
import { SpanDocumentDecoder } from './document.js';
import type { ElasticsearchSpanReader, StoredSpanDocument } from './reader.js';
import { rootSpanQuery, spanFilterQuery } from './traceql-query.js';
import { keyPrefix, typedValueOfTerm, type TermScope } from './traceql-terms.js';

/** Candidate traces decided per search when buckets may fail (see the module comment). */
export const CANDIDATE_TRACES = 2000;

type Query = estypes.QueryDslQueryContainer;

const tolerant = { ignore_unavailable: true, allow_no_indices: true } as const;

function usesTrace(expr: BoolExpr<TraceIntrinsic> | undefined, name: TraceIntrinsic): boolean {
  if (expr === undefined) return false;
  if (expr.type === 'compare') return expr.field === name;
  return usesTrace(expr.left, name) || usesTrace(expr.right, name);
}

function hasAnd(expr: SpansetExpr): boolean {
  return expr.type === 'and' || (expr.type === 'or' && (hasAnd(expr.left) || hasAnd(expr.right)));
}

function anyOf(queries: Query[]): Query {
  return queries.length === 1 ? queries[0] : { bool: { should: queries, minimum_should_match: 1 } };
}

interface TopHits {
  hits: { hits: Array<{ _id?: string; _source?: StoredSpanDocument }> };
}

interface Bucket {
  key: string;
  any: { doc_count: number };
  root?: { doc_count: number; first: TopHits };
  minStart?: { value: number | null };
  maxEnd?: { value: number | null };
  [spanset: `s${number}`]: { doc_count: number; top: TopHits };
}

export class ElasticsearchTraceqlReader {
  constructor(
    private readonly client: Client,
    private readonly reader: ElasticsearchSpanReader,
  ) {}

  async searchTraceql(q: TraceqlSearchQuery): Promise<TraceqlTraceMatch[]> {
    if (q.limit <= 0) return [];
    const index = this.reader.indicesFor('spans', q.startTimeMinUs, q.startTimeMaxUs);
    if (index.length === 0) return [];
    const spansets = spansetsOf(q.query.expr);
    const needsRoot = spansets.some((s) => usesTrace(s.trace, 'rootName') || usesTrace(s.trace, 'rootServiceName'));
    const needsExtent = spansets.some((s) => usesTrace(s.trace, 'traceDuration'));
    const exact = !hasAnd(q.query.expr) && spansets.every((s) => s.trace === undefined);
    const filters = spansets.map((s) => spanFilterQuery(s.span));
    const isRoot: Query = { term: { parentSpanId: '' } };
    // Root spans that cannot make any spanset's trace condition hold are left out (fewer candidate
    // traces), unless the trace's extent is needed: then every root counts towards it.
    const roots: Query = needsExtent ? isRoot : { bool: { filter: [isRoot, anyOf(spansets.map((s) => rootSpanQuery(s.trace)))] } };

    const perSpanset: Record<string, estypes.AggregationsAggregationContainer> = {};
    filters.forEach((filter, i) => {
      perSpanset[`s${i}`] = {
        filter,
        aggs: { top: { top_hits: { size: q.spansPerSpanset, sort: [{ startTimeUs: 'asc' }, { spanId: 'asc' }] } } },
      };
    });
    const res = await this.client.search<unknown, Record<'traces', estypes.AggregationsStringTermsAggregate>>({
      index,
      ...tolerant,
      size: 0,
      track_total_hits: false,
      query: {
        bool: {
          filter: [
            { range: { startTimeUs: { gte: q.startTimeMinUs, lte: q.startTimeMaxUs } } },
            anyOf(needsRoot || needsExtent ? [...filters, roots] : filters),
          ],
        },
      },
      aggs: {
        traces: {
          terms: {
            field: 'traceId',
            size: exact ? q.limit : Math.max(q.limit, CANDIDATE_TRACES),
            // Latest matching span first; descending max is exact across shards.
            order: [{ 'any>latest': 'desc' }, { _key: 'asc' }],
          },
          aggs: {
            any: { filter: anyOf(filters), aggs: { latest: { max: { field: 'startTimeUs' } } } },
            ...perSpanset,
            ...(needsRoot && {
              root: {
                filter: isRoot,
                aggs: { first: { top_hits: { size: 1, sort: [{ startTimeUs: 'asc' }], _source: ['name', 'serviceName'] } } },
              },
            }),
            ...(needsExtent && {
              minStart: { min: { field: 'startTimeUs' } },
              maxEnd: { max: { field: 'endTimeUs' } },
            }),
          },
        },
      },
    });
    const raw = res.aggregations?.traces.buckets;
    const buckets = (Array.isArray(raw) ? raw : []) as unknown as Bucket[];

    const chosen: { traceId: string; matched: SpanRecord[]; matchedCount: number }[] = [];
    const decoder = new SpanDocumentDecoder();
    for (const b of buckets) {
      if (chosen.length >= q.limit) break;
      if (b.any.doc_count === 0) continue; // only root spans of this trace were in the window
      const facts = factsOf(b);
      const holds = spansets.map((s, i) => b[`s${i}`].doc_count > 0 && traceMatches(s.trace, facts));
      if (!combineSpansets(q.query.expr, holds)) continue;
      const byId = new Map<string, SpanRecord>();
      let matchedCount = 0;
      spansets.forEach((_, i) => {
        if (!holds[i]) return;
        const agg = b[`s${i}`];
        matchedCount += agg.doc_count;
        for (const hit of agg.top.hits.hits) {
          if (hit._source !== undefined && hit._id !== undefined && !byId.has(hit._id)) byId.set(hit._id, decoder.decode(hit._source));
        }
      });
      const matched = [...byId.values()].sort(compareSpansByStart).slice(0, q.spansPerSpanset);
      chosen.push({ traceId: String(b.key), matched, matchedCount });
    }
    if (chosen.length === 0) return [];
    const traces = await this.reader.tracesByIds(
      chosen.map((c) => c.traceId),
      q.startTimeMinUs,
      q.startTimeMaxUs,
    );
    return chosen.map((c) => ({ ...c, spans: traces.get(c.traceId) ?? [] }));
  }

  async getTraceqlTags(
    window: TagWindow & { readonly filter?: SpanFilter },
  ): Promise<{ scope: 'span' | 'resource' | 'event' | 'link' | 'instrumentation'; key: string }[]> {
    const keys = await this.terms('traceqlKeys', window, spanFilterQuery(window.filter), undefined);
    const out: { scope: 'span' | 'resource' | 'event' | 'link' | 'instrumentation'; key: string }[] = [];
    for (const k of keys) {
      const dot = k.indexOf('.');
      const scope = k.slice(0, dot);
      if (scope === 'span' || scope === 'resource' || scope === 'event' || scope === 'link' || scope === 'instrumentation') {
        out.push({ scope, key: k.slice(dot + 1) });
      }
    }
    return out;
  }

  async getTraceqlTagValues(tag: TagRef, window: TagWindow & { readonly filter?: SpanFilter }): Promise<TypedTagValue[]> {
    const places: [TermScope, string][] =
      tag.kind === 'intrinsic'
        ? [['intrinsic', tag.name]]
        : tag.scope === 'unscoped'
          ? [['span', tag.key], ['resource', tag.key]]
          : [[tag.scope, tag.key]];
    const seen = new Map<string, TypedTagValue>();
    for (const [scope, key] of places) {
      const prefix = keyPrefix(scope, key);
      const include = `${prefix.replace(/[^A-Za-z0-9_]/g, (c) => `\\${c}`)}.*`;
      for (const term of await this.terms('traceqlTerms', window, spanFilterQuery(window.filter), include)) {
        const typed = typedValueOfTerm(scope, key, term.slice(prefix.length));
        if (typed !== undefined) seen.set(`${typed.type}\u0000${typed.value}`, typed);
      }
    }
    return [...seen.values()].sort(compareTypedValues).slice(0, window.limit);
  }

  /** Distinct values of a keyword field among spans in the window matching `query`, in term order. */
  private async terms(field: string, window: TagWindow, query: Query, include: string | undefined): Promise<string[]> {
    const index = this.reader.indicesFor('spans', window.startTimeMinUs, window.startTimeMaxUs);
    if (index.length === 0 || window.limit <= 0) return [];
    const res = await this.client.search<unknown, Record<'values', estypes.AggregationsStringTermsAggregate>>({
      index,
      ...tolerant,
      size: 0,
      track_total_hits: false,
      query: { bool: { filter: [{ range: { startTimeUs: { gte: window.startTimeMinUs, lte: window.startTimeMaxUs } } }, query] } },
      aggs: { values: { terms: { field, size: window.limit, order: { _key: 'asc' }, ...(include !== undefined && { include }) } } },
    });
    const buckets = res.aggregations?.values.buckets;
    return (Array.isArray(buckets) ? buckets : []).map((b) => String(b.key));
  }
}

function factsOf(b: Bucket): TraceFacts {
  const root = b.root?.first.hits.hits[0]?._source;
  const min = b.minStart?.value;
  const max = b.maxEnd?.value;
  const durationNanos = min != null && max != null && max > min ? (max - min) * 1000 : 0;
  return { durationNanos, ...(root !== undefined && { rootName: root.name, rootServiceName: root.serviceName }) };
}

