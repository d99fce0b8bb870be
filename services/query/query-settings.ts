/**
 * The query service's settings: its port, the search limits (Jaeger's default of 100), the trace
 * view's clock-skew bound and the Prometheus the Monitor tab reads.
 */
import { z } from 'zod';
import { DEFAULT_MESH_SERVICE_NAMING, MESH_SERVICE_NAMINGS } from '../../shared/istio/service-naming.js';

const positiveInt = z.number().int().min(1);

export const querySettings = z.object({
  /** 0 picks a free port. */
  port: z.number().int().min(0).max(65535).default(16686),
  /** The Tempo API's own port, as Tempo (a Grafana Tempo data source takes http://host:3200); 0 picks a free port. */
  tempoPort: z.number().int().min(0).max(65535).default(3200),
  /** Traces returned when a request gives no limit. */
  defaultLimit: positiveInt.default(100),
  /** Most traces one search answers; larger limits are served as this maximum (as Jaeger). */
  maxLimit: positiveInt.default(1500),
  /** Largest clock-skew correction of a shown span; 0 (as Jaeger) only warns. */
  maxClockSkewAdjustMs: z.number().int().min(0).default(0),
  /** Prometheus HTTP API holding the span metrics; '' → the Monitor endpoints answer 501. */
  prometheusUrl: z.union([z.literal(''), z.url()]).default(''),
  /** Origins browsers may call the query API from (CORS), comma-separated, or *; '' = none. */
  corsAllowedOrigins: z
    .string()
    .regex(/^\s*(\*|https?:\/\/[^\s,]+)?(\s*,\s*(https?:\/\/[^\s,]+))*\s*$/, 'a comma-separated list of origins (https://host[:port]) or *')
    .default(''),
  /** Largest (estimated) access-log search response; results past it are left out, marked truncated. */
  maxResponseBytes: positiveInt.default(32 * 1024 * 1024),
  /** How graph nodes are named (Istio's tracingServiceName), for access-log filters by node id. */
  serviceNaming: z.enum(MESH_SERVICE_NAMINGS).default(DEFAULT_MESH_SERVICE_NAMING),
  /** Graph health, as Kiali's defaults: an error rate (percent) above this is degraded … */
  graphDegradedPercent: z.number().min(0).max(100).default(0),
  /** … and at or above this failing. */
  graphFailingPercent: z.number().min(0).max(100).default(10),
});

export const QUERY_DEFAULTS = querySettings.parse({});
