/**
 * The Elasticsearch client a store creates when the wiring does not hand it one. Both stores
 * build it the same way from the same MESHTEL_ES_* settings, so it is made here once.
 */
import { Client } from '@elastic/elasticsearch';
import type { ElasticsearchSpanStoreSettings } from './options.js';

/** What building a client needs; the access-log settings carry the same fields. */
export type ElasticsearchConnectionSettings = Pick<ElasticsearchSpanStoreSettings, 'node' | 'username' | 'password' | 'requestTimeoutMs'>;

export function createElasticsearchClient(s: ElasticsearchConnectionSettings): Client {
  return new Client({
    node: s.node,
    // No username configured (the default) means a cluster without security: send no credentials.
    auth: s.username ? { username: s.username, password: s.password } : undefined,
    requestTimeout: s.requestTimeoutMs,
  });
}
