/**
 * The Elasticsearch client a store creates when the wiring does not hand it one. Both stores
 * build it the same way from the same MESHTEL_ES_* settings, so it is made here once.
 */
import { Client, type ClientOptions } from '@elastic/elasticsearch';
import { readFileSync } from 'node:fs';
import type { ElasticsearchSpanStoreSettings } from './options.js';

/** What building a client needs; the access-log settings carry the same fields. */
export type ElasticsearchConnectionSettings = Pick<
  ElasticsearchSpanStoreSettings,
  'node' | 'username' | 'password' | 'requestTimeoutMs' | 'apiKey' | 'tlsCaFile'
>;

/** The client options for the settings: credentials (API key, else basic auth) and the CA to trust. */
export function elasticsearchClientOptions(s: ElasticsearchConnectionSettings): ClientOptions {
  return {
    node: s.node,
    // No API key and no username (the default) means a cluster without security: send no credentials.
    auth: s.apiKey ? { apiKey: s.apiKey } : s.username ? { username: s.username, password: s.password } : undefined,
    // Read at start; a rotated CA takes a restart (the client keeps its connection pool's TLS options).
    tls: s.tlsCaFile ? { ca: readFileSync(s.tlsCaFile) } : undefined,
    requestTimeout: s.requestTimeoutMs,
  };
}

export function createElasticsearchClient(s: ElasticsearchConnectionSettings): Client {
  return new Client(elasticsearchClientOptions(s));
}
