/**
 * The Elasticsearch access-log store: daily `<prefix>-accesslogs-YYYY.MM.DD` indices behind one
 * composable template, written through the same BulkIndexer as spans (per-item retry, 400 →
 * returned for the dead-letter topic), `_id` = record.id so a redelivered record overwrites its
 * copy, read through ElasticsearchAccessLogReader. Only wiring code constructs it.
 */
import type { ReadScope } from '../read-scope.js';
import type { Client } from '@elastic/elasticsearch';
import type { AccessLogRecord } from '../../model/access-log.js';
import type { StoreMetrics } from '../store-metrics.js';
import type { AccessLogEdge, AccessLogPage, AccessLogQuery, AccessLogStore, RejectedAccessLog } from '../accesslogstore.js';
import { accessLogStartMs, accessLogDocumentId, encodeAccessLogDocument } from './accesslog-document.js';
import {
  elasticsearchAccessLogStoreSettings,
  type ElasticsearchAccessLogStoreOptions,
  type ElasticsearchAccessLogStoreSettings,
} from './accesslog-options.js';
import { ElasticsearchAccessLogReader } from './accesslog-reader.js';
import { accessLogIndexTemplate } from './accesslog-templates.js';
import { observationOfAccessLog } from '../../graph/observation.js';
import type { BulkDocument } from './bulk.js';
import { dailyIndex } from './indices.js';
import { ElasticsearchStoreLifecycle } from './lifecycle.js';

export class ElasticsearchAccessLogStore implements AccessLogStore {
  readonly name = 'elasticsearch-accesslog-store';
  readonly settings: ElasticsearchAccessLogStoreSettings;
  /** Exposed for tests and for the wiring's other Elasticsearch users; do not close it. */
  readonly client: Client;
  /** Client, bulk indexer, template, readiness and stop: shared with the span store. */
  private readonly lifecycle: ElasticsearchStoreLifecycle;
  private readonly reader: ElasticsearchAccessLogReader;
  private readonly metrics: StoreMetrics | undefined;

  constructor(options: ElasticsearchAccessLogStoreOptions = {}) {
    const { client, metrics, logger, ...rest } = options;
    // Validation errors name the option: a wrong deployment fails at construction, not at the first write.
    this.settings = elasticsearchAccessLogStoreSettings.parse(rest);
    const s = this.settings;
    this.metrics = metrics;
    this.lifecycle = new ElasticsearchStoreLifecycle({
      settings: s,
      client,
      signal: 'accesslogs',
      bulkMaxDocs: s.bulkMaxDocs,
      templates: (prefix, layout) => [accessLogIndexTemplate(prefix, layout)],
      refreshSignals: ['accesslogs'],
      description: 'access-log store',
      metrics,
      logger,
    });
    this.client = this.lifecycle.client;
    this.reader = new ElasticsearchAccessLogReader({ client: this.client, indexPrefix: s.indexPrefix });
  }

  /** Installs the index template (retrying while the cluster starts); writes wait for it. */
  start(): Promise<void> {
    return this.lifecycle.start();
  }

  /** Ready when the template is installed and the cluster answers its health endpoint. */
  isReady(): Promise<boolean> {
    return this.lifecycle.isReady();
  }

  /** Sends what is queued, waits for requests in flight, then closes the client it created. */
  stop(): Promise<void> {
    return this.lifecycle.stop();
  }

  async writeAccessLogs(records: readonly AccessLogRecord[]): Promise<RejectedAccessLog[]> {
    this.lifecycle.assertWritable('ElasticsearchAccessLogStore: writeAccessLogs');
    if (records.length === 0) return [];
    const prefix = this.settings.indexPrefix;
    const docs: BulkDocument[] = records.map((record) => ({
      index: dailyIndex(prefix, 'accesslogs', accessLogStartMs(record)),
      id: accessLogDocumentId(record),
      source: JSON.stringify({ ...encodeAccessLogDocument(record), graph: observationOfAccessLog(record, this.settings.meshServiceNaming) }),
    }));
    const results = await this.lifecycle.indexer.index(docs);
    const rejected: RejectedAccessLog[] = [];
    records.forEach((record, i) => {
      const r = results[i]!;
      if (!r.stored) rejected.push({ record, reason: r.reason });
    });
    const stored = records.length - rejected.length;
    if (stored > 0) this.metrics?.accessLogsWritten.inc({ store: 'elasticsearch' }, stored);
    return rejected;
  }

  /** Makes everything written so far searchable now (tests and tools; see the lifecycle's refresh). */
  refresh(): Promise<void> {
    return this.lifecycle.refresh();
  }

  /** Index expressions a read over [startUs, endUs] touches (for tests and diagnostics). */
  accessLogIndicesFor(startUs: number, endUs: number): string[] {
    return this.reader.indicesFor(startUs, endUs);
  }

  findAccessLogs(query: AccessLogQuery, scope?: ReadScope): Promise<AccessLogPage> {
    return this.reader.findAccessLogs(query, scope);
  }

  getAccessLogEdges(endTimeMs: number, lookbackMs: number, scope?: ReadScope): Promise<AccessLogEdge[]> {
    return this.reader.getAccessLogEdges(endTimeMs, lookbackMs, scope);
  }
}
