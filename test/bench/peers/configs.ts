/**
 * Configurations of the peers for each row of the `peers` benchmark. Both peers are built on the
 * OpenTelemetry Collector framework and read YAML; JSON is YAML, so each config is written as a
 * plain object and serialized with JSON.stringify.
 *
 * What each is configured to guarantee, the same as meshtel's where the row compares a guarantee:
 * - edge rows (all-in-one): the OTLP receiver answers once the spans are queued in memory (the
 *   batch processor hands them on later), as meshtel's in-process buffer does;
 * - Kafka rows: no batch processor and no sending queue, so the receiver answers only after the
 *   Kafka exporter's produce was acknowledged by every in-sync replica (required_acks -1), records
 *   keyed by trace id (partition_traces_by_id: one record per resource, scope and trace, where
 *   meshtel writes one per trace), OTLP protobuf — what meshtel's collector does before it answers.
 */

export interface Listen {
  /** host:port of the OTLP/gRPC receiver. */
  readonly grpc: string;
  /** host:port of the OTLP/HTTP receiver. */
  readonly http: string;
}

export interface KafkaTarget {
  readonly brokers: readonly string[];
  readonly topic: string;
}

/** Jaeger's in-memory store keeps this many traces (the limit of Jaeger's own all-in-one config). */
export const JAEGER_MEMORY_MAX_TRACES = 100_000;

type Yaml = Record<string, unknown>;

function otlpReceiver(listen: Listen): Yaml {
  return { otlp: { protocols: { grpc: { endpoint: listen.grpc }, http: { endpoint: listen.http } } } };
}

/** No internal metrics endpoint (it would take port 8888 for every peer) and quiet logs. */
const telemetry: Yaml = { metrics: { level: 'none' }, logs: { level: 'warn' } };

function kafkaExporter(kafka: KafkaTarget): Yaml {
  return {
    kafka: {
      brokers: kafka.brokers,
      client_id: 'meshtel-bench-peers',
      traces: { topic: kafka.topic, encoding: 'otlp_proto' },
      partition_traces_by_id: true,
      producer: { required_acks: -1, compression: 'none' },
      // The export call returns only when Kafka acknowledged: no queue in front of the producer.
      sending_queue: { enabled: false },
    },
  };
}

/** Jaeger v2 all-in-one minus the query side: otlp → batch → jaeger_storage_exporter → memory. */
export function jaegerAllInOne(listen: Listen): Yaml {
  return {
    extensions: { jaeger_storage: { backends: { memstore: { memory: { max_traces: JAEGER_MEMORY_MAX_TRACES } } } } },
    receivers: otlpReceiver(listen),
    processors: { batch: {} },
    exporters: { jaeger_storage_exporter: { trace_storage: 'memstore' } },
    service: {
      extensions: ['jaeger_storage'],
      telemetry,
      pipelines: { traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['jaeger_storage_exporter'] } },
    },
  };
}

/** Jaeger v2 as a collector in front of Kafka: otlp → kafka, synchronous. */
export function jaegerKafka(listen: Listen, kafka: KafkaTarget): Yaml {
  return {
    receivers: otlpReceiver(listen),
    exporters: kafkaExporter(kafka),
    service: { telemetry, pipelines: { traces: { receivers: ['otlp'], exporters: ['kafka'] } } },
  };
}

/** The Collector's cheapest useful pipeline: otlp → batch → nop (decoded, batched, dropped). */
export function otelcolEdge(listen: Listen): Yaml {
  return {
    receivers: otlpReceiver(listen),
    processors: { batch: {} },
    exporters: { nop: {} },
    service: { telemetry, pipelines: { traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['nop'] } } },
  };
}

/** The Collector in front of Kafka: otlp → kafka, synchronous. */
export function otelcolKafka(listen: Listen, kafka: KafkaTarget): Yaml {
  return {
    receivers: otlpReceiver(listen),
    exporters: kafkaExporter(kafka),
    service: { telemetry, pipelines: { traces: { receivers: ['otlp'], exporters: ['kafka'] } } },
  };
}
