/**
 * Mesh graph reader contract: per-edge partial aggregates over spans and access logs, with the
 * counting rules of shared/graph/aggregate.ts, and one edge's time series. Implementations:
 * storage/memory (observations computed at query time), storage/elasticsearch (aggregations over
 * the `graph.*` fields indexed at write time); both pass test/integration/graph-contract.
 */
import type { EdgePartial, EdgeTimeseriesPoint, EdgeTimeseriesQuery, GraphQuery } from '../graph/model.js';

export interface GraphReader {
  /** Edges with traffic started within [startUs, endUs] at the query's level (and namespace). */
  getEdgePartials(query: GraphQuery): Promise<EdgePartial[]>;
  /** The edge's requests, errors and p99 per step from startUs; every step present (zeros when quiet). */
  getEdgeTimeseries(query: EdgeTimeseriesQuery): Promise<EdgeTimeseriesPoint[]>;
}
