/**
 * Service-graph edges from spans, with Tempo metrics-generator's metric names, labels, buckets and
 * virtual nodes, so Grafana's Tempo service map reads them as-is — but paired so that Envoy/Istio
 * traces give caller → callee edges:
 *
 * - An edge is a CLIENT (or PRODUCER) span and the SERVER (or CONSUMER) span it reached, in
 *   different services. Per hop a sidecar mesh gives exactly that (caller's outbound CLIENT, callee's
 *   inbound SERVER); a gateway adds its own SERVER (root, downstream) and CLIENT (upstream) spans,
 *   so pairing by kind and ids alone, never by parent/child order, gives no client→client edges.
 * - The server half is found two ways: its parent is the client span (OTel, Istio's Zipkin with
 *   `shared_span_context: false`), or it carries the client's own span id (Envoy's default Zipkin
 *   shared span context, where the server's parent is the CLIENT's parent). Tempo keys servers by
 *   parent only, which in shared mode pairs a server with the client of the hop BEFORE it
 *   (gateway → reviews, skipping productpage) and never pairs the real hops. A shared twin is unambiguous (span
 *   ids are otherwise unique), so it pairs at once. A by-parent pair pairs at once when nothing
 *   suggests shared ids could be in play: the two spans carry the same name (an Envoy hop: both
 *   proxies name the span after the route, while a wrong shared-mode pair spans two different
 *   routes), the same client→server services already paired by parent after a full wait, or
 *   `sharedSpanIds: false`. Otherwise it waits until both halves' wait is over, so a shared twin
 *   arriving later still wins, and its services are then learnt.
 * - A SERVER span under a span of its own service (an app's SERVER span under its sidecar's) and a
 *   client→server pair inside one service are no edge and not unpaired: no self-loops.
 * - After `waitMs`: a root SERVER span with no client is an edge from the virtual node `user`; a
 *   CLIENT span naming its peer (virtual-node attributes) an edge to that node; anything else counts
 *   as unpaired. A client span of a database call (db.system / db.name) is an edge to the database
 *   at once, as Tempo does: databases send no server span.
 * - Failed = either half has status ERROR. At most `maxItems` spans wait; more are dropped, counted.
 */
import type { CounterHandle, DerivedCounter, DerivedHistogram, HistogramHandle, Labels, MetricsRegistry } from '../registry.js';
import { SeriesCache } from '../series-cache.js';
import { SpanKind, StatusCode, type SpanRecord } from '../../model/span.js';
import { dimensionLabels, findAttribute } from '../spanmetrics/dimensions.js';
import { spanSeconds } from '../spanmetrics/span-metrics-deriver.js';
import { PendingSpans, type PendingSpan, type Side } from './pending-spans.js';
import { SERVICE_GRAPH_DEFAULTS } from './service-graph-settings.js';

export const SERVICE_GRAPH_REQUEST_TOTAL = 'traces_service_graph_request_total';
export const SERVICE_GRAPH_REQUEST_FAILED_TOTAL = 'traces_service_graph_request_failed_total';
export const SERVICE_GRAPH_REQUEST_SERVER_SECONDS = 'traces_service_graph_request_server_seconds';
export const SERVICE_GRAPH_REQUEST_CLIENT_SECONDS = 'traces_service_graph_request_client_seconds';
export const SERVICE_GRAPH_UNPAIRED_SPANS_TOTAL = 'traces_service_graph_unpaired_spans_total';
export const SERVICE_GRAPH_DROPPED_SPANS_TOTAL = 'traces_service_graph_dropped_spans_total';

/** Tempo's default service-graph buckets: 100 ms doubling 8 times (up to 12.8 s). */
export const DEFAULT_SERVICE_GRAPH_BUCKETS_SECONDS: readonly number[] = Array.from({ length: 8 }, (_, k) => 0.1 * 2 ** k);

/** Tempo's `peer.service`, then the OTel semconv host of the peer (current and legacy names). */
export const DEFAULT_VIRTUAL_NODE_ATTRIBUTES: readonly string[] = ['peer.service', 'server.address', 'net.peer.name'];

/** Where a database client span names its database when no virtual-node attribute does. */
const DATABASE_NAME_ATTRIBUTES = ['db.name', 'db.system'] as const;

