/**
 * The setup both Elasticsearch store behaviour-test files share: the hooks that bring the server
 * up and clean each test's stores and prefixes away, a store factory and a document count. Apart
 * from spanstore-elasticsearch-support.ts because it imports vitest, which that one must not.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { Client } from '@elastic/elasticsearch';
import type { ElasticsearchMetrics } from '../../shared/storage/elasticsearch/elasticsearch-metrics.js';
import type { StoreMetrics } from '../../shared/storage/store-metrics.js';
import { createMetrics, type MeshtelMetrics } from '../support/metrics.js';
import { ES_URL, ensureServers } from '../support/servers.js';
import { uniquePrefix } from './spanstore-elasticsearch-support.js';

/** The options every Elasticsearch store takes that the behaviour tests set. */
interface StoreTestOptions {
  readonly node?: string;
  readonly indexPrefix?: string;
  readonly flushIntervalMs?: number;
  readonly metrics?: StoreMetrics & ElasticsearchMetrics;
}

export interface ElasticsearchStoreTestSetup<S, O> {
  /** A client of the test's own, for inspecting and tampering with indices behind the store's back. */
  readonly admin: Client;
  /**
   * A store on a fresh prefix (or `options.indexPrefix`), flushing at once and counting into its
   * own metrics; stopped, and its prefix dropped, after the test.
   */
  newStore(options?: O): { store: S; prefix: string; metrics: MeshtelMetrics };
  /** Documents in `index` once everything written to it is searchable. */
  countDocs(index: string): Promise<number>;
}

/**
 * Registers a behaviour-test file's hooks (server up before all, stores stopped and prefixes
 * dropped after each test, admin client closed after all) and returns what its tests use.
 * Call it at the top level of the test file.
 */
export function setUpElasticsearchStoreTests<S extends { stop(): Promise<void> }, O extends StoreTestOptions>(setup: {
  /** Goes into each generated prefix, telling the test files' indices apart. */
  readonly label: string;
  readonly create: (options: O) => S;
  /** Deletes a prefix's indices and the store's templates. */
  readonly dropPrefix: (client: Client, prefix: string) => Promise<void>;
}): ElasticsearchStoreTestSetup<S, O> {
  // Created here rather than in beforeAll so the tests can destructure it at the top level:
  // constructing a Client opens no connection; the first request comes after ensureServers.
  const admin = new Client({ node: ES_URL });
  const prefixes: string[] = [];
  const stores: S[] = [];

  beforeAll(async () => {
    await ensureServers(['elasticsearch']);
  });

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.stop().catch(() => undefined);
    for (const prefix of prefixes.splice(0)) await setup.dropPrefix(admin, prefix);
  });

  afterAll(async () => {
    await admin.close();
  });

  return {
    admin,
    newStore(options = {} as O) {
      const prefix = options.indexPrefix ?? uniquePrefix(setup.label);
      if (!prefixes.includes(prefix)) prefixes.push(prefix);
      const metrics = createMetrics();
      const store = setup.create({ node: ES_URL, indexPrefix: prefix, flushIntervalMs: 0, metrics, ...options });
      stores.push(store);
      return { store, prefix, metrics };
    },
    async countDocs(index) {
      await admin.indices.refresh({ index, ignore_unavailable: true });
      return (await admin.count({ index, ignore_unavailable: true })).count;
    },
  };
}
