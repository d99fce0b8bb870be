/**
 * The distributed pipeline for end-to-end tests: `meshtel collector`, `ingester` and `query` as
 * separate processes on the real Kafka and Elasticsearch of deploy/local, isolated from other runs
 * by a unique topic prefix, consumer group and index prefix.
 */
import { randomBytes } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { Kafka, logLevel } from 'kafkajs';
import { dropIndexPrefix } from '../integration/spanstore-elasticsearch-support.js';
import { ES_URL, KAFKA_BROKERS } from './servers.js';
import { startMeshtel, type MeshtelProcess } from './meshtel-process.js';

export interface Pipeline {
  readonly id: string;
  readonly args: readonly string[];
  collector: MeshtelProcess;
  ingester: MeshtelProcess;
  query: MeshtelProcess;
  /** Starts another ingester in the same consumer group (e.g. after killing one). */
  startIngester(): Promise<MeshtelProcess>;
  stop(): Promise<void>;
}

export async function startPipeline(extraArgs: Record<string, readonly string[]> = {}): Promise<Pipeline> {
  const id = `e2e-${randomBytes(4).toString('hex')}`;
  const common = ['--kafka-brokers', KAFKA_BROKERS, '--kafka-topic-prefix', `meshtel-${id}`, '--kafka-partitions', '3'];
  const es = ['--es-url', ES_URL, '--es-index-prefix', `meshtel-${id}`];
  const startIngester = () =>
    startMeshtel('ingester', [...common, ...es, '--kafka-consumer-group', `meshtel-${id}`, ...(extraArgs.ingester ?? [])]);
  // The ingester first: it installs the index templates and creates the topics.
  const ingester = await startIngester();
  const [collector, query] = await Promise.all([
    startMeshtel('collector', [...common, ...(extraArgs.collector ?? [])]),
    startMeshtel('query', [...es, ...(extraArgs.query ?? [])]),
  ]);
  const pipeline: Pipeline = {
    id,
    args: [...common, ...es],
    collector,
    ingester,
    query,
    startIngester,
    async stop() {
      await Promise.all([pipeline.collector.stop(), pipeline.query.stop()]);
      await pipeline.ingester.stop();
      await dropPipelineData(id);
    },
  };
  return pipeline;
}

/** Refreshes and counts the span documents of a pipeline's index prefix, by trace. */
export async function spanDocsByTrace(indexPrefix: string): Promise<Map<string, number>> {
  await fetch(`${ES_URL}/${indexPrefix}-spans-*/_refresh?ignore_unavailable=true&allow_no_indices=true`, { method: 'POST' });
  const res = await fetch(`${ES_URL}/${indexPrefix}-spans-*/_search?ignore_unavailable=true&allow_no_indices=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ size: 0, track_total_hits: true, aggs: { traces: { terms: { field: 'traceId', size: 65_000 } } } }),
  });
  const body = (await res.json()) as { aggregations?: { traces: { buckets: Array<{ key: string; doc_count: number }> } } };
  return new Map((body.aggregations?.traces.buckets ?? []).map((b) => [b.key, b.doc_count]));
}

/**
 * Deletes a finished pipeline's topics, indices and templates: left behind, every test run would
 * add partitions that slow each later Kafka restart.
 */
export async function dropPipelineData(id: string): Promise<void> {
  const admin = new Kafka({ clientId: 'e2e-cleanup', brokers: [KAFKA_BROKERS], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const ours = (await admin.listTopics()).filter((t) => t.startsWith(`meshtel-${id}.`));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours });
  } finally {
    await admin.disconnect();
  }
  const es = new Client({ node: ES_URL });
  try {
    await dropIndexPrefix(es, `meshtel-${id}`);
  } finally {
    await es.close();
  }
}
