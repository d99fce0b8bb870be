/**
 * The service graph's waiting room: client and server halves of edges, indexed by span id and by
 * parent id, expiring in arrival order. Arrival times come from one clock, so a FIFO queue gives
 * expiry order without a heap.
 *
 * Accounted-for halves leave the indexes at once (so memory follows the spans still waiting, not
 * the span rate), except that server spans are remembered by id, service only, for one wait: an
 * app's SERVER span that arrives after its sidecar's must still find that parent in its service.
 *
 * The indexes are keyed by the span id alone and chain the spans that share it through the spans
 * themselves (`nextWithId`, `nextUnderParent`), each look-up checking the trace id: no key string
 * is built and no array allocated per span, which made this file the derivers' largest cost. Span
 * ids are random 8 bytes, so a chain holds a span and its Zipkin shared-id twin, rarely more; a
 * sender repeating span ids across traces only makes its own chains longer.
 */

export type Side = 'client' | 'server';

export interface PendingSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly service: string;
  readonly side: Side;
  /** PRODUCER or CONSUMER: the edge goes through a messaging system. */
  readonly messaging: boolean;
  readonly seconds: number;
  readonly failed: boolean;
  /** Span name: an Envoy hop's CLIENT and SERVER spans carry the same route name. */
  readonly name: string;
  /** Extra dimension label → value. */
  readonly dimensions: Readonly<Record<string, string>>;
  /** Name of the uninstrumented peer a client span names (virtual-node attributes), if any. */
  readonly peerNode: string | undefined;
  readonly arrivedMs: number;
  /** Accounted for: part of an emitted edge, or decided to be no edge. */
  done: boolean;
  /** Its wait is over; it stays indexed only while a pair partner still waits. */
  expired: boolean;
  /** In the indexes (set and cleared by PendingSpans only). */
  indexed: boolean;
  /** Let go of (set by PendingSpans.forget only): never indexed again, remembered at most once. */
  forgotten: boolean;
  /** The next span of the id chain (any trace); kept when this one leaves, so a walk can go on. */
  nextWithId: PendingSpan | undefined;
  /** The next server span of the parent-id chain (any trace); kept likewise. */
  nextUnderParent: PendingSpan | undefined;
}

/** A server span remembered after it was accounted for: enough to answer hasInService. */
interface RecentServer {
  readonly traceId: string;
  readonly service: string;
  /** Another remembered server with the same span id (another trace, or the same span redelivered). */
  readonly next: RecentServer | undefined;
}

export class PendingSpans {
  /** span id → first span of its chain, in arrival order. */
  private readonly byId = new Map<string, PendingSpan>();
  /** parent span id → first server span of its chain, in arrival order. */
  private readonly serversByParent = new Map<string, PendingSpan>();
  /**
   * Accounted-for server spans, span id → newest first, in two generations swapped every wait: a
   * server is remembered for one to two waits at the cost of a map slot (no per-entry timestamp).
   */
  private recentServers = new Map<string, RecentServer>();
  private olderServers = new Map<string, RecentServer>();
  private generationStartMs: number | undefined;
  private queue: PendingSpan[] = [];
  private head = 0;
  private indexed = 0;

  constructor(private readonly maxRecentServers: number) {}

  /** Spans indexed now, waiting for a partner (what `maxItems` bounds). */
  get size(): number {
    return this.indexed;
  }

  add(span: PendingSpan): void {
    span.indexed = true;
    span.nextWithId = undefined;
    span.nextUnderParent = undefined;
    append(this.byId, span.spanId, span, 'nextWithId');
    if (span.side === 'server' && span.parentSpanId !== '') append(this.serversByParent, span.parentSpanId, span, 'nextUnderParent');
    this.queue.push(span);
    this.indexed++;
  }

  /**
   * The first indexed span (either side) with this id in this trace — a span and, with Zipkin
   * shared ids, its twin — in arrival order; {@link nextWithSameId} gives the others. Undefined for
   * the id '' (a root's parent).
   */
  firstWithId(traceId: string, spanId: string): PendingSpan | undefined {
    if (spanId === '') return undefined;
    return firstIndexed(this.byId.get(spanId), traceId, 'nextWithId');
  }

  /** The indexed span after `span` with its id and trace; walking on from a span that left the indexes works too. */
  nextWithSameId(span: PendingSpan): PendingSpan | undefined {
    return firstIndexed(span.nextWithId, span.traceId, 'nextWithId');
  }

  /** The first indexed server span whose parent is this span, in arrival order. */
  firstServerUnder(traceId: string, spanId: string): PendingSpan | undefined {
    return firstIndexed(this.serversByParent.get(spanId), traceId, 'nextUnderParent');
  }

