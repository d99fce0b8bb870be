/**
 * The metrics signal's ingester: `metrics` topic (OTLP ExportMetricsServiceRequest per resource)
 * → the derived-metrics registry, which a MetricsSink (remote-write or exposition) reads. Importing
 * happens in decode: the registry is in memory, so there is nothing left to write and no item a
 * store could refuse; an undecodable record is dead-lettered like any other signal's.
 */
import type { MetricsRegistry } from '../../shared/metrics/registry.js';
import { OtlpMetricsImporter, type ImportStats } from '../../shared/metrics/otlp-import/import.js';
import { SignalIngester, type IngesterOptions } from './signal-ingester.js';

export interface MetricsIngesterOptions extends IngesterOptions {
  readonly registry: MetricsRegistry;
  /** Series limit of each imported family (the registry's default when absent). */
  readonly maxSeries?: number;
}

/** One item per imported record, so progress logs count records. */
type ImportedRecord = { readonly position: string };

export class MetricsIngester extends SignalIngester<ImportedRecord> {
  private readonly importer: OtlpMetricsImporter;

  constructor(options: MetricsIngesterOptions) {
    const importer = new OtlpMetricsImporter(options.registry, { maxSeries: options.maxSeries });
    super(options, {
      name: 'metrics-ingester',
      topic: 'metrics',
      progressMessage: 'metrics ingester progress',
      storedCountName: 'metricRecordsImported',
      decode: (value, record) => {
        importer.importRequest(value);
        return [{ position: record.position }];
      },
      write: async () => [],
      describe: (item) => `metrics record at ${item.position}`,
    });
    this.importer = importer;
  }

  /** Points imported and skipped (by reason) since start. */
  importStats(): ImportStats {
    return this.importer.stats();
  }
}