/** The virtual caller of a root SERVER span (Tempo's name: a browser, curl, anything uninstrumented). */
export const USER_NODE = 'user';

export type ConnectionType = '' | 'virtual_node' | 'messaging_system' | 'database';

export interface ServiceGraphOptions {
  /** How long a half waits for its other half; default 10 000 (Tempo's `wait`). */
  readonly waitMs?: number;
  /**
   * Spans waiting for a partner at most; a span beyond it is dropped (counted). Default 10 000
   * (Tempo's `max_items`, which counts waiting edges the same way: one half each).
   */
  readonly maxItems?: number;
  /** Client-span attributes naming an uninstrumented peer, first found wins. */
  readonly virtualNodeAttributes?: readonly string[];
  /** Extra attribute keys → labels (client half's value, else the server half's). */
  readonly dimensions?: readonly string[];
  /** Histogram upper bounds in seconds; default {@link DEFAULT_SERVICE_GRAPH_BUCKETS_SECONDS}. */
  readonly latencyBucketsSeconds?: readonly number[];
  /** Series limit per family (overrides the registry default). */
  readonly maxSeries?: number;
  /**
   * Whether spans may carry Zipkin shared span ids (default true). Then a by-parent pair that is
   * not known safe (see above) is only emitted once both halves' wait is over; false emits every
   * by-parent pair as soon as both halves are here, as Tempo does.
   */
  readonly sharedSpanIds?: boolean;
  /** Clock in ms, injectable for tests; default Date.now. */
  readonly now?: () => number;
}

const BASE_LABELS = ['client', 'server', 'connection_type'] as const;
const NO_DIMENSIONS: Record<string, string> = Object.freeze({}) as Record<string, string>;

export class ServiceGraphDeriver {
  private readonly pending: PendingSpans;
  /** client\0server of by-parent pairs confirmed by a full wait: later ones pair at once. */
  private readonly learntPairs = new Set<string>();
  private readonly waitMs: number;
  private readonly maxItems: number;
  private readonly virtualNodeAttributes: readonly string[];
  private readonly sharedSpanIds: boolean;
  private readonly now: () => number;
  private readonly dimensions: ReadonlyArray<{ key: string; label: string }>;
  private readonly families: GraphFamilies;
  /** Series of the edges (and unpaired / dropped label sets) seen, by label values. */
  private readonly edges: SeriesCache<EdgeSeries>;
  /** The current edge's label values (reused: no array per edge). */
  private readonly values: string[];

  constructor(registry: MetricsRegistry, options: ServiceGraphOptions = {}) {
    this.waitMs = options.waitMs ?? SERVICE_GRAPH_DEFAULTS.waitMs;
    this.maxItems = options.maxItems ?? SERVICE_GRAPH_DEFAULTS.maxItems;
    this.pending = new PendingSpans(this.maxItems);
    this.virtualNodeAttributes = options.virtualNodeAttributes ?? DEFAULT_VIRTUAL_NODE_ATTRIBUTES;
    this.sharedSpanIds = options.sharedSpanIds ?? true;
    this.now = options.now ?? Date.now;
    this.dimensions = dimensionLabels(options.dimensions ?? [], BASE_LABELS);
    const labelNames = [...BASE_LABELS, ...this.dimensions.map((d) => d.label)];
    const common = { labelNames, ...(options.maxSeries !== undefined ? { maxSeries: options.maxSeries } : {}) };
    const buckets = options.latencyBucketsSeconds ?? DEFAULT_SERVICE_GRAPH_BUCKETS_SECONDS;
    this.families = {
      requests: registry.counter({ name: SERVICE_GRAPH_REQUEST_TOTAL, help: 'Requests between two nodes.', ...common }),
      failed: registry.counter({ name: SERVICE_GRAPH_REQUEST_FAILED_TOTAL, help: 'Failed requests between two nodes.', ...common }),
      serverSeconds: registry.histogram({
        name: SERVICE_GRAPH_REQUEST_SERVER_SECONDS, help: 'Request time between two nodes as the server saw it.', buckets, ...common,
      }),
      clientSeconds: registry.histogram({
        name: SERVICE_GRAPH_REQUEST_CLIENT_SECONDS, help: 'Request time between two nodes as the client saw it.', buckets, ...common,
      }),
      unpaired: registry.counter({ name: SERVICE_GRAPH_UNPAIRED_SPANS_TOTAL, help: 'Spans whose other half never arrived.', ...common }),
      dropped: registry.counter({ name: SERVICE_GRAPH_DROPPED_SPANS_TOTAL, help: 'Spans dropped because too many were waiting.', ...common }),
    };
    this.values = labelNames.map(() => '');
    // Edges, unpaired and dropped label sets share the cache: room for two families at their limit.
    this.edges = new SeriesCache(labelNames.length, 2 * (options.maxSeries ?? registry.defaultMaxSeries));
  }

