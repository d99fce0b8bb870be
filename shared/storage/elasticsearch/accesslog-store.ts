/**
 * The Elasticsearch access-log store: daily `<prefix>-accesslogs-YYYY.MM.DD` indices behind one
 * composable template, written through the same BulkIndexer as spans (per-item retry, 400 →
 * returned for the dead-letter topic), `_id` = record.id so a redelivered record overwrites its
 * copy, read through ElasticsearchAccessLogReader. Only wiring code constructs it.
 */
import { Client } from '@elastic/elasticsearch';
import type { AccessLogRecord } from '../../model/access-log.js';
import type { Logger } from '../../telemetry/logger.js';
import type { MeshtelMetrics } from '../../telemetry/metrics.js';
import type { AccessLogEdge, AccessLogPage, AccessLogQuery, AccessLogStore, RejectedAccessLog } from '../accesslogstore.js';
import { accessLogStartMs, encodeAccessLogDocument } from './accesslog-document.js';
import {
  elasticsearchAccessLogStoreSettings,
  type ElasticsearchAccessLogStoreOptions,
  type ElasticsearchAccessLogStoreSettings,
} from './accesslog-options.js';
import { ElasticsearchAccessLogReader } from './accesslog-reader.js';
import { accessLogIndexTemplate } from './accesslog-templates.js';
import { BulkIndexer, type BulkDocument } from './bulk.js';
import { dailyIndex, indexPattern } from './indices.js';
import { installIndexTemplates } from './templates.js';

export class ElasticsearchAccessLogStore implements AccessLogStore {
  readonly name = 'elasticsearch-accesslog-store';
  readonly settings: ElasticsearchAccessLogStoreSettings;
  /** Exposed for tests and for the wiring's other Elasticsearch users; do not close it. */
  readonly client: Client;
  private readonly ownsClient: boolean;
  private readonly reader: ElasticsearchAccessLogReader;
  private readonly indexer: BulkIndexer;
  private readonly metrics: MeshtelMetrics | undefined;
  private readonly logger: Logger | undefined;
  private templateInstalled = false;
  private stopped = false;

  constructor(options: ElasticsearchAccessLogStoreOptions = {}) {
    const { client, metrics, logger, ...rest } = options;
    // Validation errors name the option: a wrong deployment fails at construction, not at the first write.
    this.settings = elasticsearchAccessLogStoreSettings.parse(rest);
    const s = this.settings;
    this.metrics = metrics;
    this.logger = logger;
    this.ownsClient = client === undefined;
    this.client =
      client ??
      new Client({
        node: s.node,
        auth: s.username ? { username: s.username, password: s.password } : undefined,
        requestTimeout: s.requestTimeoutMs,
      });
    this.reader = new ElasticsearchAccessLogReader({ client: this.client, indexPrefix: s.indexPrefix });
    this.indexer = new BulkIndexer({
      client: this.client,
      signal: 'accesslogs',
      maxDocs: s.bulkMaxDocs,
      maxBytes: s.bulkMaxBytes,
      concurrency: s.bulkConcurrency,
      flushIntervalMs: s.flushIntervalMs,
      requestTimeoutMs: s.requestTimeoutMs,
      retry: { maxAttempts: s.retryMaxAttempts, initialBackoffMs: s.retryInitialBackoffMs, maxBackoffMs: s.retryMaxBackoffMs },
      refresh: s.refresh,
      metrics,
      logger,
    });
  }

  /** Installs the index template (retrying while the cluster starts); writes wait for it. */
  async start(): Promise<void> {
    const template = accessLogIndexTemplate(this.settings.indexPrefix, {
      shards: this.settings.shards,
      replicas: this.settings.replicas,
      priority: this.settings.templatePriority,
    });
    await installIndexTemplates(this.client, [template], { timeoutMs: this.settings.startTimeoutMs, logger: this.logger });
    this.templateInstalled = true;
    this.logger?.info({ prefix: this.settings.indexPrefix, node: this.settings.node }, 'elasticsearch access-log store started');
  }

  /** Ready when the template is installed and the cluster answers its health endpoint. */
  async isReady(): Promise<boolean> {
    if (!this.templateInstalled || this.stopped) return false;
    try {
      const health = await this.client.cluster.health({ timeout: '2s' }, { requestTimeout: 3000, maxRetries: 0 });
      return health.status !== 'red';
    } catch {
      return false;
    }
  }

  /** Sends what is queued, waits for requests in flight, then closes the client it created. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.indexer.flush();
    if (this.ownsClient) await this.client.close();
  }

  async writeAccessLogs(records: readonly AccessLogRecord[]): Promise<RejectedAccessLog[]> {
    if (!this.templateInstalled) throw new Error('ElasticsearchAccessLogStore: writeAccessLogs before start()');
    if (this.stopped) throw new Error('ElasticsearchAccessLogStore: writeAccessLogs after stop()');
    if (records.length === 0) return [];
    const prefix = this.settings.indexPrefix;
    const docs: BulkDocument[] = records.map((record) => ({
      index: dailyIndex(prefix, 'accesslogs', accessLogStartMs(record)),
      id: record.id,
      source: JSON.stringify(encodeAccessLogDocument(record)),
    }));
    const results = await this.indexer.index(docs);
    const rejected: RejectedAccessLog[] = [];
    records.forEach((record, i) => {
      const r = results[i]!;
      if (!r.stored) rejected.push({ record, reason: r.reason });
    });
    const stored = records.length - rejected.length;
    if (stored > 0) this.metrics?.accessLogsWritten.inc({ store: 'elasticsearch' }, stored);
    return rejected;
  }

  /**
   * Makes everything written so far searchable now instead of within the refresh interval (1 s).
   * For tests and tools; production relies on the interval, as forced refreshes are costly.
   */
  async refresh(): Promise<void> {
    await this.client.indices.refresh({
      index: indexPattern(this.settings.indexPrefix, 'accesslogs'),
      ignore_unavailable: true,
      allow_no_indices: true,
    });
  }

  /** Index expressions a read over [startUs, endUs] touches (for tests and diagnostics). */
  accessLogIndicesFor(startUs: number, endUs: number): string[] {
    return this.reader.indicesFor(startUs, endUs);
  }

  findAccessLogs(query: AccessLogQuery): Promise<AccessLogPage> {
    return this.reader.findAccessLogs(query);
  }

  getAccessLogEdges(endTimeMs: number, lookbackMs: number): Promise<AccessLogEdge[]> {
    return this.reader.getAccessLogEdges(endTimeMs, lookbackMs);
  }
}
