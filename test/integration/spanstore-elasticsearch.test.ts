/**
 * The shared span store contract, on a real Elasticsearch. Every test gets its own index prefix
 * (so it starts from an empty store) and an explicit refresh after each write, instead of
 * waiting up to a second for the refresh interval.
 */
import { afterAll, beforeAll } from 'vitest';
import { Client } from '@elastic/elasticsearch';
import { ElasticsearchSpanStore } from '../../shared/storage/elasticsearch/store.js';
import { ES_URL, ensureServers } from '../support/servers.js';
import { describeSpanStoreContract, type ContractStore } from '../support/spanstore-contract.js';
import { dropIndexPrefix, uniquePrefix } from './spanstore-elasticsearch-support.js';

const prefixes: string[] = [];
let admin: Client;

beforeAll(async () => {
  await ensureServers(['elasticsearch']);
  admin = new Client({ node: ES_URL });
});

afterAll(async () => {
  for (const prefix of prefixes) await dropIndexPrefix(admin, prefix);
  await admin?.close();
});

describeSpanStoreContract('elasticsearch', async () => {
  // The previous test's indices are no longer needed; dropping them as we go keeps the
  // single-node cluster's shard count low.
  for (const prefix of prefixes.splice(0)) await dropIndexPrefix(admin, prefix);
  const prefix = uniquePrefix('contract');
  prefixes.push(prefix);
  const store = new ElasticsearchSpanStore({ node: ES_URL, indexPrefix: prefix, flushIntervalMs: 0 });
  return Object.assign(store, { flushForTests: () => store.refresh() }) satisfies ContractStore;
});
