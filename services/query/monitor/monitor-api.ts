/**
 * Jaeger's Service Performance Monitoring API (the Jaeger UI's Monitor tab) as a fastify plugin:
 * `/api/metrics/{latencies,calls,errors,minstep}`. Jaeger needs an OTel Collector's spanmetrics
 * connector and a Prometheus for this; meshtel derives the same RED metrics itself
 * (`traces_spanmetrics_*`) and sends them to Prometheus with remote-write, so the query service
 * only needs that Prometheus's URL. Without one, every endpoint answers 501 as Jaeger does.
 *
 * Answers are Jaeger's `MetricFamily` JSON (name, type GAUGE, help, metrics with labels
 * `service_name` / `operation` and points `{gaugeValue:{doubleValue}, timestamp}`); errors and
 * minstep use Jaeger's v1 envelope.
 */
import type { FastifyError, FastifyPluginAsync, FastifyReply } from 'fastify';
import { MonitorParamError, monitorQuerySchema, parseMetricsQuery, parseQuantile, type MetricsQuery, type MonitorQuery } from './params.js';
import { PrometheusClient, type RangeSeries } from './prometheus-client.js';
import { callsQuery, errorsQuery, latenciesQuery } from './promql.js';

export interface MonitorApiOptions {
  /** Prometheus HTTP API base URL; '' disables the endpoints (501). */
  readonly prometheusUrl: string;
  /** Clock for the default `endTs`; tests pin it. */
  readonly nowMs?: () => number;
}

/** Jaeger's text when no metrics backend is configured. */
export const METRICS_DISABLED = 'trace metrics are currently disabled - no metrics backend configured';
/** Prometheus steps are whole milliseconds at the finest (Jaeger's Prometheus reader). */
const MIN_STEP_MS = 1;

/** Our span-metrics label names → the names the Jaeger UI reads. */
const LABEL_NAMES: Readonly<Record<string, string>> = { service: 'service_name', span_name: 'operation' };

export interface MetricFamilyJson {
  name: string;
  type: 'GAUGE';
  help: string;
  metrics?: MetricJson[];
}

interface MetricJson {
  labels: { name: string; value: string }[];
  metricPoints: { gaugeValue: { doubleValue: number | string }; timestamp: string }[];
}

function envelopeError(reply: FastifyReply, code: number, msg: string): FastifyReply {
  return reply.code(code).send({ data: null, total: 0, limit: 0, offset: 0, errors: [{ code, msg }] });
}

class MetricsDisabledError extends Error {}

/** protobuf JSON's Timestamp: RFC 3339 in UTC, fraction only when non-zero. */
function timestampJson(unixSeconds: number): string {
  return new Date(Math.round(unixSeconds * 1000)).toISOString().replace('.000Z', 'Z');
}

/** Prometheus prints special values as text; JSON numbers cannot hold them, protobuf JSON writes them as strings. */
function doubleJson(text: string): number | string {
  const n = Number(text);
  if (Number.isFinite(n)) return n;
  return text === '+Inf' ? 'Infinity' : text === '-Inf' ? '-Infinity' : 'NaN';
}

export function metricFamilyOf(name: string, help: string, series: readonly RangeSeries[], zero = false): MetricFamilyJson {
  const family: MetricFamilyJson = { name, type: 'GAUGE', help };
  if (series.length === 0) return family; // empty lists are left out, as protobuf JSON does
  family.metrics = series.map((s) => ({
    labels: Object.entries(s.metric)
      .map(([label, value]) => ({ name: LABEL_NAMES[label] ?? label, value }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    metricPoints: s.values.map(([t, v]) => ({ gaugeValue: { doubleValue: zero ? 0 : doubleJson(v) }, timestamp: timestampJson(t) })),
  }));
  return family;
}

export const monitorApi: FastifyPluginAsync<MonitorApiOptions> = async (app, options) => {
  const nowMs = options.nowMs ?? Date.now;
  const prometheus = options.prometheusUrl === '' ? undefined : new PrometheusClient(options.prometheusUrl);

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof MonitorParamError) return envelopeError(reply, 400, err.message);
    if (err instanceof MetricsDisabledError) return envelopeError(reply, 501, METRICS_DISABLED);
    const status = err.statusCode ?? 500;
    if (status >= 500) request.log.error({ err }, 'metrics query failed');
    return envelopeError(reply, status, status >= 500 ? `failed executing metrics query: ${err.message}` : err.message);
  });

  const parse = (raw: unknown): MonitorQuery => {
    const parsed = monitorQuerySchema.safeParse(raw ?? {});
    if (!parsed.success) throw new MonitorParamError(String(parsed.error.issues[0].path[0]), parsed.error.issues[0].message);
    return parsed.data;
  };

  const range = async (promql: string, q: MetricsQuery): Promise<RangeSeries[]> => {
    if (prometheus === undefined) throw new MetricsDisabledError();
    return prometheus.queryRange(promql, q.endMs - q.lookbackMs, q.endMs, q.stepMs);
  };

  /** Jaeger's names: `service_…`, or `service_operation_…` when grouped by operation. */
  const named = (q: MetricsQuery, name: string, help: string) =>
    q.groupByOperation ? { name: name.replace('service', 'service_operation'), help: `${help} & operation` } : { name, help };

  app.get('/api/metrics/latencies', async (request) => {
    const raw = parse(request.query);
    const quantile = parseQuantile(raw);
    const q = parseMetricsQuery(raw, nowMs());
    const { name, help } = named(q, 'service_latencies', `${quantile.toFixed(2)}th quantile latency, grouped by service`);
    return metricFamilyOf(name, help, await range(latenciesQuery(q, quantile), q));
  });

  app.get('/api/metrics/calls', async (request) => {
    const q = parseMetricsQuery(parse(request.query), nowMs());
    const { name, help } = named(q, 'service_call_rate', 'calls/sec, grouped by service');
    return metricFamilyOf(name, help, await range(callsQuery(q), q));
  });

  app.get('/api/metrics/errors', async (request) => {
    const q = parseMetricsQuery(parse(request.query), nowMs());
    const { name, help } = named(q, 'service_error_rate', 'error rate, computed as a fraction of errors/sec over calls/sec, grouped by service');
    const errors = await range(errorsQuery(q), q);
    if (errors.length > 0) return metricFamilyOf(name, help, errors);
    // No error series: either no calls at all (nothing to show) or calls without errors, which
    // Jaeger reports as a zero error rate at each point the calls have.
    return metricFamilyOf(name, help, await range(callsQuery(q), q), true);
  });

  app.get('/api/metrics/minstep', async () => {
    if (prometheus === undefined) throw new MetricsDisabledError();
    return { data: MIN_STEP_MS, total: 0, limit: 0, offset: 0, errors: null };
  });
};
