/**
 * Service dependency edges from both sources: spans (parent service → child service) and access
 * logs (source workload → destination service), so services without any tracing still show up
 * in `/api/dependencies` and the graphs built on it.
 */
import type { AccessLogEdge, AccessLogReader } from '../../shared/storage/accesslogstore.js';
import { overridingSpanReader, type DependencyLink, type SpanReader } from '../../shared/storage/spanstore.js';

const keyOf = (link: { readonly parent: string; readonly child: string }) => `${link.parent}\u0000${link.child}`;

/**
 * The span links, plus the access-log edges whose (parent, child) pair no span link has.
 *
 * A pair present in both keeps the span count alone: a traced call through a mesh is seen twice,
 * once as spans and once as its sidecars' access logs, so adding the two counts would report
 * every such call double. The access logs only fill in what tracing does not see. Access-log
 * edges repeated for one pair (a store may answer per day or per index) are summed first.
 */
export function mergeDependencies(spanLinks: readonly DependencyLink[], accessLogEdges: readonly AccessLogEdge[]): DependencyLink[] {
  const fromSpans = new Set(spanLinks.map(keyOf));
  const onlyInAccessLogs = new Map<string, DependencyLink>();
  for (const edge of accessLogEdges) {
    const key = keyOf(edge);
    if (fromSpans.has(key)) continue;
    const prev = onlyInAccessLogs.get(key);
    onlyInAccessLogs.set(key, { parent: edge.parent, child: edge.child, callCount: (prev?.callCount ?? 0) + edge.callCount });
  }
  return [...spanLinks, ...onlyInAccessLogs.values()];
}

/**
 * A SpanReader whose getDependencies also counts access-log edges (mergeDependencies); every
 * other method is the span reader's. Lets the Jaeger API serve merged edges without knowing
 * about access logs: the wiring passes this wrapper where it passed the span store.
 */
export function withAccessLogEdges(spanReader: SpanReader, accessLogReader: AccessLogReader): SpanReader {
  return overridingSpanReader(spanReader, {
    async getDependencies(endTimeMs, lookbackMs, scope) {
      const [links, edges] = await Promise.all([
        spanReader.getDependencies(endTimeMs, lookbackMs, scope),
        accessLogReader.getAccessLogEdges(endTimeMs, lookbackMs, scope),
      ]);
      return mergeDependencies(links, edges);
    },
  });
}
