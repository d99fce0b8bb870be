/**
 * The MetricsSink contract, held by remote-write into our own receiver, which decodes the snappy +
 * protobuf bodies with a reader independent of the sink's encoder. Small batches, so a snapshot
 * takes several requests.
 */
import { RemoteWriteSink } from '../../shared/metrics/remote-write/remote-write-sink.js';
import { createLogger } from '../../shared/telemetry/logger.js';
import { createMetrics } from '../support/metrics.js';
import { describeMetricsSinkContract, type ObservedSample } from '../support/metrics-sink-contract.js';
import { startRemoteWriteReceiver } from '../support/remote-write-receiver.js';

describeMetricsSinkContract('remote-write (own receiver)', {
  delivery: 'push',
  make: async (source) => {
    const receiver = await startRemoteWriteReceiver();
    const sink = new RemoteWriteSink({
      source, url: receiver.url, metrics: createMetrics(), logger: createLogger('silent'),
      flushIntervalMs: 50, maxSamplesPerSend: 100, retry: { initialBackoffMs: 10, maxBackoffMs: 100 },
    });
    return {
      sink,
      // Every sample received, in arrival order.
      observe: async (run) =>
        receiver.requests.flatMap((req) =>
          req.series.flatMap((series): ObservedSample[] => {
            const labels = Object.fromEntries(series.labels.map((l) => [l.name, l.value]));
            const { __name__: name = '', ...rest } = labels;
            if (rest.contract_run !== run) return [];
            return series.samples.map((p) => ({ name, labels: rest, value: p.value, timestampMs: p.timestamp }));
          }),
        ),
      close: () => receiver.app.close(),
    };
  },
});
