/**
 * The transport-independent half of the OTLP metrics receivers (the counterpart of TraceIntake):
 * validate decoded points (bad ones rejected one by one), buffer the rest on the `metrics` topic,
 * and say what was rejected. Records are keyed by resource identity (service.namespace/
 * service.name and service.instance.id) so every point of a series lands on one partition, in
 * order — which the ingester's delta-to-cumulative accumulation needs.
 */
import { TENANT_ATTRIBUTE, tenantOfResource, withTenantAttribute } from '../../../shared/model/tenant.js';
import type { BufferRecord, TelemetryBuffer } from '../../../shared/buffer/buffer.js';
import { resourceIdentity } from '../../../shared/metrics/otlp-import/import.js';
import type { OtlpMetricsRequest, OtlpResourceMetrics } from '../../../shared/otlp/metrics/model.js';
import { encodeMetricsProtobuf } from '../../../shared/otlp/metrics/protobuf-encode.js';
import type { MetricsPartialSuccess } from '../../../shared/otlp/metrics/response.js';
import { validateMetrics, type MetricsLimits } from '../../../shared/otlp/metrics/validate.js';
import type { Logger } from '../../../shared/telemetry/logger.js';

export type MetricsTransport = 'otlp_http' | 'otlp_grpc';

export interface MetricsIntakeOptions {
  readonly buffer: TelemetryBuffer;
  readonly limits: MetricsLimits;
  /** Only `debug` is used. */
  readonly logger: Pick<Logger, 'debug'>;
}

export class MetricsIntake {
  constructor(private readonly options: MetricsIntakeOptions) {}

  /**
   * Resolves once every valid point is durably in the buffer (DESIGN principle 2). Rejects with
   * TooManyDataPointsError (nothing buffered) or the buffer's BufferFullError /
   * BufferUnavailableError (retryable; some resources' records may have been taken — the
   * importer skips a delta point it has already counted, and cumulative points are idempotent).
   */
  async accept(request: OtlpMetricsRequest, transport: MetricsTransport, tenant?: string): Promise<MetricsPartialSuccess> {
    const result = validateMetrics(request, this.options.limits);
    const records = recordsPerResource(withTenant(result.accepted, tenant));
    if (records.length > 0) await this.options.buffer.publish(records);
    if (result.rejected > 0) {
      this.options.logger.debug({ transport, rejectedDataPoints: result.rejected, reason: result.errorMessage }, 'data points rejected individually');
    }
    return { rejectedDataPoints: result.rejected, errorMessage: result.errorMessage };
  }
}

/** The buffer key of a resource: job and instance as the importer derives them. */
export function metricsKey(rm: OtlpResourceMetrics): string {
  const { job = '', instance = '' } = resourceIdentity(rm.resource.attributes);
  return `${job}|${instance}`;
}

/**
 * One ExportMetricsServiceRequest per resource identity, in order of first appearance. Packable:
 * a Kafka buffer may send the resources of one partition as one record, in this order.
 */
export function recordsPerResource(request: OtlpMetricsRequest): BufferRecord[] {
  const groups = new Map<string, OtlpResourceMetrics[]>();
  for (const rm of request.resourceMetrics) {
    const key = metricsKey(rm);
    const group = groups.get(key);
    if (group) group.push(rm);
    else groups.set(key, [rm]);
  }
  const out: BufferRecord[] = [];
  for (const [key, resourceMetrics] of groups) out.push({ topic: 'metrics', key, value: encodeMetricsProtobuf({ resourceMetrics }), packable: true });
  return out;
}

/** Every resource stamped with the tenant it was received for (none: any tenant attribute removed). */
function withTenant(request: OtlpMetricsRequest, tenant: string | undefined): OtlpMetricsRequest {
  const stale = (rm: OtlpResourceMetrics) =>
    tenantOfResource(rm.resource) !== tenant || (tenant === undefined && rm.resource.attributes.some((kv) => kv.key === TENANT_ATTRIBUTE));
  if (!request.resourceMetrics.some(stale)) return request;
  return {
    ...request,
    resourceMetrics: request.resourceMetrics.map((rm) =>
      stale(rm) ? { ...rm, resource: { ...rm.resource, attributes: withTenantAttribute(rm.resource.attributes, tenant) } } : rm,
    ),
  };
}
