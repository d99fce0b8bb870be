/**
 * The span signal's ingester: `spans` topic → span store. A record is an OTLP trace request: one
 * trace as published, or (Kafka) the traces of one partition packed into one request.
 */
import type { SpanRecord } from '../../shared/model/span.js';
import { decodeTracesProtobuf } from '../../shared/otlp/traces/traces.js';
import type { SpanWriter } from '../../shared/storage/spanstore.js';
import { SignalIngester, type IngesterOptions } from './signal-ingester.js';

export { DLQ_HEADERS } from './dead-letter.js';

export interface SpanIngesterOptions extends IngesterOptions {
  readonly writer: SpanWriter;
  /** Sees the spans of every stored batch (the metrics generator). */
  readonly observe?: (spans: readonly SpanRecord[]) => void;
}

export class SpanIngester extends SignalIngester<SpanRecord> {
  constructor(options: SpanIngesterOptions) {
    super(options, {
      name: 'span-ingester',
      topic: 'spans',
      progressMessage: 'span ingester progress',
      storedCountName: 'spansStored',
      // In-process (all-in-one), the collector's own decoded spans come with the record: decoding
      // its bytes again cost a sixth of all-in-one's CPU. Otherwise decode, keeping each span's
      // bytes (views of this record) so that whatever needs a span's encoding — the
      // span metrics' size, a store that keeps spans encoded — copies them instead of encoding
      // the span again (~3 µs a span). Nothing keeps span objects beyond the batch.
      decode: (value, record) => record.spans ?? decodeTracesProtobuf(value, { keepEncodedSpans: true }),
      write: async (spans) => (await options.writer.writeSpans(spans)).map((r) => ({ item: r.span, reason: r.reason })),
      describe: (span) => `span ${span.spanId}`,
      observe: options.observe,
    });
  }
}
