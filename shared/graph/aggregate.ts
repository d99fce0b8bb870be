/**
 * GraphObservations → EdgePartials: per (source, target) at the requested level, each call
 * counted once however many reports it has (its client span, the caller's and the callee's
 * access-log entries share a request key), and the mergeable sums the graph is built from.
 * The Elasticsearch reader computes the same partials with aggregations (cardinality of the
 * request key); the rules here are the reference both stores are tested against.
 */
import { addLatency, emptyLatency, latencyBucketOf } from './latency.js';
import type { EdgePartial, GraphLevel, GraphObservation, GraphProtocol, GraphSignal, NodeKind } from './model.js';
import { GRAPH_SIGNALS } from './model.js';

/** When reports disagree on a node's kind, the most specific wins. */
const KIND_RANK: Readonly<Record<NodeKind, number>> = {
  gateway: 6, database: 5, messaging: 4, external: 3, service: 2, workload: 1, unknown: 0,
};
const PROTOCOL_RANK: Readonly<Record<GraphProtocol, number>> = { grpc: 2, http: 1, tcp: 0 };

export function strongerKind(a: NodeKind, b: NodeKind): NodeKind {
  return KIND_RANK[b] > KIND_RANK[a] ? b : a;
}

export function strongerProtocol(a: GraphProtocol, b: GraphProtocol): GraphProtocol {
  return PROTOCOL_RANK[b] > PROTOCOL_RANK[a] ? b : a;
}

/** The ends of an observation at a level; undefined when the level cannot place it (spans at workload level). */
export function endsAt(o: GraphObservation, level: GraphLevel): { source: string; target: string } | undefined {
  if (level === 'service') return { source: o.source, target: o.target };
  if (o.signal !== 'accesslogs' || o.sourceWorkload === undefined || o.targetWorkload === undefined) return undefined;
  return { source: o.sourceWorkload, target: o.targetWorkload };
}

/** True when the observation touches the namespace (either end in it). */
export function inNamespace(o: Pick<GraphObservation, 'sourceNamespace' | 'targetNamespace'>, namespace: string | undefined): boolean {
  return namespace === undefined || o.sourceNamespace === namespace || o.targetNamespace === namespace;
}

const workloadKind = (kind: NodeKind): NodeKind => (kind === 'service' ? 'workload' : kind);

class EdgeAccumulator {
  sourceKind: NodeKind = 'unknown';
  targetKind: NodeKind = 'unknown';
  sourceNamespace: string | undefined;
  targetNamespace: string | undefined;
  protocol: GraphProtocol = 'tcp';
  readonly requests = new Set<string>();
  readonly errors = new Set<string>();
  readonly codes = new Map<string, Set<string>>();
  readonly latencyAccessLogs = emptyLatency();
  readonly latencyTraces = emptyLatency();
  bytesSent = 0;
  bytesReceived = 0;
  mtlsReports = 0;
  mtlsKnownReports = 0;
  readonly signals = new Set<GraphSignal>();

  constructor(readonly source: string, readonly target: string) {}

  add(o: GraphObservation, level: GraphLevel): void {
    const kinds = level === 'workload' ? { s: workloadKind(o.sourceKind), t: workloadKind(o.targetKind) } : { s: o.sourceKind, t: o.targetKind };
    this.sourceKind = strongerKind(this.sourceKind, kinds.s);
    this.targetKind = strongerKind(this.targetKind, kinds.t);
    this.sourceNamespace ??= o.sourceNamespace;
    this.targetNamespace ??= o.targetNamespace;
    this.protocol = this.signals.size === 0 ? o.protocol : strongerProtocol(this.protocol, o.protocol);
    this.signals.add(o.signal);
    if (o.requestKey !== undefined) {
      this.requests.add(o.requestKey);
      if (o.error) this.errors.add(o.requestKey);
      if (o.codeClass !== undefined) {
        let keys = this.codes.get(o.codeClass);
        if (keys === undefined) this.codes.set(o.codeClass, (keys = new Set()));
        keys.add(o.requestKey);
      }
    }
    if (o.durationMs !== undefined) {
      const counts = o.signal === 'accesslogs' ? this.latencyAccessLogs : this.latencyTraces;
      counts[latencyBucketOf(o.durationMs)]!++;
    }
    this.bytesSent += o.bytesSent ?? 0;
    this.bytesReceived += o.bytesReceived ?? 0;
    if (o.mtls !== undefined) {
      this.mtlsKnownReports++;
      if (o.mtls) this.mtlsReports++;
    }
  }

