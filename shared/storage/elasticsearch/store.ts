/**
 * The Elasticsearch span store: daily span and services indices behind composable templates,
 * written through the BulkIndexer, read through ElasticsearchSpanReader. Only wiring code
 * constructs it; everything else sees a SpanStore.
 */
import { tenantOfResource } from '../../model/tenant.js';
import type { ReadScope } from '../read-scope.js';
import type { Client } from '@elastic/elasticsearch';
import type { SpanRecord } from '../../model/span.js';
import type { Logger } from '../../telemetry/logger.js';
import type { StoreMetrics } from '../store-metrics.js';
import { observationOfSpan } from '../../graph/observation.js';
import type { SpanFilter, TypedTagValue } from '../../traceql/model.js';
import type {
  DependencyLink,
  Operation,
  OperationQuery,
  RejectedSpan,
  SpanStore,
  TagRef,
  TagWindow,
  TraceQuery,
  TraceqlSearchQuery,
  TraceqlTraceMatch,
} from '../spanstore.js';
import type { DependencyRangeReader } from '../dependency-range.js';
import type { BulkDocument } from './bulk.js';
import { encodeSpanDocumentJson, serviceDocumentId, serviceDocumentOf } from './document.js';
import { dailyIndex, DAY_MS } from './indices.js';
import { ElasticsearchStoreLifecycle } from './lifecycle.js';
import { elasticsearchSpanStoreSettings, type ElasticsearchSpanStoreOptions, type ElasticsearchSpanStoreSettings } from './options.js';
import { ElasticsearchSpanReader } from './reader.js';
import { indexTemplates } from './templates.js';
import { ElasticsearchTraceqlReader } from './traceql-reader.js';

export class ElasticsearchSpanStore implements SpanStore, DependencyRangeReader {
  readonly name = 'elasticsearch-span-store';
  readonly settings: ElasticsearchSpanStoreSettings;
  /** Exposed for tests and for the wiring's other Elasticsearch users; do not close it. */
  readonly client: Client;
  /** Client, bulk indexer, templates, readiness and stop: shared with the access-log store. */
  private readonly lifecycle: ElasticsearchStoreLifecycle;
  private readonly reader: ElasticsearchSpanReader;
  private readonly traceql: ElasticsearchTraceqlReader;
  private readonly metrics: StoreMetrics | undefined;
  private readonly logger: Logger | undefined;
  /**
   * Services-index documents already written, per day. Every span names its (service, operation,
   * kind), but the set is tiny, so re-sending it with every batch would double the bulk items for
   * nothing. Insertion-ordered Map: the oldest entry goes first when full.
   */
  private readonly servicesWritten = new Map<string, true>();

  constructor(options: ElasticsearchSpanStoreOptions = {}) {
    const { client, metrics, logger, ...rest } = options;
    // Validation errors name the option: a wrong deployment fails at construction, not at the first write.
    this.settings = elasticsearchSpanStoreSettings.parse(rest);
    const s = this.settings;
    this.metrics = metrics;
    this.logger = logger;
    this.lifecycle = new ElasticsearchStoreLifecycle({
      settings: s,
      client,
      signal: 'spans',
      bulkMaxDocs: s.bulkMaxSpans,
      templates: indexTemplates,
      refreshSignals: ['spans', 'services'],
      description: 'span store',
      metrics,
      logger,
    });
    this.client = this.lifecycle.client;
    this.reader = new ElasticsearchSpanReader({ client: this.client, indexPrefix: s.indexPrefix, traceLookaroundMs: s.traceLookaroundMs });
    this.traceql = new ElasticsearchTraceqlReader(this.client, this.reader);
  }

  /** Installs the span and services index templates (retrying while the cluster starts); writes wait for it. */
  start(): Promise<void> {
    return this.lifecycle.start();
  }

  /** Ready when the templates are installed and the cluster answers its health endpoint. */
  isReady(): Promise<boolean> {
    return this.lifecycle.isReady();
  }

  /** Sends what is queued, waits for requests in flight, then closes the client it created. */
  stop(): Promise<void> {
    return this.lifecycle.stop();
  }

