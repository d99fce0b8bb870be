import { describe, expect, it } from 'vitest';
import { jaegerAllInOne, jaegerKafka, otelcolEdge, otelcolKafka, type KafkaTarget, type Listen } from '../bench/peers/configs.js';
import { median, versusBestPeer, type PeerMedians } from '../bench/peers/peers.js';

const listen: Listen = { grpc: '127.0.0.1:41001', http: '127.0.0.1:41002' };
const kafka: KafkaTarget = { brokers: ['127.0.0.1:9092'], topic: 'meshtel-peers-test.spans' };

interface PeerConfig {
  receivers: { otlp: { protocols: { grpc: { endpoint: string }; http: { endpoint: string } } } };
  processors?: Record<string, unknown>;
  exporters: Record<string, Record<string, unknown>>;
  service: { telemetry: { metrics: { level: string } }; pipelines: { traces: { receivers: string[]; processors?: string[]; exporters: string[] } } };
}

const as = (config: Record<string, unknown>) => config as unknown as PeerConfig;

describe('peers benchmark configurations', () => {
  it.each([
    ['Jaeger', jaegerKafka(listen, kafka)],
    ['otelcol', otelcolKafka(listen, kafka)],
  ])('%s in front of Kafka answers only after every record was acknowledged by all in-sync replicas', (_peer, raw) => {
    const config = as(raw);
    // A batch processor or a sending queue would answer the sender before the produce.
    expect(config.service.pipelines.traces.processors ?? []).toEqual([]);
    expect(config.exporters.kafka).toMatchObject({
      brokers: kafka.brokers,
      traces: { topic: kafka.topic, encoding: 'otlp_proto' },
      partition_traces_by_id: true,
      producer: { required_acks: -1 },
      sending_queue: { enabled: false },
    });
  });

  it.each([
    ['Jaeger all-in-one', jaegerAllInOne(listen), 'jaeger_storage_exporter'],
    ['otelcol edge', otelcolEdge(listen), 'nop'],
  ])('%s queues through the batch processor, as meshtel all-in-one queues in its buffer', (_peer, raw, exporter) => {
    const config = as(raw);
    expect(config.service.pipelines.traces).toEqual({ receivers: ['otlp'], processors: ['batch'], exporters: [exporter] });
  });

  it.each([
    ['Jaeger all-in-one', jaegerAllInOne(listen)],
    ['Jaeger → Kafka', jaegerKafka(listen, kafka)],
    ['otelcol edge', otelcolEdge(listen)],
    ['otelcol → Kafka', otelcolKafka(listen, kafka)],
  ])('%s listens only on the given loopback ports and opens no internal metrics port', (_peer, raw) => {
    const config = as(raw);
    expect(config.receivers.otlp.protocols).toEqual({ grpc: { endpoint: listen.grpc }, http: { endpoint: listen.http } });
    expect(config.service.telemetry.metrics.level).toBe('none');
  });
});

describe('peers benchmark figures', () => {
  const target = (t: PeerMedians['target'], spansPerSec: number, cpu: number, rss: number, broker?: number): PeerMedians => ({
    row: 'kafka-http', target: t, label: t, spansPerSec, cpuSecondsPer100k: cpu, peakRssMb: rss, brokerCpuSecondsPer100k: broker, runs: [],
  });

  it('holds meshtel against the fastest peer for spans/s and the cheapest for CPU, memory and broker CPU', () => {
    const text = versusBestPeer(target('meshtel', 30_000, 1.5, 300, 0.3), [target('jaeger', 60_000, 0.75, 100, 0.2), target('otelcol', 40_000, 0.5, 150, 0.15)]);
    expect(text).toBe('spans/s 0.50×, CPU 3.00×, RSS 3.00×, broker 2.00×');
  });

  it('leaves out a ratio no peer has a figure for', () => {
    expect(versusBestPeer(target('meshtel', 30_000, 1.5, 300), [target('otelcol', 60_000, 0.5, 100)])).toBe('spans/s 0.50×, CPU 3.00×, RSS 3.00×');
    expect(versusBestPeer(target('meshtel', 30_000, 1.5, 300), [])).toBe('– (no peer ran)');
  });

  it('takes the middle run, or the mean of the middle two, ignoring runs without a figure', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([Number.NaN, 5])).toBe(5);
  });
});
