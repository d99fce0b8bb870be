/** The span signal's ingester: `spans` topic (OTLP trace requests of one trace) → span store. */
import type { SpanRecord } from '../../shared/model/span.js';
import { decodeTracesProtobuf } from '../../shared/otlp/traces.js';
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
      // its bytes again cost a sixth of all-in-one's CPU. Otherwise decode, without
      // keepEncodedSpans: stored spans must not keep whole buffer records alive.
      decode: (value, record) => record.spans ?? decodeTracesProtobuf(value),
      write: async (spans) => (await options.writer.writeSpans(spans)).map((r) => ({ item: r.span, reason: r.reason })),
      describe: (span) => `span ${span.spanId}`,
      observe: options.observe,
    });
  }
}
