/**
 * `meshtel ingester --workers 2` in the distributed pipeline on deploy/local's Kafka and
 * Elasticsearch: both workers join the consumer group, every span the collector acknowledged is
 * stored, the primary's /metrics shows both workers, and SIGTERM lets each worker finish its
 * batch and the primary exit 0.
 */
import { AssignerProtocol, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeTracesProtobuf } from '../../shared/otlp/traces/traces.js';
import { span, traceIdOf } from '../fixtures/spans.js';
import { eventually } from '../support/meshtel-process.js';
import { spanDocsByTrace, startPipeline, type Pipeline } from '../support/pipeline.js';
import { ensureServers, KAFKA_BROKERS } from '../support/servers.js';
import { metricSum, scrapeMetrics } from '../bench/target-process.js';

let pipeline: Pipeline;

beforeAll(async () => {
  await ensureServers(['kafka', 'elasticsearch']);
  pipeline = await startPipeline({ ingester: ['--workers', '2'] });
}, 180_000);

afterAll(async () => {
  await pipeline?.stop();
}, 60_000);

describe('ingester with --workers 2', () => {
  it('joins the consumer group with both workers and stores every acknowledged span', async () => {
    const admin = new Kafka({ clientId: `${pipeline.id}-check`, brokers: [KAFKA_BROKERS], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      // Each process has one group member per topic it consumes: count those given span partitions.
      const spansTopic = `meshtel-${pipeline.id}.spans`;
      const spanConsumers = async () => {
        const [group] = (await admin.describeGroups([`meshtel-${pipeline.id}`])).groups;
        if (!group || group.state !== 'Stable') return undefined;
        return group.members.filter((m) => (AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[spansTopic]?.length ?? 0) > 0).length;
      };
      expect(await eventually(async () => ((await spanConsumers()) === 2 ? 2 : undefined), 60_000, 500)).toBe(2);
    } finally {
      await admin.disconnect();
    }

    const sent = new Map<string, number>();
    for (let batch = 0; batch < 6; batch++) {
      const spans = Array.from({ length: 5 }, (_, i) => {
        const traceId = traceIdOf(`${pipeline.id.slice(4)}${batch}${i}`.padEnd(12, '0'));
        sent.set(traceId, 1);
        return span({ traceId, service: 'ingester-workers-e2e', startUs: Date.now() * 1000 });
      });
      const res = await fetch(pipeline.collector.url('otlpHttp', '/v1/traces'), {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: encodeTracesProtobuf(spans),
      });
      expect(res.status).toBe(200);
    }
    const stored = await eventually(
      async () => {
        const docs = await spanDocsByTrace(`meshtel-${pipeline.id}`);
        return [...sent.keys()].every((t) => docs.get(t) === 1) ? docs : undefined;
      },
      60_000,
      500,
    );
    expect([...sent.keys()].filter((t) => stored.get(t) !== 1)).toEqual([]);

    const series = await scrapeMetrics(pipeline.ingester.url('admin', '/metrics'));
    const pids = [...series.keys()].filter((k) => k.startsWith('meshtel_cluster_worker_info{'));
    expect(pids).toHaveLength(2);
    expect(metricSum(series, 'meshtel_store_spans_written_total')).toBeGreaterThanOrEqual(sent.size);
  }, 150_000);

  it('on SIGTERM stops every worker cleanly and exits 0', async () => {
    expect(await pipeline.ingester.stop('SIGTERM')).toBe(0);
    expect(pipeline.ingester.logs.some((l) => l.msg === 'shutdown complete' && l.process === 'primary')).toBe(true);
  }, 90_000);
});
