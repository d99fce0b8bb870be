/** Cleanup for the Elasticsearch access-log store tests: a prefix's indices and its access-log template. */
import type { Client } from '@elastic/elasticsearch';
import { deleteIndexTemplateIfPresent, dropIndexPrefix } from './spanstore-elasticsearch-support.js';

export async function dropAccessLogPrefix(client: Client, prefix: string): Promise<void> {
  await dropIndexPrefix(client, prefix);
  await deleteIndexTemplateIfPresent(client, `${prefix}-accesslogs`);
}
