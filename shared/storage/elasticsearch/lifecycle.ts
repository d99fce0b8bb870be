/**
 * The lifecycle the Elasticsearch span and access-log stores share: the client (created from the
 * settings, or handed in and then not closed), the BulkIndexer writes go through, installing the
 * index templates at start, readiness, stop, and the forced refresh tests use. Each store holds
 * one of these (composition rather than a base class), so it keeps only its own surface — what it
 * encodes, where it writes, how it reads — and neither store's public shape depends on the other.
 */
import type { Client, estypes } from '@elastic/elasticsearch';
import type { Logger } from '../../telemetry/logger.js';
import type { StoreMetrics } from '../store-metrics.js';
import type { ElasticsearchMetrics } from './elasticsearch-metrics.js';
import { BulkIndexer } from './bulk.js';
import { createElasticsearchClient } from './client.js';
import { indexPattern, type Signal } from './indices.js';
import type { ElasticsearchSpanStoreSettings } from './options.js';
import { installIndexTemplates, type TemplateSettings } from './templates.js';

/**
 * The settings both stores have, named as in the span store's schema (the access-log schema is
 * derived from it), so either store's parsed settings can be passed as they are.
 */
export type ElasticsearchStoreSettings = Pick<
  ElasticsearchSpanStoreSettings,
  | 'node'
  | 'username'
  | 'password'
  | 'apiKey'
  | 'tlsCaFile'
  | 'indexPrefix'
  | 'shards'
  | 'replicas'
  | 'templatePriority'
  | 'bulkMaxBytes'
  | 'bulkConcurrency'
  | 'flushIntervalMs'
  | 'requestTimeoutMs'
  | 'retryMaxAttempts'
  | 'retryInitialBackoffMs'
  | 'retryMaxBackoffMs'
  | 'refresh'
  | 'startTimeoutMs'
>;

export interface ElasticsearchStoreLifecycleOptions {
  readonly settings: ElasticsearchStoreSettings;
  /** Use this client instead of creating one from `settings.node`; stop() then leaves it open. */
  readonly client?: Client | undefined;
  /** The BulkIndexer's metric label. */
  readonly signal: string;
  /** Documents per bulk request (the stores name this setting differently). */
  readonly bulkMaxDocs: number;
  /** The store's index templates for a prefix; installed by start(). */
  readonly templates: (prefix: string, settings: TemplateSettings) => estypes.IndicesPutIndexTemplateRequest[];
  /** The signals whose daily indices refresh() makes searchable. */
  readonly refreshSignals: readonly Signal[];
  /** Names the store in the start log line, e.g. `span store`. */
  readonly description: string;
  readonly metrics?: StoreMetrics & ElasticsearchMetrics | undefined;
  readonly logger?: Logger | undefined;
}

export class ElasticsearchStoreLifecycle {
  readonly client: Client;
  readonly indexer: BulkIndexer;
  private readonly options: ElasticsearchStoreLifecycleOptions;
  private readonly ownsClient: boolean;
  private templatesInstalled = false;
  private stopped = false;

  constructor(options: ElasticsearchStoreLifecycleOptions) {
    this.options = options;
    const s = options.settings;
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? createElasticsearchClient(s);
    this.indexer = new BulkIndexer({
      client: this.client,
      signal: options.signal,
      maxDocs: options.bulkMaxDocs,
      maxBytes: s.bulkMaxBytes,
      concurrency: s.bulkConcurrency,
      flushIntervalMs: s.flushIntervalMs,
      requestTimeoutMs: s.requestTimeoutMs,
      retry: { maxAttempts: s.retryMaxAttempts, initialBackoffMs: s.retryInitialBackoffMs, maxBackoffMs: s.retryMaxBackoffMs },
      refresh: s.refresh,
      metrics: options.metrics,
      logger: options.logger,
    });
  }

  /**
   * Installs (PUTs) the index templates, retrying while the cluster is unreachable for up to
   * startTimeoutMs. Writes wait for this: an index created before its template would get
   * dynamic mappings for the day and break tag and range queries on it.
   */
  async start(): Promise<void> {
    const s = this.options.settings;
    const templates = this.options.templates(s.indexPrefix, { shards: s.shards, replicas: s.replicas, priority: s.templatePriority });
    await installIndexTemplates(this.client, templates, { timeoutMs: s.startTimeoutMs, logger: this.options.logger });
    this.templatesInstalled = true;
    this.options.logger?.info({ prefix: s.indexPrefix, node: s.node }, `elasticsearch ${this.options.description} started`);
  }

  /** Ready when the templates are installed and the cluster answers its health endpoint. */
  async isReady(): Promise<boolean> {
    if (!this.templatesInstalled || this.stopped) return false;
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

  /**
   * Throws unless a write may go out now: not before start() (its indices would be created
   * without the templates' mappings) and not after stop() (the client may be closed).
   * `operation` prefixes the message, e.g. `ElasticsearchSpanStore: writeSpans`.
   */
  assertWritable(operation: string): void {
    if (!this.templatesInstalled) throw new Error(`${operation} before start()`);
    if (this.stopped) throw new Error(`${operation} after stop()`);
  }

  /**
   * Makes everything written so far searchable now instead of within the refresh interval (1 s).
   * For tests and tools; production relies on the interval, as forced refreshes are costly.
   */
  async refresh(): Promise<void> {
    const prefix = this.options.settings.indexPrefix;
    await this.client.indices.refresh({
      index: this.options.refreshSignals.map((signal) => indexPattern(prefix, signal)),
      ignore_unavailable: true,
      allow_no_indices: true,
    });
  }
}