  /** Spans waiting for their other half (bounded by `maxItems`). */
  get pendingCount(): number {
    return this.pending.size;
  }

  observeSpans(spans: readonly SpanRecord[]): void {
    const nowMs = this.now();
    for (const span of spans) {
      const side = sideOf(span.kind);
      if (side === undefined) continue;
      const half = this.halfOf(span, side, nowMs);
      if (side === 'client' && this.completeDatabaseCall(span, half)) continue;
      if (this.pending.size >= this.maxItems) {
        this.edge(half.side === 'client' ? half.service : '', half.side === 'server' ? half.service : '', connectionOf(half), half).dropped().inc();
        continue;
      }
      // A half accounted for on arrival (its partner was waiting) never enters the waiting room:
      // nothing pairOnArrival looks up can be the half itself, unless it names itself as its parent.
      const selfParent = half.parentSpanId === half.spanId;
      if (selfParent) this.pending.add(half);
      this.pairOnArrival(half);
      if (!selfParent && !half.done) this.pending.add(half);
    }
  }

  /** Ends the wait of every span that has waited `waitMs`; call periodically. */
  expire(): void {
    const nowMs = this.now();
    for (let half = this.pending.takeExpired(nowMs, this.waitMs); half; half = this.pending.takeExpired(nowMs, this.waitMs)) {
      half.expired = true;
      if (half.done) {
        this.pending.forget(half);
        continue;
      }
      const first = this.firstPartner(half);
      let partner = first;
      while (partner !== undefined && !partner.expired) partner = this.nextPartner(half, partner);
      partner ??= first;
      if (partner === undefined) this.resolveAlone(half);
      else if (partner.expired) {
        // Both waited the full window and no shared twin turned up: a real by-parent pair.
        this.learn(half.side === 'client' ? half : partner, half.side === 'client' ? partner : half);
        this.pairHalves(half, partner);
      }
      // else: the partner's own expiry pairs them, so a shared twin of it can still win meanwhile.
    }
  }

  private pairOnArrival(half: PendingSpan): void {
    // Zipkin shared span id: the other side with the same id, in another service.
    let twin = this.pending.firstWithId(half.traceId, half.spanId);
    while (twin !== undefined && (twin === half || twin.done || twin.side === half.side || twin.service === half.service)) {
      twin = this.pending.nextWithSameId(twin);
    }
    if (twin !== undefined) this.pairHalves(half, twin);
    // Parent and child in one service are no edge, whichever arrives first: an app SERVER span
    // under its sidecar's span, or a client→server call of a service to itself (both halves done).
    for (let child = this.pending.firstServerUnder(half.traceId, half.spanId); child; child = this.pending.nextServerUnderSameParent(child)) {
      if (child.done || child.service !== half.service) continue;
      this.accountFor(child);
      if (half.side === 'client') half.done = true;
    }
    if (half.side === 'server' && !half.done && this.pending.hasInService(half.traceId, half.parentSpanId, half.service)) {
      half.done = true;
      for (let parent = this.pending.firstWithId(half.traceId, half.parentSpanId); parent; parent = this.pending.nextWithSameId(parent)) {
        if (parent.service === half.service && parent.side === 'client') this.accountFor(parent);
      }
    }
    if (half.done) {
      this.accountFor(half);
      return;
    }
    let partner = this.firstPartner(half);
    while (partner !== undefined && !this.safeToPairNow(half, partner)) partner = this.nextPartner(half, partner);
    if (partner !== undefined) this.pairHalves(half, partner);
  }

  /** Whether a by-parent pair cannot be a shared-id mix-up (see the file comment). */
  private safeToPairNow(a: PendingSpan, b: PendingSpan): boolean {
    if (!this.sharedSpanIds || a.name === b.name) return true;
    const client = a.side === 'client' ? a : b;
    const server = a.side === 'client' ? b : a;
    return this.learntPairs.has(`${client.service}\u0000${server.service}`);
  }