  /** The indexed server span after `span` under the same parent. */
  nextServerUnderSameParent(span: PendingSpan): PendingSpan | undefined {
    return firstIndexed(span.nextUnderParent, span.traceId, 'nextUnderParent');
  }

  /** Whether a span of `service` with this id is indexed or was a recent server span. */
  hasInService(traceId: string, spanId: string, service: string): boolean {
    if (spanId === '') return false;
    for (let s = this.firstWithId(traceId, spanId); s; s = this.nextWithSameId(s)) if (s.service === service) return true;
    return (recentService(this.recentServers, traceId, spanId) ?? recentService(this.olderServers, traceId, spanId)) === service;
  }

  /** Takes the oldest indexed span whose wait ended at `nowMs`, or undefined; ages out recent servers. */
  takeExpired(nowMs: number, waitMs: number): PendingSpan | undefined {
    this.generationStartMs ??= nowMs;
    if (nowMs - this.generationStartMs >= waitMs) this.nextGeneration(nowMs);
    for (;;) {
      const next = this.queue[this.head];
      if (next === undefined || next.arrivedMs + waitMs > nowMs) return undefined;
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.queue.length) this.compact();
      // Accounted for and forgotten before its wait ended: nothing left to do.
      if (next.done && !next.indexed) continue;
      return next;
    }
  }

  /**
   * Takes `span` out of the indexes, if it is there (a half accounted for on arrival never was);
   * an accounted-for server span is remembered for one wait.
   */
  forget(span: PendingSpan): void {
    if (span.forgotten) return;
    span.forgotten = true;
    if (span.indexed) {
      span.indexed = false;
      unlink(this.byId, span.spanId, span, 'nextWithId');
      this.indexed--;
      if (span.side === 'server' && span.parentSpanId !== '') unlink(this.serversByParent, span.parentSpanId, span, 'nextUnderParent');
    }
    if (span.side === 'server' && span.done && !span.expired) {
      // Bounded like the waiting spans: a full generation ages out early, which only risks
      // counting a late nested span as unpaired.
      if (this.recentServers.size >= this.maxRecentServers) this.nextGeneration(this.generationStartMs ?? span.arrivedMs);
      this.recentServers.set(span.spanId, { traceId: span.traceId, service: span.service, next: this.recentServers.get(span.spanId) });
    }
    // Forgotten spans stay queued until their time; drop them in bulk once they number half the
    // indexed ones (amortized: a compaction costs at most three steps per forget since the last).
    if (this.queue.length - this.head > this.indexed + (this.indexed >> 1) + 1024) this.compact();
  }

  private nextGeneration(nowMs: number): void {
    this.olderServers = this.recentServers;
    this.recentServers = new Map();
    this.generationStartMs = nowMs;
  }

  private compact(): void {
    const kept: PendingSpan[] = [];
    for (let i = this.head; i < this.queue.length; i++) {
      const s = this.queue[i]!;
      if (!s.done || s.indexed) kept.push(s);
    }
    this.queue = kept;
    this.head = 0;
  }
}

type Link = 'nextWithId' | 'nextUnderParent';

/** `from` or the first indexed span after it in its chain that belongs to `traceId`. */
function firstIndexed(from: PendingSpan | undefined, traceId: string, link: Link): PendingSpan | undefined {
  for (let s = from; s; s = s[link]) if (s.indexed && s.traceId === traceId) return s;
  return undefined;
}

/** Adds `span` at the end of its chain (arrival order: which partner pairs first depends on it). */
function append(map: Map<string, PendingSpan>, key: string, span: PendingSpan, link: Link): void {
  let s = map.get(key);
  if (s === undefined) {
    map.set(key, span);
    return;
  }
  while (s[link] !== undefined) s = s[link]!;
  s[link] = span;
}

/**
 * Takes `span` out of its chain. Its own link is left as it was, so a walk standing on it goes on
 * to the spans after it (those that leave later are skipped by their `indexed` flag).
 */
function unlink(map: Map<string, PendingSpan>, key: string, span: PendingSpan, link: Link): void {
  const first = map.get(key);
  if (first === span) {
    if (span[link] === undefined) map.delete(key);
    else map.set(key, span[link]!);
    return;
  }
  for (let s = first; s; s = s[link]) {
    if (s[link] === span) {
      s[link] = span[link];
      return;
    }
  }
}

function recentService(map: ReadonlyMap<string, RecentServer>, traceId: string, spanId: string): string | undefined {
  for (let r = map.get(spanId); r; r = r.next) if (r.traceId === traceId) return r.service;
  return undefined;
}
