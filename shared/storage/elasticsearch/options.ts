/**
 * Configuration of the Elasticsearch span store: a schema with defaults, validated when the store
 * is constructed. The process settings (MESHTEL_ES_*) refer to these fields for their defaults.
 */
import { z } from 'zod';
import type { Client } from '@elastic/elasticsearch';
import { DEFAULT_MESH_SERVICE_NAMING, MESH_SERVICE_NAMINGS } from '../../istio/service-naming.js';
import type { Logger } from '../../telemetry/logger.js';
import type { StoreMetrics } from '../store-metrics.js';
import type { ElasticsearchMetrics } from './elasticsearch-metrics.js';

const positiveInt = z.number().int().min(1);
const nonNegativeInt = z.number().int().min(0);

export const elasticsearchSpanStoreSettings = z.object({
  node: z.url().default('http://127.0.0.1:9200'),
  username: z.string().default(''),
  password: z.string().default(''),
  /** API key (base64 "encoded" form); used instead of username/password when set. */
  apiKey: z.string().default(''),
  /** PEM CA bundle for an https:// node; empty = the system CAs. */
  tlsCaFile: z.string().default(''),
  // Index names must be lower case and may not contain other symbols (Elasticsearch rules).
  indexPrefix: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" or "-", not starting with a symbol')
    .default('meshtel'),
  shards: positiveInt.default(1),
  replicas: nonNegativeInt.default(0),
  templatePriority: nonNegativeInt.default(100),
  bulkMaxSpans: positiveInt.default(2000),
  bulkMaxBytes: positiveInt.default(5 * 1024 * 1024),
  /**
   * Bulk requests in flight per process. Three, not two: with two, a slot stood empty about a
   * fifth of the time while the ingester decoded and encoded the next bulk, and Elasticsearch's
   * write threads waited (pipeline-throughput bench, same run: draining 9.2k → 10.0k spans/s,
   * and less Elasticsearch CPU per document). Memory in flight: this × bulkMaxBytes.
   */
  bulkConcurrency: positiveInt.default(3),
  flushIntervalMs: nonNegativeInt.default(50),
  requestTimeoutMs: positiveInt.default(30_000),
  /**
   * Bulk sends per document before writeSpans rejects. With the backoff below, up to ~15 s of
   * retrying: long enough to ride out a full write queue, short enough that a real outage is
   * left to the consumer's redelivery instead of this loop.
   */
  retryMaxAttempts: positiveInt.default(6),
  retryInitialBackoffMs: nonNegativeInt.default(500),
  retryMaxBackoffMs: nonNegativeInt.default(10_000),
  /** Bulk `refresh`: false in production; `wait_for` in tests makes writes visible on return. */
  refresh: z.union([z.boolean(), z.literal('wait_for')]).default(false),
  traceLookaroundMs: nonNegativeInt.default(3_600_000),
  /** start() retries installing the templates this long (the cluster may still be starting). */
  startTimeoutMs: nonNegativeInt.default(60_000),
  /** (day, service, operation, kind) entries remembered as already written to the services index. */
  serviceCacheSize: positiveInt.default(10_000),
  /** How the `graph.*` fields name services (Istio's tracingServiceName); read at write time. */
  meshServiceNaming: z.enum(MESH_SERVICE_NAMINGS).default(DEFAULT_MESH_SERVICE_NAMING),
});

export type ElasticsearchSpanStoreSettings = z.infer<typeof elasticsearchSpanStoreSettings>;

/** What either Elasticsearch store takes besides its settings (not validated, not from config). */
export interface ElasticsearchStoreDependencies {
  /** Use this client instead of creating one from `node`; the store then does not close it. */
  readonly client?: Client;
  readonly metrics?: StoreMetrics & ElasticsearchMetrics;
  readonly logger?: Logger;
}

export interface ElasticsearchSpanStoreOptions extends Partial<ElasticsearchSpanStoreSettings>, ElasticsearchStoreDependencies {}
