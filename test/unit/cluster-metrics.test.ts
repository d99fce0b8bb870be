import { AggregatorRegistry, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createKafkaMetrics } from '../../shared/buffer/kafka/kafka-metrics.js';
import { createReceiverMetrics } from '../../services/collector/receiver-metrics.js';
import { metricSum, type MetricSeries } from '../bench/target-process.js';

/** What one worker process's registry holds after some work. */
function workerRegistry(spansAccepted: number, lag: number): Registry {
  const registry = new Registry();
  createReceiverMetrics(registry).spansAccepted.inc({ transport: 'otlp_http' }, spansAccepted);
  createKafkaMetrics(registry).kafkaConsumerLag.set({ topic: 'meshtel.spans', partition: '0' }, lag);
  return registry;
}

function parse(text: string): MetricSeries {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    series.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return series;
}

describe("a cluster primary's /metrics over its workers' registries", () => {
  it('adds up what each worker counted, and counts the consumer group lag (which every member reads whole) once', async () => {
    const workers = [workerRegistry(30, 7), workerRegistry(12, 7)];
    const aggregate = AggregatorRegistry.aggregate(await Promise.all(workers.map((r) => r.getMetricsAsJSON())));
    const series = parse(await aggregate.metrics());
    expect(metricSum(series, 'meshtel_receiver_spans_accepted_total')).toBe(42);
    expect(series.get('meshtel_kafka_consumer_lag{topic="meshtel.spans",partition="0"}')).toBe(7);
  });
});
