/**
 * The service graph's waiting room: client and server halves of edges, indexed by span id and by
 * parent id, expiring in arrival order. Arrival times come from one clock, so a FIFO queue gives
 * expiry order without a heap.
 *
 * Accounted-for halves leave the indexes at once (so memory follows the spans still waiting, not
 * the span rate), except that server spans are remembered by id, service only, for one wait: an
 * app's SERVER span that arrives after its sidecar's must still find that parent in its service.
 */

export type Side = 'client' | 'server';

export interface PendingSpan {
  /** `traceId/spanId`, built once: every index look-up of the span uses it. */
  readonly key: string;
  /** `traceId/parentSpanId`, or '' for a root span. */
  readonly parentKey: string;
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
}

/** The index key of a span id within its trace; '' for no span (a root's parent). */
export const spanKey = (traceId: string, spanId: string): string => (spanId === '' ? '' : `${traceId}/${spanId}`);

export class PendingSpans {
  private readonly byId = new Map<string, PendingSpan[]>();
  private readonly serversByParent = new Map<string, PendingSpan[]>();
  /**
   * Accounted-for server spans, key → service, in two generations swapped every wait: a server
   * is remembered for one to two waits at the cost of a map slot (no per-entry timestamp).
   */
  private recentServers = new Map<string, string>();
  private olderServers = new Map<string, string>();
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
    push(this.byId, span.key, span);
    if (span.side === 'server' && span.parentKey !== '') push(this.serversByParent, span.parentKey, span);
    this.queue.push(span);
    this.indexed++;
  }

  /** Indexed spans (either side) with this id in this trace: a span and, with Zipkin shared ids, its twin. */
  withKey(key: string): readonly PendingSpan[] {
    return this.byId.get(key) ?? NONE;
  }

  /** Indexed server spans whose parent is this span. */
  serversUnder(key: string): readonly PendingSpan[] {
    return this.serversByParent.get(key) ?? NONE;
  }

  /** Whether a span of `service` with this id is indexed or was a recent server span. */
  hasInService(key: string, service: string): boolean {
    if (key === '') return false;
    if (this.withKey(key).some((s) => s.service === service)) return true;
    return (this.recentServers.get(key) ?? this.olderServers.get(key)) === service;
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
      if (next.done && !this.isIndexed(next)) continue;
      return next;
    }
  }

  /** Takes `span` out of the indexes; an accounted-for server span is remembered for one wait. */
  forget(span: PendingSpan): void {
    if (!remove(this.byId, span.key, span)) return;
    this.indexed--;
    if (span.side === 'server' && span.parentKey !== '') remove(this.serversByParent, span.parentKey, span);
    if (span.side === 'server' && span.done && !span.expired) {
      // Bounded like the waiting spans: a full generation ages out early, which only risks
      // counting a late nested span as unpaired.
      if (this.recentServers.size >= this.maxRecentServers) this.nextGeneration(this.generationStartMs ?? span.arrivedMs);
      this.recentServers.set(span.key, span.service);
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

  private isIndexed(span: PendingSpan): boolean {
    return this.withKey(span.key).includes(span);
  }

  private compact(): void {
    this.queue = this.queue.slice(this.head).filter((s) => !s.done || this.isIndexed(s));
    this.head = 0;
  }
}

const NONE: readonly PendingSpan[] = Object.freeze([]);

function push(map: Map<string, PendingSpan[]>, key: string, span: PendingSpan): void {
  const list = map.get(key);
  if (list) list.push(span);
  else map.set(key, [span]);
}

function remove(map: Map<string, PendingSpan[]>, key: string, span: PendingSpan): boolean {
  const list = map.get(key);
  if (!list) return false;
  const i = list.indexOf(span);
  if (i < 0) return false;
  if (list.length === 1) map.delete(key);
  else list.splice(i, 1);
  return true;
}
