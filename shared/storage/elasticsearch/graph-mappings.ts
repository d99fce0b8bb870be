/**
 * The `graph` object both span and access-log documents carry: the record's GraphObservation
 * (shared/graph/observation.ts), computed at write time with the configured service naming, so
 * the graph reader aggregates over the same fields in both index families (graph-reader.ts).
 * Indexed only; never part of _source.
 */
import type { estypes } from '@elastic/elasticsearch';

const keyword: estypes.MappingProperty = { type: 'keyword' };
const long: estypes.MappingProperty = { type: 'long' };
const bool: estypes.MappingProperty = { type: 'boolean' };

export const graphMapping: estypes.MappingProperty = {
  type: 'object',
  properties: {
    signal: keyword,
    source: keyword,
    target: keyword,
    sourceWorkload: keyword,
    targetWorkload: keyword,
    sourceKind: keyword,
    targetKind: keyword,
    sourceNamespace: keyword,
    targetNamespace: keyword,
    protocol: keyword,
    requestKey: keyword,
    timeUs: long,
    durationMs: { type: 'double' },
    codeClass: keyword,
    error: bool,
    mtls: bool,
    bytesSent: long,
    bytesReceived: long,
  },
};
