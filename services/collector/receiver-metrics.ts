/**
 * meshtel's own metrics of one component. The collector's receivers: what they received, accepted and refused, per transport.
 * Registered on the role's registry; asking twice for the same registry returns the same metrics.
 */
import type { Registry } from 'prom-client';
import { counter, gauge, histogram } from '../../shared/telemetry/metrics.js';
import type { SpanRejectionReason } from '../../shared/otlp/traces/limits.js';

/** Label value `transport` of every receiver metric. */
export type Transport = 'otlp_http' | 'otlp_grpc' | 'zipkin' | 'als' | 'accesslog_lines';

/** Why spans were not accepted; a label value of meshtel_receiver_spans_refused_total. */
export type RefusalReason =
  | SpanRejectionReason
  | 'too_many_spans'
  | 'decode_error'
  | 'body_too_large'
  | 'unsupported_media_type'
  | 'buffer_full'
  | 'buffer_unavailable'
  | 'receiver_busy'
  | 'body_timeout'
  | 'clock_skew';

export function createReceiverMetrics(registry: Registry) {
  return {
    spansReceived: counter(registry, {
      name: 'meshtel_receiver_spans_received_total',
      help: 'Spans decoded from requests, before validation.',
      labelNames: ['transport'] as const,
    }),
    spansAccepted: counter(registry, {
      name: 'meshtel_receiver_spans_accepted_total',
      help: 'Spans acknowledged to the sender (durably taken by the buffer).',
      labelNames: ['transport'] as const,
    }),
    spansRefused: counter(registry, {
      name: 'meshtel_receiver_spans_refused_total',
      help: 'Spans not accepted, by reason (whole requests count their spans when known).',
      labelNames: ['transport', 'reason'] as const,
    }),
    requestsRefused: counter(registry, {
      name: 'meshtel_receiver_requests_refused_total',
      help: 'Requests answered with an error status, by reason.',
      labelNames: ['transport', 'reason'] as const,
    }),
    attributesDropped: counter(registry, {
      name: 'meshtel_receiver_attributes_dropped_total',
      help: 'Attributes dropped because a span, event, link or resource exceeded the attribute count limit.',
      labelNames: ['transport'] as const,
    }),
    attributeValuesTruncated: counter(registry, {
      name: 'meshtel_receiver_attribute_values_truncated_total',
      help: 'Attribute string/bytes values cut to the attribute value length limit.',
      labelNames: ['transport'] as const,
    }),
    requestDuration: histogram(registry, {
      name: 'meshtel_receiver_request_duration_seconds',
      help: 'Time from request received to answer, including the wait for the buffer.',
      labelNames: ['transport'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
    accessLogsReceived: counter(registry, {
      name: 'meshtel_receiver_accesslogs_received_total',
      help: 'Access-log entries (and plain log records) decoded from requests and streams, before validation.',
      labelNames: ['transport'] as const,
    }),
    accessLogsAccepted: counter(registry, {
      name: 'meshtel_receiver_accesslogs_accepted_total',
      help: 'Access-log entries and plain log records durably taken by the buffer.',
      labelNames: ['transport', 'kind'] as const,
    }),
    accessLogsRefused: counter(registry, {
      name: 'meshtel_receiver_accesslogs_refused_total',
      help: 'Access-log entries not accepted, by reason (malformed line, bad field, buffer full …).',
      labelNames: ['transport', 'reason'] as const,
    }),
    alsStreamsActive: gauge(registry, {
      name: 'meshtel_receiver_als_streams_active',
      help: 'Envoy Access Log Service streams currently open (Envoy keeps one per worker thread and logger).',
    }),
    alsStreams: counter(registry, {
      name: 'meshtel_receiver_als_streams_total',
      help: 'Envoy Access Log Service streams opened, by whether their first message carried the identifier (present | missing); entries of a stream without it have an unknown proxy.',
      labelNames: ['identifier'] as const,
    }),
  };
}

export type ReceiverMetrics = ReturnType<typeof createReceiverMetrics>;
