/** The memory ArchiveStore (all-in-one): archived traces in a Map, out of reach of the span store's eviction. */
import type { SpanRecord } from '../../model/span.js';
import { releaseEncodedSpans } from '../../otlp/traces/traces.js';
import { archivedSpanKey, type ArchiveStore } from '../archivestore.js';

export class MemoryArchiveStore implements ArchiveStore {
  private readonly traces = new Map<string, Map<string, SpanRecord>>();

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async isReady(): Promise<boolean> {
    return true;
  }

  async archiveTrace(spans: readonly SpanRecord[]): Promise<void> {
    if (spans.length === 0) return;
    // Kept beyond any request: must not pin the request bytes a span was decoded from.
    releaseEncodedSpans(spans);
    for (const s of spans) {
      let trace = this.traces.get(s.traceId);
      if (!trace) this.traces.set(s.traceId, (trace = new Map()));
      if (!trace.has(archivedSpanKey(s))) trace.set(archivedSpanKey(s), s);
    }
  }

  async getArchivedTrace(traceId: string): Promise<SpanRecord[]> {
    return [...(this.traces.get(traceId)?.values() ?? [])];
  }
}
