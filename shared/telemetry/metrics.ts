/**
 * meshtel's own metrics (prom-client). One registry per running role, so several roles in one
 * process (tests, all-in-one) never collide. Components receive the `MeshtelMetrics` they need
 * from the wiring code instead of touching a global registry.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type Transport = 'otlp_http' | 'otlp_grpc' | 'zipkin' | 'als' | 'accesslog_lines';

/** Why spans were not accepted; a label value of meshtel_spans_refused_total. */
export type RefusalReason =
  | 'invalid_trace_id'
  | 'invalid_span_id'
  | 'invalid_parent_span_id'
  | 'too_many_spans'
  | 'decode_error'
  | 'body_too_large'
  | 'unsupported_media_type'
  | 'buffer_full'
  | 'buffer_unavailable'
  | 'receiver_busy'
  | 'body_timeout'
  | 'clock_skew';

export function createMetrics(registry: Registry = new Registry()) {
  collectDefaultMetrics({ register: registry, prefix: 'meshtel_' });
  const registers = [registry];
  return {
    registry,
    spansReceived: new Counter({
      name: 'meshtel_receiver_spans_received_total',
      help: 'Spans decoded from requests, before validation.',
      labelNames: ['transport'] as const,
      registers,
    }),
    spansAccepted: new Counter({
      name: 'meshtel_receiver_spans_accepted_total',
      help: 'Spans acknowledged to the sender (durably taken by the buffer).',
      labelNames: ['transport'] as const,
      registers,
    }),
    spansRefused: new Counter({
      name: 'meshtel_receiver_spans_refused_total',
      help: 'Spans not accepted, by reason (whole requests count their spans when known).',
      labelNames: ['transport', 'reason'] as const,
      registers,
    }),
    requestsRefused: new Counter({
      name: 'meshtel_receiver_requests_refused_total',
      help: 'Requests answered with an error status, by reason.',
      labelNames: ['transport', 'reason'] as const,
      registers,
    }),
    attributesDropped: new Counter({
      name: 'meshtel_receiver_attributes_dropped_total',
      help: 'Attributes dropped because a span, event, link or resource exceeded the attribute count limit.',
      labelNames: ['transport'] as const,
      registers,
    }),
    attributeValuesTruncated: new Counter({
      name: 'meshtel_receiver_attribute_values_truncated_total',
      help: 'Attribute string/bytes values cut to the attribute value length limit.',
      labelNames: ['transport'] as const,
      registers,
    }),
    requestDuration: new Histogram({
      name: 'meshtel_receiver_request_duration_seconds',
      help: 'Time from request received to answer, including the wait for the buffer.',
      labelNames: ['transport'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    accessLogsReceived: new Counter({
      name: 'meshtel_receiver_accesslogs_received_total',
      help: 'Access-log entries (and plain log records) decoded from requests and streams, before validation.',
      labelNames: ['transport'] as const,
      registers,
    }),
    accessLogsAccepted: new Counter({
      name: 'meshtel_receiver_accesslogs_accepted_total',
      help: 'Access-log entries and plain log records durably taken by the buffer.',
      labelNames: ['transport', 'kind'] as const,
      registers,
    }),
    accessLogsRefused: new Counter({
      name: 'meshtel_receiver_accesslogs_refused_total',
      help: 'Access-log entries not accepted, by reason (malformed line, bad field, buffer full …).',
      labelNames: ['transport', 'reason'] as const,
      registers,
    }),
    alsStreamsActive: new Gauge({
      name: 'meshtel_receiver_als_streams_active',
      help: 'Envoy Access Log Service streams currently open (Envoy keeps one per worker thread and logger).',
      registers,
    }),
    alsStreams: new Counter({
      name: 'meshtel_receiver_als_streams_total',
      help: 'Envoy Access Log Service streams opened, by whether their first message carried the identifier (present | missing); entries of a stream without it have an unknown proxy.',
      labelNames: ['identifier'] as const,
      registers,
    }),
    bufferBytes: new Gauge({
      name: 'meshtel_buffer_bytes',
      help: 'Bytes held by the buffer and not yet consumed.',
      registers,
    }),
    bufferCapacityBytes: new Gauge({
      name: 'meshtel_buffer_capacity_bytes',
      help: 'Configured buffer capacity.',
      registers,
    }),
    bufferRecordsPublished: new Counter({
      name: 'meshtel_buffer_records_published_total',
      help: 'Records durably taken by the buffer.',
      labelNames: ['topic'] as const,
      registers,
    }),
    bufferRecordsConsumed: new Counter({
      name: 'meshtel_buffer_records_consumed_total',
      help: 'Records handed to a consumer whose handler succeeded.',
      labelNames: ['topic'] as const,
      registers,
    }),
    bufferHandlerFailures: new Counter({
      name: 'meshtel_buffer_handler_failures_total',
      help: 'Batches whose consumer handler rejected; their records are delivered again.',
      labelNames: ['topic'] as const,
      registers,
    }),
    kafkaProduceDuration: new Histogram({
      name: 'meshtel_kafka_produce_duration_seconds',
      help: 'Time for one Kafka produce (one sendBatch holding one or more publish calls) to be acknowledged by all in-sync replicas.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    kafkaProduceErrors: new Counter({
      name: 'meshtel_kafka_produce_errors_total',
      help: 'Publish calls refused by the Kafka buffer, by reason: timeout (bounded wait expired), send_failed (the producer gave up), full (in-flight bytes at capacity), stopped.',
      labelNames: ['reason'] as const,
      registers,
    }),
    kafkaConsumerLag: new Gauge({
      name: 'meshtel_kafka_consumer_lag',
      help: 'Records in a partition not yet committed by the consumer group (high watermark minus committed offset).',
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
    recordsDeadLettered: new Counter({
      name: 'meshtel_ingester_records_dead_lettered_total',
      help: 'Buffer records sent to the dead-letter topic, by the stage that could not process them (decode, store).',
      labelNames: ['stage'] as const,
      registers,
    }),
    storeSpans: new Gauge({
      name: 'meshtel_store_spans',
      help: 'Spans currently held by the span store (memory store only).',
      registers,
    }),
    storeBytes: new Gauge({
      name: 'meshtel_store_bytes',
      help: 'Estimated bytes held by the span store (memory store only).',
      registers,
    }),
    storeTracesEvicted: new Counter({
      name: 'meshtel_store_traces_evicted_total',
      help: 'Traces evicted (oldest first) to stay within the memory store limits.',
      registers,
    }),
    storeSpansEvicted: new Counter({
      name: 'meshtel_store_spans_evicted_total',
      help: 'Spans evicted with their traces to stay within the memory store limits.',
      registers,
    }),
    esBulkDuration: new Histogram({
      name: 'meshtel_es_bulk_duration_seconds',
      help: 'Elasticsearch bulk request latency, one observation per HTTP request (retries observed separately).',
      labelNames: ['signal'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    esBulkItems: new Counter({
      name: 'meshtel_es_bulk_items_total',
      help: 'Bulk items by outcome: stored, retried (transient failure, sent again) or rejected (permanent, dead-lettered).',
      labelNames: ['signal', 'result'] as const,
      registers,
    }),
    esBulkFailures: new Counter({
      name: 'meshtel_es_bulk_failures_total',
      help: 'Whole bulk requests that failed (connection, timeout, HTTP error), by reason; retried until the attempts run out.',
      labelNames: ['signal', 'reason'] as const,
      registers,
    }),
    spansWritten: new Counter({
      name: 'meshtel_store_spans_written_total',
      help: 'Spans written to the span store.',
      labelNames: ['store'] as const,
      registers,
    }),
    accessLogsWritten: new Counter({
      name: 'meshtel_store_accesslogs_written_total',
      help: 'Access-log records (and plain log records) written to the access-log store.',
      labelNames: ['store'] as const,
      registers,
    }),
    storeAccessLogs: new Gauge({
      name: 'meshtel_store_accesslogs',
      help: 'Access-log records currently held by the access-log store (memory store only).',
      registers,
    }),
    storeAccessLogsEvicted: new Counter({
      name: 'meshtel_store_accesslogs_evicted_total',
      help: 'Access-log records evicted (oldest written first) to stay within the memory store limits.',
      registers,
    }),
    remoteWriteQueueSamples: new Gauge({
      name: 'meshtel_remote_write_queue_samples',
      help: 'Derived-metric samples queued for remote-write, including the batch being sent.',
      registers,
    }),
    remoteWriteSamplesSent: new Counter({
      name: 'meshtel_remote_write_samples_sent_total',
      help: 'Samples the remote-write receiver acknowledged (2xx).',
      registers,
    }),
    remoteWriteSamplesDropped: new Counter({
      name: 'meshtel_remote_write_samples_dropped_total',
      help: 'Samples never delivered, by reason: queue_full (oldest dropped), rejected (non-retryable 4xx), invalid (bad name or labels), out_of_order (older than a sample already sent), shutdown (still queued when stop timed out).',
      labelNames: ['reason'] as const,
      registers,
    }),
    remoteWriteSendDuration: new Histogram({
      name: 'meshtel_remote_write_send_duration_seconds',
      help: 'Duration of one remote-write HTTP request (each retry observed separately).',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    remoteWriteFailures: new Counter({
      name: 'meshtel_remote_write_failures_total',
      help: 'Remote-write requests that failed, by HTTP status (or network / timeout); 5xx, 429 and transport failures are retried.',
      labelNames: ['status'] as const,
      registers,
    }),
    derivedSeriesOverflow: new Counter({
      name: 'meshtel_derived_series_overflow_total',
      help: 'New label sets of a derived metric folded into its overflow series because the metric was at its series limit.',
      labelNames: ['metric'] as const,
      registers,
    }),
  };
}

export type MeshtelMetrics = ReturnType<typeof createMetrics>;