  partial(): EdgePartial {
    const responseCodes: Record<string, number> = {};
    for (const cls of [...this.codes.keys()].sort()) responseCodes[cls] = this.codes.get(cls)!.size;
    return {
      source: this.source,
      target: this.target,
      sourceKind: this.sourceKind,
      targetKind: this.targetKind,
      ...(this.sourceNamespace !== undefined ? { sourceNamespace: this.sourceNamespace } : {}),
      ...(this.targetNamespace !== undefined ? { targetNamespace: this.targetNamespace } : {}),
      protocol: this.protocol,
      requests: this.requests.size,
      errors: this.errors.size,
      responseCodes,
      latencyAccessLogs: this.latencyAccessLogs,
      latencyTraces: this.latencyTraces,
      bytesSent: this.bytesSent,
      bytesReceived: this.bytesReceived,
      mtlsReports: this.mtlsReports,
      mtlsKnownReports: this.mtlsKnownReports,
      seenIn: GRAPH_SIGNALS.filter((s) => this.signals.has(s)),
    };
  }
}

const edgeKey = (source: string, target: string) => `${source}\u0000${target}`;

/**
 * Edge partials of the observations (already limited to one time range). An edge with no
 * counted call (only a TCP callee's twin report) is left out.
 */
export function edgePartialsOf(observations: Iterable<GraphObservation>, level: GraphLevel, namespace?: string): EdgePartial[] {
  const edges = new Map<string, EdgeAccumulator>();
  for (const o of observations) {
    if (!inNamespace(o, namespace)) continue;
    const ends = endsAt(o, level);
    if (ends === undefined) continue;
    const key = edgeKey(ends.source, ends.target);
    let acc = edges.get(key);
    if (acc === undefined) edges.set(key, (acc = new EdgeAccumulator(ends.source, ends.target)));
    acc.add(o, level);
  }
  return [...edges.values()].map((a) => a.partial()).filter((e) => e.requests > 0);
}

/**
 * Sums partials of the same edges over disjoint time ranges (hourly roll-ups, per-day answers).
 * Calls are counted once per range: a call whose reports straddle two ranges counts in both.
 */
export function mergeEdgePartials(partials: Iterable<EdgePartial>): EdgePartial[] {
  const merged = new Map<string, EdgePartial>();
  for (const p of partials) {
    const key = edgeKey(p.source, p.target);
    const prev = merged.get(key);
    if (prev === undefined) {
      merged.set(key, { ...p, responseCodes: { ...p.responseCodes }, latencyAccessLogs: [...p.latencyAccessLogs], latencyTraces: [...p.latencyTraces] });
      continue;
    }
    const responseCodes: Record<string, number> = { ...prev.responseCodes };
    for (const [cls, n] of Object.entries(p.responseCodes)) responseCodes[cls] = (responseCodes[cls] ?? 0) + n;
    const latencyAccessLogs = [...prev.latencyAccessLogs];
    addLatency(latencyAccessLogs, p.latencyAccessLogs);
    const latencyTraces = [...prev.latencyTraces];
    addLatency(latencyTraces, p.latencyTraces);
    const signals = new Set([...prev.seenIn, ...p.seenIn]);
    merged.set(key, {
      source: p.source,
      target: p.target,
      sourceKind: strongerKind(prev.sourceKind, p.sourceKind),
      targetKind: strongerKind(prev.targetKind, p.targetKind),
      ...(prev.sourceNamespace ?? p.sourceNamespace ? { sourceNamespace: prev.sourceNamespace ?? p.sourceNamespace } : {}),
      ...(prev.targetNamespace ?? p.targetNamespace ? { targetNamespace: prev.targetNamespace ?? p.targetNamespace } : {}),
      protocol: strongerProtocol(prev.protocol, p.protocol),
      requests: prev.requests + p.requests,
      errors: prev.errors + p.errors,
      responseCodes,
      latencyAccessLogs,
      latencyTraces,
      bytesSent: prev.bytesSent + p.bytesSent,
      bytesReceived: prev.bytesReceived + p.bytesReceived,
      mtlsReports: prev.mtlsReports + p.mtlsReports,
      mtlsKnownReports: prev.mtlsKnownReports + p.mtlsKnownReports,
      seenIn: GRAPH_SIGNALS.filter((s) => signals.has(s)),
    });
  }
  return [...merged.values()];
}