  private learn(client: PendingSpan, server: PendingSpan): void {
    // Bounded: past it, new service pairs just keep waiting the full window.
    if (this.learntPairs.size < this.maxItems) this.learntPairs.add(`${client.service}\u0000${server.service}`);
  }

  /**
   * Marks a half accounted for and takes it out of the waiting indexes. By-parent partners whose
   * wait ended while they waited on it now stand alone, so nothing waits on a half that is gone.
   */
  private accountFor(half: PendingSpan): void {
    half.done = true;
    this.pending.forget(half);
    for (let p = this.firstPartner(half); p; p = this.nextPartner(half, p)) if (p.expired) this.resolveAlone(p);
  }

  /**
   * By-parent partners: not-done halves on the other side linked by parent id, in another service
   * (same-service ones are already done), in arrival order. The first, then each after `previous`
   * (which may have left the waiting room meanwhile: the walk goes on from it).
   */
  private firstPartner(half: PendingSpan): PendingSpan | undefined {
    return half.side === 'server'
      ? this.partnerFrom(half, this.pending.firstWithId(half.traceId, half.parentSpanId))
      : this.partnerFrom(half, this.pending.firstServerUnder(half.traceId, half.spanId));
  }

  private nextPartner(half: PendingSpan, previous: PendingSpan): PendingSpan | undefined {
    return half.side === 'server'
      ? this.partnerFrom(half, this.pending.nextWithSameId(previous))
      : this.partnerFrom(half, this.pending.nextServerUnderSameParent(previous));
  }

  private partnerFrom(half: PendingSpan, candidate: PendingSpan | undefined): PendingSpan | undefined {
    const viaParent = half.side === 'server';
    for (let c = candidate; c; c = viaParent ? this.pending.nextWithSameId(c) : this.pending.nextServerUnderSameParent(c)) {
      if ((!viaParent || c.side === 'client') && !c.done && c.service !== half.service) return c;
    }
    return undefined;
  }

  private pairHalves(a: PendingSpan, b: PendingSpan): void {
    const client = a.side === 'client' ? a : b;
    const server = a.side === 'client' ? b : a;
    // Both done before either is let go, so neither is released as the other's waiter.
    client.done = true;
    server.done = true;
    this.accountFor(client);
    this.accountFor(server);
    if (client.service === server.service) return;
    const connection: ConnectionType = client.messaging || server.messaging ? 'messaging_system' : '';
    const edge = this.edge(client.service, server.service, connection, client, server);
    edge.requests().inc();
    if (client.failed || server.failed) edge.failed().inc();
    edge.clientSeconds().observe(client.seconds);
    edge.serverSeconds().observe(server.seconds);
  }

  /** A half whose wait is over with no partner: a virtual-node edge, nothing (nested), or unpaired. */
  private resolveAlone(half: PendingSpan): void {
    this.accountFor(half);
    if (half.side === 'server') {
      if (half.parentSpanId === '') {
        const edge = this.edge(USER_NODE, half.service, 'virtual_node', half);
        edge.requests().inc();
        if (half.failed) edge.failed().inc();
        // Only the server measured this request; a client histogram of zeros would mislead.
        edge.serverSeconds().observe(half.seconds);
        return;
      }
      this.edge('', half.service, connectionOf(half), half).unpaired().inc();
      return;
    }
    if (half.peerNode !== undefined) {
      const edge = this.edge(half.service, half.peerNode, 'virtual_node', half);
      edge.requests().inc();
      if (half.failed) edge.failed().inc();
      edge.clientSeconds().observe(half.seconds);
      return;
    }
    this.edge(half.service, '', connectionOf(half), half).unpaired().inc();
  }

  /** A database call is one client span (databases send none): an edge at once, both latencies from it. */
  private completeDatabaseCall(span: SpanRecord, half: PendingSpan): boolean {
    let named: string | undefined;
    for (const key of DATABASE_NAME_ATTRIBUTES) {
      named = findAttribute(span, key);
      if (named !== undefined) break;
    }
    if (named === undefined) return false;
    const edge = this.edge(half.service, half.peerNode ?? named, 'database', half);
    edge.requests().inc();
    if (half.failed) edge.failed().inc();
    edge.clientSeconds().observe(half.seconds);
    edge.serverSeconds().observe(half.seconds);
    return true;
  }

