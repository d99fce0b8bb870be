/**
 * GraphReader over the memory stores: each read names the spans and access-log entries of its
 * window (shared/graph/observation.ts) and aggregates them (aggregate.ts). A scan per read, like
 * the memory stores' other reads: fine for the sizes all-in-one holds.
 */
import { edgePartialsOf } from '../../graph/aggregate.js';
import type { EdgePartial, EdgeTimeseriesPoint, EdgeTimeseriesQuery, GraphObservation, GraphQuery } from '../../graph/model.js';
import { observationOfAccessLog, observationOfSpan } from '../../graph/observation.js';
import { edgeTimeseriesOf } from '../../graph/timeseries.js';
import type { MeshServiceNaming } from '../../istio/service-naming.js';
import type { GraphReader } from '../graphstore.js';
import type { MemoryAccessLogStore } from './memory-accesslog-store.js';
import type { MemorySpanStore } from './memory-span-store.js';

export interface MemoryGraphReaderOptions {
  readonly spans: Pick<MemorySpanStore, 'callSpansIn'>;
  readonly accessLogs: Pick<MemoryAccessLogStore, 'recordsIn'>;
  readonly naming: MeshServiceNaming;
}

export class MemoryGraphReader implements GraphReader {
  constructor(private readonly options: MemoryGraphReaderOptions) {}

  private *observations(fromUs: number, toUs: number, withSpans: boolean): Generator<GraphObservation> {
    const { naming } = this.options;
    if (withSpans) {
      for (const span of this.options.spans.callSpansIn(fromUs, toUs)) {
        const o = observationOfSpan(span, naming);
        if (o) yield o;
      }
    }
    for (const record of this.options.accessLogs.recordsIn(fromUs, toUs)) {
      const o = observationOfAccessLog(record, naming);
      if (o) yield o;
    }
  }

  async getEdgePartials(query: GraphQuery): Promise<EdgePartial[]> {
    return edgePartialsOf(this.observations(query.startUs, query.endUs, query.level === 'service'), query.level, query.namespace);
  }

  async getEdgeTimeseries(query: EdgeTimeseriesQuery): Promise<EdgeTimeseriesPoint[]> {
    return edgeTimeseriesOf(this.observations(query.startUs, query.endUs, query.level === 'service'), query);
  }
}
