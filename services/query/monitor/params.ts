/**
 * Parameters of Jaeger's Service Performance Monitoring API (`/api/metrics/*`, the Jaeger UI's
 * Monitor tab), with Jaeger's defaults and error texts. Times and durations are milliseconds.
 */
import { z } from 'zod';

export class MonitorParamError extends Error {
  constructor(param: string, reason: string) {
    super(`unable to parse param '${param}': ${reason}`);
    this.name = 'MonitorParamError';
  }
}

const param = z.union([z.string(), z.array(z.string())]).optional();
export const monitorQuerySchema = z.object({
  service: param,
  spanKind: param,
  quantile: param,
  groupByOperation: param,
  endTs: param,
  lookback: param,
  step: param,
  ratePer: param,
});
export type MonitorQuery = z.infer<typeof monitorQuerySchema>;

/** The span-metrics `span_kind` label values (OTLP enum names), by the Jaeger kind name. */
const SPAN_KIND_LABELS: Readonly<Record<string, string>> = {
  unspecified: 'SPAN_KIND_UNSPECIFIED',
  internal: 'SPAN_KIND_INTERNAL',
  server: 'SPAN_KIND_SERVER',
  client: 'SPAN_KIND_CLIENT',
  producer: 'SPAN_KIND_PRODUCER',
  consumer: 'SPAN_KIND_CONSUMER',
};

// Jaeger's defaults: the last hour, a point every 5 s, rates over 10 min, server spans.
const DEFAULT_LOOKBACK_MS = 3600_000;
const DEFAULT_STEP_MS = 5_000;
const DEFAULT_RATE_PER_MS = 600_000;
const DEFAULT_SPAN_KINDS = ['SPAN_KIND_SERVER'];

export interface MetricsQuery {
  readonly services: string[];
  /** `span_kind` label values to match; never empty. */
  readonly spanKinds: string[];
  readonly groupByOperation: boolean;
  readonly endMs: number;
  readonly lookbackMs: number;
  readonly stepMs: number;
  readonly ratePerMs: number;
}

function all(value: z.infer<typeof param>): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function first(value: z.infer<typeof param>): string | undefined {
  const v = all(value)[0];
  return v === '' ? undefined : v;
}

function int(name: string, value: z.infer<typeof param>, fallback: number): number {
  const text = first(value);
  if (text === undefined) return fallback;
  if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new MonitorParamError(name, `strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax`);
  }
  return Number(text);
}

function positiveDuration(name: string, value: z.infer<typeof param>, fallback: number): number {
  const ms = int(name, value, fallback);
  if (ms <= 0) throw new MonitorParamError(name, `must be a positive number of milliseconds, got ${ms}`);
  return ms;
}

export function parseMetricsQuery(q: MonitorQuery, nowMs: number): MetricsQuery {
  const services = all(q.service).filter((s) => s !== '');
  if (services.length === 0) throw new MonitorParamError('service', 'please provide at least one service name');
  const groupByText = first(q.groupByOperation);
  let groupByOperation = false;
  if (groupByText !== undefined) {
    if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(groupByText)) groupByOperation = true;
    else if (!['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(groupByText)) {
      throw new MonitorParamError('groupByOperation', `strconv.ParseBool: parsing ${JSON.stringify(groupByText)}: invalid syntax`);
    }
  }
  const kinds = all(q.spanKind);
  const spanKinds = kinds.length === 0 ? DEFAULT_SPAN_KINDS : kinds.map((k) => {
    const label = SPAN_KIND_LABELS[k];
    if (label === undefined) throw new MonitorParamError('spanKind', `unsupported span kind: '${k}'`);
    return label;
  });
  return {
    services,
    spanKinds,
    groupByOperation,
    endMs: int('endTs', q.endTs, nowMs),
    lookbackMs: positiveDuration('lookback', q.lookback, DEFAULT_LOOKBACK_MS),
    stepMs: positiveDuration('step', q.step, DEFAULT_STEP_MS),
    ratePerMs: positiveDuration('ratePer', q.ratePer, DEFAULT_RATE_PER_MS),
  };
}

/** `quantile` of /api/metrics/latencies (required, as in Jaeger), between 0 and 1. */
export function parseQuantile(q: MonitorQuery): number {
  const text = first(q.quantile) ?? '';
  const n = text.trim() === '' ? NaN : Number(text);
  if (Number.isNaN(n)) throw new MonitorParamError('quantile', `strconv.ParseFloat: parsing ${JSON.stringify(text)}: invalid syntax`);
  if (n < 0 || n > 1) throw new MonitorParamError('quantile', `must be between 0 and 1, got ${n}`);
  return n;
}
