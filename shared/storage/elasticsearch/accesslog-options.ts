/**
 * Configuration of the Elasticsearch access-log store. Same cluster, credentials, prefix and bulk
 * settings as the span store (MESHTEL_ES_*): one schema, minus what only spans use, with the bulk
 * size named for documents.
 */
import type { z } from 'zod';
import { elasticsearchSpanStoreSettings, type ElasticsearchStoreDependencies } from './options.js';

export const elasticsearchAccessLogStoreSettings = elasticsearchSpanStoreSettings
  .omit({ bulkMaxSpans: true, traceLookaroundMs: true, serviceCacheSize: true })
  .extend({ bulkMaxDocs: elasticsearchSpanStoreSettings.shape.bulkMaxSpans });

export type ElasticsearchAccessLogStoreSettings = z.infer<typeof elasticsearchAccessLogStoreSettings>;

export interface ElasticsearchAccessLogStoreOptions extends Partial<ElasticsearchAccessLogStoreSettings>, ElasticsearchStoreDependencies {}
