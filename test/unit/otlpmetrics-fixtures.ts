/**
 * OTLP metrics requests produced by the real OpenTelemetry JS SDK (sdk-metrics, collected by a
 * manual reader) and serialized by otlp-transformer, as exporters send them; plus a hand-built
 * summary (the SDK has no summary instrument).
 */
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { OtlpMetricsRequest } from '../../shared/otlp/metrics/model.js';
import { encodeMetricsProtobuf } from '../../shared/otlp/metrics/protobuf-encode.js';

class ManualReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

export const RESOURCE = {
  'service.name': 'checkout',
  'service.namespace': 'shop',
  'service.instance.id': 'checkout-7d9f-abc',
  'k8s.pod.name': 'checkout-7d9f-abc',
  'deployment.environment': 'prod',
};

/** A meter on a provider whose reader collects with the given temporality. */
export function sdkMeter(temporality: 'cumulative' | 'delta' = 'cumulative', resource: Record<string, string> = RESOURCE) {
  const reader = new ManualReader({
    aggregationTemporalitySelector: () => (temporality === 'delta' ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE),
  });
  const provider = new MeterProvider({ resource: resourceFromAttributes(resource), readers: [reader] });
  const meter = provider.getMeter('shop.checkout', '1.2.0');
  return {
    meter,
    /**
     * One collection, as an exporter would serialize it. The SDK stamps collections with
     * Date.now() (whole milliseconds): two delta collections in one millisecond would carry the
     * same interval, which the importer takes for a redelivery. Real exporters are seconds apart;
     * here we wait out the millisecond.
     */
    async collect(): Promise<ResourceMetrics> {
      await new Promise((resolve) => setTimeout(resolve, 2));
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw errors[0];
      return resourceMetrics;
    },
  };
}

export function toProtobuf(rm: ResourceMetrics): Uint8Array {
  const bytes = ProtobufMetricsSerializer.serializeRequest(rm);
  if (!bytes) throw new Error('serializer returned nothing');
  return bytes;
}

export function toJson(rm: ResourceMetrics): string {
  const bytes = JsonMetricsSerializer.serializeRequest(rm);
  if (!bytes) throw new Error('serializer returned nothing');
  return new TextDecoder().decode(bytes);
}

/** A summary metric, hand-built (no SDK instrument produces one). */
export function summaryRequest(): OtlpMetricsRequest {
  return {
    resourceMetrics: [{
      resource: { attributes: [{ key: 'service.name', value: { type: 'string', value: 'legacy' } }], droppedAttributesCount: 0, schemaUrl: '' },
      scopeMetrics: [{
        scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
        metrics: [{
          name: 'rpc.latency', description: 'RPC latency', unit: 's',
          data: {
            kind: 'summary',
            points: [{
              attributes: [{ key: 'method', value: { type: 'string', value: 'Get' } }],
              startTimeUnixNano: 1_700_000_000_000_000_000n, timeUnixNano: 1_700_000_060_000_000_000n, flags: 0,
              count: 10, sum: 2.5, quantiles: [{ quantile: 0.5, value: 0.2 }, { quantile: 0.99, value: 0.9 }],
            }],
          },
        }],
      }],
    }],
  };
}

export function summaryBytes(): Uint8Array {
  return encodeMetricsProtobuf(summaryRequest());
}
