/** Trace archive: copies a trace's spans from the span store into the archive (see ArchiveStore). */
import type { ArchiveStore } from '../../shared/storage/archivestore.js';
import type { SpanReader } from '../../shared/storage/spanstore.js';

export interface ArchiveResult {
  readonly job: 'archive';
  readonly traceId: string;
  /** Spans found in the span store and copied (0: the trace is unknown or already gone). */
  readonly spans: number;
}

export class ArchiveJob {
  constructor(private readonly options: { readonly source: SpanReader; readonly archive: ArchiveStore }) {}

  async run(traceId: string): Promise<ArchiveResult> {
    if (!/^[0-9a-f]{32}$/.test(traceId)) throw new RangeError(`archive: trace id must be 32 lower-case hex digits, got ${JSON.stringify(traceId)}`);
    const spans = await this.options.source.getTrace(traceId);
    await this.options.archive.archiveTrace(spans);
    return { job: 'archive', traceId, spans: spans.length };
  }
}
