/**
 * The graph contract on a real Elasticsearch: span and access-log stores sharing one index prefix
 * per test (graph.* fields indexed at write time with the test's naming), the graph read with
 * aggregations. Indices and templates are dropped as the tests go.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { Client } from '@elastic/elasticsearch';
import { ElasticsearchAccessLogStore } from '../../shared/storage/elasticsearch/accesslog-store.js';
import { ElasticsearchGraphReader } from '../../shared/storage/elasticsearch/graph-reader.js';
import { ElasticsearchSpanStore } from '../../shared/storage/elasticsearch/store.js';
import { ES_URL, ensureServers } from '../support/servers.js';
import { dropAccessLogPrefix } from './accesslogstore-elasticsearch-support.js';
import { describeGraphContract } from '../support/graph-contract.js';
import { deleteIndexTemplateIfPresent, uniquePrefix } from './spanstore-elasticsearch-support.js';

const prefixes: string[] = [];
let admin: Client;

async function drop(prefix: string): Promise<void> {
  await dropAccessLogPrefix(admin, prefix);
  await deleteIndexTemplateIfPresent(admin, `${prefix}-spans`);
  await deleteIndexTemplateIfPresent(admin, `${prefix}-services`);
}

beforeAll(async () => {
  await ensureServers(['elasticsearch']);
  admin = new Client({ node: ES_URL });
});

afterAll(async () => {
  for (const prefix of prefixes) await drop(prefix);
  await admin?.close();
});

describeGraphContract('elasticsearch', async (meshServiceNaming) => {
  for (const prefix of prefixes.splice(0)) await drop(prefix);
  const prefix = uniquePrefix('graph');
  prefixes.push(prefix);
  const settings = { node: ES_URL, indexPrefix: prefix, flushIntervalMs: 0, meshServiceNaming };
  const spans = new ElasticsearchSpanStore(settings);
  const accessLogs = new ElasticsearchAccessLogStore(settings);
  await spans.start();
  await accessLogs.start();
  return {
    async writeSpans(s) {
      expect(await spans.writeSpans(s)).toEqual([]);
      await spans.refresh();
    },
    async writeAccessLogs(r) {
      expect(await accessLogs.writeAccessLogs(r)).toEqual([]);
      await accessLogs.refresh();
    },
    reader: new ElasticsearchGraphReader({ client: accessLogs.client, indexPrefix: prefix }),
    async stop() {
      await spans.stop();
      await accessLogs.stop();
    },
  };
});
