/**
 * EdgePartials → MeshGraph: rates over the window, error rates, latency quantiles, mTLS share and
 * health per edge, and the nodes at either end. A node's traffic is what it receives (as Kiali's
 * inbound view); a node nothing calls (gateway, `unknown`) shows what it sends. Pure.
 */
import { addLatency, emptyLatency, latencyQuantile, latencyTotal } from './latency.js';
import { strongerKind } from './aggregate.js';
import type { EdgePartial, GraphEdge, GraphNode, GraphSignal, Health, HealthThresholds, MeshGraph, NodeKind } from './model.js';
import { DEFAULT_HEALTH_THRESHOLDS, GRAPH_SIGNALS } from './model.js';

/** Kiali's rule: failing at or above the failing threshold, degraded above the degraded one. */
export function healthOf(errorRate: number, thresholds: HealthThresholds): Health {
  const percent = errorRate * 100;
  if (percent > 0 && percent >= thresholds.failingPercent) return 'failing';
  if (percent > thresholds.degradedPercent) return 'degraded';
  return 'healthy';
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);
const round = (n: number, digits = 6) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Access-log durations when the edge has any (they time every call), else span durations. */
export function latencyOf(p: Pick<EdgePartial, 'latencyAccessLogs' | 'latencyTraces'>): number[] {
  return latencyTotal(p.latencyAccessLogs) > 0 ? [...p.latencyAccessLogs] : [...p.latencyTraces];
}

export function edgeId(source: string, target: string): string {
  return `${source}->${target}`;
}

/** The node's display name: its id without the `.<namespace>` suffix the naming added. */
function nameOf(id: string, namespace: string | undefined): string {
  return namespace !== undefined && id.endsWith(`.${namespace}`) ? id.slice(0, -namespace.length - 1) : id;
}

interface NodeAcc {
  kind: NodeKind;
  namespace: string | undefined;
  inRequests: number;
  inErrors: number;
  inLatency: number[];
  outRequests: number;
  outErrors: number;
  outLatency: number[];
  signals: Set<GraphSignal>;
}

export function buildGraph(partials: readonly EdgePartial[], windowSeconds: number, thresholds: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS): MeshGraph {
  const seconds = windowSeconds > 0 ? windowSeconds : 1;
  const nodes = new Map<string, NodeAcc>();
  const nodeOf = (id: string): NodeAcc => {
    let n = nodes.get(id);
    if (n === undefined) {
      n = { kind: 'unknown', namespace: undefined, inRequests: 0, inErrors: 0, inLatency: emptyLatency(), outRequests: 0, outErrors: 0, outLatency: emptyLatency(), signals: new Set() };
      nodes.set(id, n);
    }
    return n;
  };

  const edges: GraphEdge[] = [];
  for (const p of partials) {
    const latency = latencyOf(p);
    const errorRate = round(ratio(p.errors, p.requests));
    edges.push({
      id: edgeId(p.source, p.target),
      source: p.source,
      target: p.target,
      protocol: p.protocol,
      requests: p.requests,
      errors: p.errors,
      requestRate: round(p.requests / seconds),
      errorRate,
      responseCodes: { ...p.responseCodes },
      p50Ms: latencyQuantile(latency, 0.5),
      p99Ms: latencyQuantile(latency, 0.99),
      bytesSent: p.bytesSent,
      bytesReceived: p.bytesReceived,
      mtlsShare: p.mtlsKnownReports > 0 ? round(p.mtlsReports / p.mtlsKnownReports) : null,
      health: healthOf(errorRate, thresholds),
      seenIn: [...p.seenIn],
    });
    const src = nodeOf(p.source);
    src.kind = strongerKind(src.kind, p.sourceKind);
    src.namespace ??= p.sourceNamespace;
    src.outRequests += p.requests;
    src.outErrors += p.errors;
    addLatency(src.outLatency, latency);
    for (const s of p.seenIn) src.signals.add(s);
    const dst = nodeOf(p.target);
    dst.kind = strongerKind(dst.kind, p.targetKind);
    dst.namespace ??= p.targetNamespace;
    dst.inRequests += p.requests;
    dst.inErrors += p.errors;
    addLatency(dst.inLatency, latency);
    for (const s of p.seenIn) dst.signals.add(s);
  }

  const graphNodes: GraphNode[] = [];
  for (const [id, n] of nodes) {
    const inbound = n.inRequests > 0;
    const requests = inbound ? n.inRequests : n.outRequests;
    const errors = inbound ? n.inErrors : n.outErrors;
    const latency = inbound ? n.inLatency : n.outLatency;
    const errorRate = round(ratio(errors, requests));
    graphNodes.push({
      id,
      name: nameOf(id, n.namespace),
      namespace: n.namespace ?? null,
      kind: n.kind,
      requests,
      errors,
      requestRate: round(requests / seconds),
      errorRate,
      p50Ms: latencyQuantile(latency, 0.5),
      p95Ms: latencyQuantile(latency, 0.95),
      p99Ms: latencyQuantile(latency, 0.99),
      health: healthOf(errorRate, thresholds),
      seenIn: GRAPH_SIGNALS.filter((s) => n.signals.has(s)),
    });
  }
  graphNodes.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  edges.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { nodes: graphNodes, edges };
}
