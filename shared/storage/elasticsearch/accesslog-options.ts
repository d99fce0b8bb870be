/**
 * Configuration of the Elasticsearch access-log store. Same cluster, credentials, prefix and bulk
 * settings as the span store (MESHTEL_ES_*): one schema, minus what only spans use, with the bulk
 * size named for documents.
 */
import type { z } from 'zod';
import type { Client } from '@elastic/elasticsearch';
import type { MeshtelConfig } from '../../config/settings.js';
import type { Logger } from '../../telemetry/logger.js';
import type { MeshtelMetrics } from '../../telemetry/metrics.js';
import { elasticsearchOptionsFromConfig, elasticsearchSpanStoreSettings } from './options.js';

export const elasticsearchAccessLogStoreSettings = elasticsearchSpanStoreSettings
  .omit({ bulkMaxSpans: true, traceLookaroundMs: true, serviceCacheSize: true })
  .extend({ bulkMaxDocs: elasticsearchSpanStoreSettings.shape.bulkMaxSpans });

export type ElasticsearchAccessLogStoreSettings = z.infer<typeof elasticsearchAccessLogStoreSettings>;

export interface ElasticsearchAccessLogStoreOptions extends Partial<ElasticsearchAccessLogStoreSettings> {
  /** Use this client instead of creating one from `node`; the store then does not close it. */
  readonly client?: Client;
  readonly metrics?: MeshtelMetrics;
  readonly logger?: Logger;
}

export function elasticsearchAccessLogOptionsFromConfig(config: MeshtelConfig): Partial<ElasticsearchAccessLogStoreSettings> {
  const { bulkMaxSpans, ...shared } = elasticsearchOptionsFromConfig(config);
  return { ...shared, bulkMaxDocs: bulkMaxSpans };
}
