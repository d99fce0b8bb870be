/**
 * The MetricsSink contract, held by remote-write into the real Prometheus 2.42
 * (--web.enable-remote-write-receiver), read back through /api/v1/query. Every series carries
 * a label value unique to the test, so runs sharing the server stay apart.
 */
import { beforeAll } from 'vitest';
import { RemoteWriteSink } from '../../shared/metrics/remote-write/remote-write-sink.js';
import { createLogger } from '../../shared/telemetry/logger.js';
import { createMetrics } from '../support/metrics.js';
import { describeMetricsSinkContract, type ObservedSample } from '../support/metrics-sink-contract.js';
import { PROMETHEUS_URL, ensureServers } from '../support/servers.js';

interface MatrixResult { metric: Record<string, string>; values: Array<[number, string]> }

function promValue(text: string): number {
  return text === '+Inf' ? Infinity : text === '-Inf' ? -Infinity : Number(text);
}

/** Every stored sample of the run's series from the last hour, in timestamp order per series. */
async function samplesOfRun(run: string): Promise<ObservedSample[]> {
  const promql = `{contract_run="${run}"}[1h]`;
  const res = await fetch(`${PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent(promql)}&time=${Date.now() / 1000}`);
  const body = (await res.json()) as { status: string; data: { result: MatrixResult[] }; error?: string };
  if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
  return body.data.result.flatMap(({ metric, values }) => {
    const { __name__: name = '', ...labels } = metric;
    return values.map(([t, v]) => ({ name, labels, value: promValue(v), timestampMs: Math.round(t * 1000) }));
  });
}

beforeAll(async () => {
  await ensureServers(['prometheus']);
});

describeMetricsSinkContract('remote-write (Prometheus 2.42)', {
  delivery: 'push',
  deliveryTimeoutMs: 60_000,
  make: async (source) => ({
    sink: new RemoteWriteSink({
      source, url: `${PROMETHEUS_URL}/api/v1/write`, metrics: createMetrics(), logger: createLogger('silent'),
      flushIntervalMs: 250, maxSamplesPerSend: 200, retry: { initialBackoffMs: 50, maxBackoffMs: 1000 },
    }),
    observe: samplesOfRun,
    close: async () => {},
  }),
});