  async writeSpans(spans: readonly SpanRecord[]): Promise<RejectedSpan[]> {
    this.lifecycle.assertWritable('ElasticsearchSpanStore: writeSpans');
    if (spans.length === 0) return [];
    const prefix = this.settings.indexPrefix;
    const docs: BulkDocument[] = [];
    for (const span of spans) {
      const doc = encodeSpanDocumentJson(span, observationOfSpan(span, this.settings.meshServiceNaming));
      docs.push({ index: dailyIndex(prefix, 'spans', doc.startTimeMs), id: doc.id, source: doc.json });
    }
    // Services documents only for (day, service, operation, kind) not yet written: a plain string
    // key per span here, the hashed id and the document only for the few new ones.
    const serviceKeys: string[] = [];
    const newServiceKeys = new Set<string>();
    for (const span of spans) {
      const startMs = Number(span.startTimeUnixNano / 1_000_000n);
      const tenant = tenantOfResource(span.resource) ?? '';
      const key = `${Math.floor(startMs / DAY_MS)}\u0000${span.kind}\u0000${span.serviceName}\u0000${span.name}\u0000${tenant}`;
      if (this.servicesWritten.has(key) || newServiceKeys.has(key)) continue;
      newServiceKeys.add(key);
      serviceKeys.push(key);
      const service = serviceDocumentOf(span);
      docs.push({ index: dailyIndex(prefix, 'services', startMs), id: serviceDocumentId(service), source: JSON.stringify(service) });
    }

    const results = await this.lifecycle.indexer.index(docs);

    const rejected: RejectedSpan[] = [];
    spans.forEach((span, i) => {
      const r = results[i]!;
      if (!r.stored) rejected.push({ span, reason: r.reason });
    });
    serviceKeys.forEach((key, i) => {
      const r = results[spans.length + i]!;
      if (r.stored) this.rememberService(key);
      // A refused services document costs only a name in the pickers; the span itself is stored.
      else this.logger?.warn({ reason: r.reason }, 'elasticsearch: services document refused');
    });
    const stored = spans.length - rejected.length;
    if (stored > 0) this.metrics?.spansWritten.inc({ store: 'elasticsearch' }, stored);
    return rejected;
  }

  private rememberService(key: string): void {
    if (this.servicesWritten.size >= this.settings.serviceCacheSize) {
      const oldest = this.servicesWritten.keys().next();
      if (!oldest.done) this.servicesWritten.delete(oldest.value);
    }
    this.servicesWritten.set(key, true);
  }

  /** Makes everything written so far searchable now (tests and tools; see the lifecycle's refresh). */
  refresh(): Promise<void> {
    return this.lifecycle.refresh();
  }

  /** Index expressions a read over [startUs, endUs] touches (for tests and diagnostics). */
  spanIndicesFor(startUs: number, endUs: number): string[] {
    return this.reader.indicesFor('spans', startUs, endUs);
  }

  getTrace(traceId: string, hint?: { startTimeUs?: number; endTimeUs?: number }, scope?: ReadScope): Promise<SpanRecord[]> {
    return this.reader.getTrace(traceId, hint, scope);
  }

  getServices(scope?: ReadScope): Promise<string[]> {
    return this.reader.getServices(scope);
  }

  getOperations(query: OperationQuery, scope?: ReadScope): Promise<Operation[]> {
    return this.reader.getOperations(query, scope);
  }

  findTraces(query: TraceQuery, scope?: ReadScope): Promise<SpanRecord[][]> {
    return this.reader.findTraces(query, scope);
  }

  getDependencies(endTimeMs: number, lookbackMs: number, scope?: ReadScope): Promise<DependencyLink[]> {
    return this.reader.getDependencies(endTimeMs, lookbackMs, scope);
  }

  searchTraceql(query: TraceqlSearchQuery): Promise<TraceqlTraceMatch[]> {
    return this.traceql.searchTraceql(query);
  }

  getTraceqlTags(window: TagWindow & { readonly filter?: SpanFilter }): Promise<{ scope: 'span' | 'resource' | 'event' | 'link' | 'instrumentation'; key: string }[]> {
    return this.traceql.getTraceqlTags(window);
  }

  getTraceqlTagValues(tag: TagRef, window: TagWindow & { readonly filter?: SpanFilter }): Promise<TypedTagValue[]> {
    return this.traceql.getTraceqlTagValues(tag, window);
  }

  getDependenciesBetween(fromUs: number, toUs: number, scope?: ReadScope): Promise<DependencyLink[]> {
    return this.reader.getDependenciesBetween(fromUs, toUs, scope);
  }
}
