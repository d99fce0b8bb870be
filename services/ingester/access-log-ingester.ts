/**
 * The access-log signal's ingester: `accesslogs` topic (OTLP logs, one LogRecord per entry) →
 * access-log store, dead-lettering like the span ingester (same DLQ_HEADERS).
 */
import { decodeAccessLogsProtobuf } from '../../shared/accesslog/otlp-codec.js';
import type { AccessLogRecord } from '../../shared/model/access-log.js';
import type { AccessLogWriter } from '../../shared/storage/accesslogstore.js';
import { SignalIngester, type IngesterOptions } from './signal-ingester.js';

export interface AccessLogIngesterOptions extends IngesterOptions {
  readonly writer: AccessLogWriter;
  /** Sees the entries of every stored batch (the metrics generator). */
  readonly observe?: (records: readonly AccessLogRecord[]) => void;
}

export class AccessLogIngester extends SignalIngester<AccessLogRecord> {
  constructor(options: AccessLogIngesterOptions) {
    super(options, {
      name: 'access-log-ingester',
      topic: 'accesslogs',
      progressMessage: 'access-log ingester progress',
      storedCountName: 'accessLogsStored',
      decode: (value) => decodeAccessLogsProtobuf(value),
      write: async (records) => (await options.writer.writeAccessLogs(records)).map((r) => ({ item: r.record, reason: r.reason })),
      describe: (record) => `access log ${record.id}`,
      observe: options.observe,
    });
  }
}
