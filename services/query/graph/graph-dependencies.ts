/**
 * `/api/dependencies` with the mesh graph's identity: the span store's parent → child links, plus
 * the graph's service-level edges (client spans and access logs, both ends named as the mesh's
 * tracer names services), so a service seen only in access logs shows up under the same name the
 * traced ones have, once. A pair both know takes the larger count: the graph counts every call
 * once across traces and access logs, the span links only the traced ones.
 */
import type { GraphReader } from '../../../shared/storage/graphstore.js';
import { overridingSpanReader, type DependencyLink, type SpanReader } from '../../../shared/storage/spanstore.js';

const keyOf = (parent: string, child: string) => `${parent}\u0000${child}`;

export function mergeGraphDependencies(spanLinks: readonly DependencyLink[], graphEdges: readonly { source: string; target: string; requests: number }[]): DependencyLink[] {
  const links = new Map<string, DependencyLink>();
  for (const link of spanLinks) {
    const key = keyOf(link.parent, link.child);
    const prev = links.get(key);
    links.set(key, { parent: link.parent, child: link.child, callCount: (prev?.callCount ?? 0) + link.callCount });
  }
  for (const edge of graphEdges) {
    const key = keyOf(edge.source, edge.target);
    const prev = links.get(key);
    if (prev === undefined || prev.callCount < edge.requests) links.set(key, { parent: edge.source, child: edge.target, callCount: edge.requests });
  }
  return [...links.values()];
}

/** A SpanReader whose getDependencies adds the graph's edges; every other method is the span reader's. */
export function withGraphEdges(spanReader: SpanReader, graphReader: GraphReader): SpanReader {
  return overridingSpanReader(spanReader, {
    // The graph's edges know no tenant; the query service uses this only without multi-tenancy.
    async getDependencies(endTimeMs, lookbackMs, scope) {
      const [links, edges] = await Promise.all([
        spanReader.getDependencies(endTimeMs, lookbackMs, scope),
        graphReader.getEdgePartials({ startUs: (endTimeMs - lookbackMs) * 1000, endUs: endTimeMs * 1000, level: 'service' }),
      ]);
      return mergeGraphDependencies(links, edges);
    },
  });
}
