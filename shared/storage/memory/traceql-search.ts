/**
 * The memory store's TraceQL engine: decoded traces in, matches out, with the rules of
 * shared/traceql/evaluate.ts. Kept apart from the store so the store only decides which traces
 * are worth decoding (those with a span in the window).
 */
import type { AnyValue, KeyValue, SpanRecord } from '../../model/span.js';
import { KIND_NAMES, STATUS_NAMES, compareSpansByStart, compareTypedValues, spanMatches, spansetMatches, traceFactsOf } from '../../traceql/evaluate.js';
import { combineSpansets, spansetsOf, type AttributeScope, type SpanFilter, type TypedTagValue } from '../../traceql/model.js';
import type { TagRef, TraceqlSearchQuery, TraceqlTraceMatch } from '../spanstore.js';


function inWindow(span: SpanRecord, q: { startTimeMinUs: number; startTimeMaxUs: number }): boolean {
  const us = Number(span.startTimeUnixNano / 1000n);
  return us >= q.startTimeMinUs && us <= q.startTimeMaxUs;
}

/** One trace's match, with the latest start among spans matching any spanset (the sort key), or undefined. */
export function matchTrace(spans: SpanRecord[], q: TraceqlSearchQuery): { match: TraceqlTraceMatch; latestNanos: bigint } | undefined {
  const candidates = spans.filter((s) => inWindow(s, q));
  if (candidates.length === 0) return undefined;
  const spansets = spansetsOf(q.query.expr);
  const facts = traceFactsOf(spans);
  const holds: boolean[] = [];
  const matchedBySet: SpanRecord[][] = [];
  let latestNanos = -1n;
  for (const set of spansets) {
    const matched = spansetMatches(set, facts, candidates);
    holds.push(matched !== undefined);
    matchedBySet.push(matched ?? []);
    // The sort key ignores trace-level conditions, as the Elasticsearch store's ordering does.
    for (const s of candidates) if (s.startTimeUnixNano > latestNanos && spanMatches(set.span, s)) latestNanos = s.startTimeUnixNano;
  }
  if (!combineSpansets(q.query.expr, holds)) return undefined;
  const union = new Set<SpanRecord>();
  let matchedCount = 0;
  for (let i = 0; i < spansets.length; i++) {
    if (!holds[i]) continue;
    matchedCount += matchedBySet[i].length;
    for (const s of matchedBySet[i]) union.add(s);
  }
  const matched = [...union].sort(compareSpansByStart).slice(0, q.spansPerSpanset);
  return { match: { traceId: spans[0].traceId, spans, matched, matchedCount }, latestNanos };
}

/** A trace that may match, before decoding: `boundNanos` is at least its sort key (latest start of a span that may match). */
export interface TraceCandidate {
  readonly traceId: string;
  readonly boundNanos: bigint;
  readonly decode: () => SpanRecord[];
  /**
   * Where its spans are stored, in storage order (the memory store: its first span's chunk):
   * candidates decoded together are decoded in this order, so each compressed chunk is inflated
   * about once per block instead of once per trace.
   */
  readonly locality?: number;
}

type Hit = { match: TraceqlTraceMatch; latestNanos: bigint };

const byKey = (a: { key: bigint; id: string }, b: { key: bigint; id: string }) =>
  a.key > b.key ? -1 : a.key < b.key ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/** Candidates decoded one by one, newest bound first, before the walk switches to blocks. */
const FIRST_BLOCK = 64;
/** Each block after the first is this many times the size of the one before. */
const BLOCK_GROWTH = 8;

/**
 * Matches among the candidates, latest matching span first (ties by trace id), at most `limit`.
 * Candidates are taken newest bound first, and the walk stops once `limit` matches are held and
 * no later candidate's bound can beat the last of them: a search usually decodes a few dozen
 * traces, not every trace in the window. Past the first FIRST_BLOCK candidates (a search still
 * going matches rarely) the walk takes blocks of growing size and decodes each block in
 * `locality` order: newest-first order jumps between storage chunks (spans arrive seconds after
 * they started), and decoding a block in storage order reads each chunk about once. Taking a
 * whole block cannot change the answer — a candidate past the stopping point sorts after every
 * kept match — only cost a few decodes more.
 */
