/**
 * Trace archive contract (Jaeger's archive storage): traces an operator chose to keep, outside the
 * daily indices and so outside retention. Implementations: `storage/memory` (all-in-one),
 * `storage/elasticsearch` (`<prefix>-archive`, one index, never deleted by meshtel).
 */
import type { SpanRecord } from '../model/span.js';
import { overridingSpanReader, type SpanReader } from './spanstore.js';

export interface ArchiveStore {
  start(): Promise<void>;
  stop(): Promise<void>;
  isReady(): Promise<boolean>;
  /**
   * Keeps these spans of one trace. Archiving a trace again adds the spans not archived before
   * (same trace id, span id, service and kind = same span) and keeps the rest, so archiving after
   * retention deleted part of a trace never loses what the archive had. [] is a no-op.
   */
  archiveTrace(spans: readonly SpanRecord[]): Promise<void>;
  /** The archived spans of the trace, in no particular order; [] when it was never archived. */
  getArchivedTrace(traceId: string): Promise<SpanRecord[]>;
}

/** The key archive stores merge spans on (as the span stores' document ids). */
/** `kind` as the store holds it (a SpanKind, or its name in stored documents). */
export function archivedSpanKey(s: Pick<SpanRecord, 'traceId' | 'spanId' | 'serviceName'> & { readonly kind: string | number }): string {
  return `${s.traceId}/${s.spanId}/${s.serviceName}/${s.kind}`;
}

/** A SpanReader whose getTrace falls back to the archive when the live store has nothing (Jaeger's trace-by-id). */
export function withArchiveFallback(reader: SpanReader, archive: Pick<ArchiveStore, 'getArchivedTrace'>): SpanReader {
  return overridingSpanReader(reader, {
    async getTrace(traceId, hint, scope) {
      const spans = await reader.getTrace(traceId, hint, scope);
      // The archive keeps no tenant: a tenant-scoped read never falls back to it.
      if (spans.length > 0 || scope?.tenant !== undefined) return spans;
      return archive.getArchivedTrace(traceId);
    },
  });
}