  private halfOf(span: SpanRecord, side: Side, nowMs: number): PendingSpan {
    const dimensions: Record<string, string> = this.dimensions.length === 0 ? NO_DIMENSIONS : {};
    for (const d of this.dimensions) {
      const v = findAttribute(span, d.key);
      if (v !== undefined) dimensions[d.label] = v;
    }
    let peerNode: string | undefined;
    if (side === 'client') {
      for (const key of this.virtualNodeAttributes) {
        peerNode = findAttribute(span, key);
        if (peerNode !== undefined) break;
      }
    }
    return {
      traceId: span.traceId,
      spanId: span.spanId,
      parentSpanId: span.parentSpanId,
      service: span.serviceName,
      side,
      messaging: span.kind === SpanKind.PRODUCER || span.kind === SpanKind.CONSUMER,
      seconds: spanSeconds(span),
      failed: span.status.code === StatusCode.ERROR,
      name: span.name,
      dimensions,
      peerNode,
      arrivedMs: nowMs,
      done: false,
      expired: false,
      indexed: false,
      forgotten: false,
      nextWithId: undefined,
      nextUnderParent: undefined,
    };
  }

  /** The series of one edge's label set: remembered, so an edge seen before costs no label look-up. */
  private edge(client: string, server: string, connection: ConnectionType, first: PendingSpan, second?: PendingSpan): EdgeSeries {
    const values = this.values;
    values[0] = client;
    values[1] = server;
    values[2] = connection;
    for (let i = 0; i < this.dimensions.length; i++) {
      const label = this.dimensions[i]!.label;
      values[3 + i] = first.dimensions[label] ?? second?.dimensions[label] ?? '';
    }
    let edge = this.edges.get(values);
    if (edge === undefined) {
      const labels: Record<string, string> = { client, server, connection_type: connection };
      for (let i = 0; i < this.dimensions.length; i++) labels[this.dimensions[i]!.label] = values[3 + i]!;
      edge = new EdgeSeries(labels, this.families);
      this.edges.set(values, edge);
    }
    return edge;
  }
}

interface GraphFamilies {
  readonly requests: DerivedCounter;
  readonly failed: DerivedCounter;
  readonly serverSeconds: DerivedHistogram;
  readonly clientSeconds: DerivedHistogram;
  readonly unpaired: DerivedCounter;
  readonly dropped: DerivedCounter;
}

/**
 * One label set's series in each family, each looked up in the registry on its first update only:
 * a series exists once something was counted in it (an edge that never failed has no failed series).
 */
class EdgeSeries {
  private requestsSeries: CounterHandle | undefined;
  private failedSeries: CounterHandle | undefined;
  private serverSecondsSeries: HistogramHandle | undefined;
  private clientSecondsSeries: HistogramHandle | undefined;
  private unpairedSeries: CounterHandle | undefined;
  private droppedSeries: CounterHandle | undefined;

  constructor(private readonly labels: Labels, private readonly families: GraphFamilies) {}

  requests(): CounterHandle {
    return (this.requestsSeries ??= this.families.requests.series(this.labels));
  }

  failed(): CounterHandle {
    return (this.failedSeries ??= this.families.failed.series(this.labels));
  }

  serverSeconds(): HistogramHandle {
    return (this.serverSecondsSeries ??= this.families.serverSeconds.series(this.labels));
  }

  clientSeconds(): HistogramHandle {
    return (this.clientSecondsSeries ??= this.families.clientSeconds.series(this.labels));
  }

  unpaired(): CounterHandle {
    return (this.unpairedSeries ??= this.families.unpaired.series(this.labels));
  }

  dropped(): CounterHandle {
    return (this.droppedSeries ??= this.families.dropped.series(this.labels));
  }
}

function sideOf(kind: SpanKind): Side | undefined {
  if (kind === SpanKind.CLIENT || kind === SpanKind.PRODUCER) return 'client';
  if (kind === SpanKind.SERVER || kind === SpanKind.CONSUMER) return 'server';
  return undefined;
}

function connectionOf(half: PendingSpan): ConnectionType {
  return half.messaging ? 'messaging_system' : '';
}
