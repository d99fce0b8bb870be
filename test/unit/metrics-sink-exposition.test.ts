/** The MetricsSink contract, held by the exposition endpoint as a scraper reads it. */
import { ExpositionSink } from '../../shared/metrics/exposition/exposition-sink.js';
import { createLogger } from '../../shared/telemetry/logger.js';
import { parseExposition } from '../support/exposition-text.js';
import { describeMetricsSinkContract } from '../support/metrics-sink-contract.js';

describeMetricsSinkContract('exposition (scraped)', {
  delivery: 'pull',
  make: async (source) => {
    const sink = new ExpositionSink({ source, host: '127.0.0.1', port: 0, logger: createLogger('silent') });
    return {
      sink,
      observe: async (run) => {
        const res = await fetch(`http://127.0.0.1:${sink.port}/metrics`);
        if (!res.ok) throw new Error(`scrape answered ${res.status}`);
        return parseExposition(await res.text()).filter((s) => s.labels.contract_run === run);
      },
      close: async () => {},
    };
  },
});
