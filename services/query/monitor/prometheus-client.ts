/**
 * The one Prometheus HTTP API call the Monitor endpoints need: a range query
 * (`/api/v1/query_range`), answered as a matrix. Any Prometheus-API server works (Prometheus,
 * Thanos, Mimir, VictoriaMetrics).
 */

export interface RangeSeries {
  readonly metric: Readonly<Record<string, string>>;
  /** [unix seconds, value as Prometheus prints it ("1.5", "NaN", "+Inf")]. */
  readonly values: ReadonlyArray<readonly [number, string]>;
}

export class PrometheusQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrometheusQueryError';
  }
}

interface QueryRangeBody {
  status?: string;
  error?: string;
  errorType?: string;
  data?: { resultType?: string; result?: RangeSeries[] };
}

export class PrometheusClient {
  private readonly baseUrl: string;

  constructor(baseUrl: string, private readonly timeoutMs = 30_000) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** Series of `query` from `startMs` to `endMs` every `stepMs`. Throws PrometheusQueryError. */
  async queryRange(query: string, startMs: number, endMs: number, stepMs: number): Promise<RangeSeries[]> {
    const form = new URLSearchParams({ query, start: String(startMs / 1000), end: String(endMs / 1000), step: String(stepMs / 1000) });
    let res: Response;
    try {
      // POST: long PromQL stays out of URLs (and proxies' length limits).
      res = await fetch(`${this.baseUrl}/api/v1/query_range`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new PrometheusQueryError(`Prometheus at ${this.baseUrl} not reachable: ${(err as Error).message}`);
    }
    let body: QueryRangeBody;
    try {
      body = (await res.json()) as QueryRangeBody;
    } catch {
      throw new PrometheusQueryError(`Prometheus answered HTTP ${res.status} without a JSON body`);
    }
    if (body.status !== 'success') throw new PrometheusQueryError(`${body.errorType ?? `HTTP ${res.status}`}: ${body.error ?? 'query failed'}`);
    if (body.data?.resultType !== 'matrix') throw new PrometheusQueryError(`unexpected metrics ValueType: ${body.data?.resultType}`);
    return body.data.result ?? [];
  }
}