export function searchTraces(candidates: TraceCandidate[], q: TraceqlSearchQuery): TraceqlTraceMatch[] {
  if (q.limit <= 0) return [];
  candidates.sort((a, b) => byKey({ key: a.boundNanos, id: a.traceId }, { key: b.boundNanos, id: b.traceId }));
  let hits: Hit[] = [];
  const compareHits = (a: Hit, b: Hit) => byKey({ key: a.latestNanos, id: a.match.traceId }, { key: b.latestNanos, id: b.match.traceId });
  const keepBest = () => {
    hits.sort(compareHits);
    if (hits.length > q.limit) hits = hits.slice(0, q.limit);
  };
  /** Whether no candidate from `candidate` on can enter the answer. */
  const settledBefore = (candidate: TraceCandidate) => {
    if (hits.length < q.limit) return false;
    keepBest();
    const last = hits[q.limit - 1];
    // A candidate sorts after the last kept hit when its bound is lower, or equal with a larger id.
    return byKey({ key: candidate.boundNanos, id: candidate.traceId }, { key: last.latestNanos, id: last.match.traceId }) > 0;
  };
  const evaluate = (candidate: TraceCandidate) => {
    const spans = candidate.decode();
    if (spans.length === 0) return;
    const hit = matchTrace(spans, q);
    if (hit !== undefined) hits.push(hit);
    // Matches beyond twice the limit cannot all be kept: drop the worst, and their spans.
    if (hits.length >= 2 * q.limit) keepBest();
  };
  let next = 0;
  for (; next < Math.min(FIRST_BLOCK, candidates.length); next++) {
    if (settledBefore(candidates[next])) return finish();
    evaluate(candidates[next]);
  }
  for (let size = FIRST_BLOCK * BLOCK_GROWTH; next < candidates.length; size *= BLOCK_GROWTH) {
    if (settledBefore(candidates[next])) break;
    const block = candidates.slice(next, next + size);
    next += block.length;
    block.sort((a, b) => (a.locality ?? 0) - (b.locality ?? 0));
    for (const candidate of block) evaluate(candidate);
  }
  return finish();

  function finish(): TraceqlTraceMatch[] {
    keepBest();
    return hits.map((h) => h.match);
  }
}

type ConcreteScope = Exclude<AttributeScope, 'unscoped'>;

function scopedAttributes(span: SpanRecord): [ConcreteScope, readonly KeyValue[]][] {
  return [
    ['span', span.attributes],
    ['resource', span.resource.attributes],
    ['instrumentation', span.scope.attributes],
    ...span.events.map((e): [ConcreteScope, readonly KeyValue[]] => ['event', e.attributes]),
    ...span.links.map((l): [ConcreteScope, readonly KeyValue[]] => ['link', l.attributes]),
  ];
}


export function collectTags(spans: Iterable<SpanRecord>, filter: SpanFilter | undefined, limit: number): { scope: ConcreteScope; key: string }[] {
  const seen = new Map<string, { scope: ConcreteScope; key: string }>();
  for (const span of spans) {
    if (!spanMatches(filter, span)) continue;
    for (const [scope, kvs] of scopedAttributes(span)) {
      for (const kv of kvs) {
        const id = `${scope}\u0000${kv.key}`;
        if (!seen.has(id)) seen.set(id, { scope, key: kv.key });
      }
    }
  }
  return [...seen.values()]
    .sort((a, b) => (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .slice(0, limit);
}

/**
 * The v2 type of an attribute value: what a TraceQL literal written from it compares with.
 * Arrays, maps, bytes and empty values have no literal form: not listed.
 */
export function typedTagValueOf(value: AnyValue): TypedTagValue | undefined {
  switch (value.type) {
    case 'string':
      return { type: 'string', value: value.value };
    case 'int':
      return { type: 'int', value: value.value.toString() };
    case 'double':
      return Number.isFinite(value.value) ? { type: 'float', value: String(value.value) } : undefined;
    case 'bool':
      return { type: 'bool', value: String(value.value) };
    default:
      return undefined;
  }
}


function valuesOfTag(span: SpanRecord, tag: TagRef): TypedTagValue[] {
  if (tag.kind === 'intrinsic') {
    switch (tag.name) {
      case 'name':
        return [{ type: 'string', value: span.name }];
      case 'statusMessage':
        return span.status.message === '' ? [] : [{ type: 'string', value: span.status.message }];
      case 'eventName':
        return span.events.map((e) => ({ type: 'string', value: e.name }));
      case 'status':
        return [{ type: 'keyword', value: STATUS_NAMES[span.status.code] ?? 'unset' }];
      case 'kind':
        return [{ type: 'keyword', value: KIND_NAMES[span.kind] ?? 'unspecified' }];
      case 'duration':
        return [];
    }
  }
  const out: TypedTagValue[] = [];
  for (const [scope, kvs] of scopedAttributes(span)) {
    if (tag.scope !== scope && !(tag.scope === 'unscoped' && (scope === 'span' || scope === 'resource'))) continue;
    for (const kv of kvs) {
      if (kv.key !== tag.key) continue;
      const typed = typedTagValueOf(kv.value);
      if (typed !== undefined) out.push(typed);
    }
  }
  return out;
}

export function collectTagValues(spans: Iterable<SpanRecord>, tag: TagRef, filter: SpanFilter | undefined, limit: number): TypedTagValue[] {
  const seen = new Map<string, TypedTagValue>();
  for (const span of spans) {
    if (!spanMatches(filter, span)) continue;
    for (const v of valuesOfTag(span, tag)) seen.set(`${v.type}\u0000${v.value}`, v);
  }
  return [...seen.values()].sort(compareTypedValues).slice(0, limit);
}
