/** Cleanup for the Elasticsearch access-log store tests: a prefix's indices and its access-log template. */
import { errors, type Client } from '@elastic/elasticsearch';
import { dropIndexPrefix } from './spanstore-elasticsearch-support.js';

export async function dropAccessLogPrefix(client: Client, prefix: string): Promise<void> {
  await dropIndexPrefix(client, prefix);
  try {
    await client.indices.deleteIndexTemplate({ name: `${prefix}-accesslogs` });
  } catch (err) {
    if (!(err instanceof errors.ResponseError && err.statusCode === 404)) throw err;
  }
}
