/**
 * Rules every access-log store shares, so a query and the dependency edges answer the same
 * whichever store holds the records: what each AccessLogQuery filter means for one record, the
 * newest-first order, and how a record contributes to the access-log call edges. The memory store
 * applies them record by record; the Elasticsearch store indexes what they derive (edge fields)
 * and expresses the filters as queries with the same meaning.
 */
import { observationOfAccessLog } from '../graph/observation.js';
import { DEFAULT_MESH_SERVICE_NAMING } from '../istio/service-naming.js';
import type { AccessLogKind, AccessLogRecord, DestinationWorkload } from '../model/access-log.js';
import type { AccessLogEdge, AccessLogQuery } from './accesslogstore.js';

/** Kinds a query covers when it names none: access logs, not the plain log records kept beside them. */
export const DEFAULT_ACCESS_LOG_KINDS: readonly AccessLogKind[] = ['http', 'tcp'];

/** Kinds that are calls between workloads, hence edges. */
const EDGE_KINDS: ReadonlySet<AccessLogKind> = new Set(['http', 'tcp']);

/** The name an edge end gets when the record does not say; Istio's metric labels print the same. */
export const UNKNOWN = 'unknown';

/** Record start in µs (floor), the unit of the query's time range. */
export function accessLogStartUs(record: AccessLogRecord): number {
  return Number(record.startTimeUnixNano / 1000n);
}

/** Undefined, empty and Istio's literal `unknown` all mean "no workload known". */
export function isUnknownName(name: string | undefined): boolean {
  return name === undefined || name === '' || name === UNKNOWN;
}

/** The destination's short service name: `serviceName`, else the first label of the service host. */
export function destinationServiceName(destination: DestinationWorkload): string | undefined {
  if (!isUnknownName(destination.serviceName)) return destination.serviceName;
  const host = destination.service;
  if (host === undefined || isUnknownName(host)) return undefined;
  const dot = host.indexOf('.');
  return dot < 0 ? host : host.slice(0, dot);
}

/** Response code class of the record (5 for 503), or undefined without a code. */
export function responseCodeClassOf(code: number | undefined): number | undefined {
  return code === undefined ? undefined : Math.floor(code / 100);
}

/**
 * True when the record satisfies every filter of the query (time range, kinds, peers, response,
 * duration, trace, reporter); paging fields are not looked at. A filter on a field the record
 * lacks (no response code, no duration) does not match.
 */
export function accessLogMatches(record: AccessLogRecord, query: AccessLogQuery, startUs = accessLogStartUs(record)): boolean {
  if (startUs < query.startTimeMinUs || startUs > query.startTimeMaxUs) return false;
  if (!(query.kinds ?? DEFAULT_ACCESS_LOG_KINDS).includes(record.kind)) return false;
  const { source, destination } = record;
  if (query.sourceWorkload !== undefined && source.workload !== query.sourceWorkload) return false;
  if (query.sourceNamespace !== undefined && source.namespace !== query.sourceNamespace) return false;
  if (query.destinationWorkload !== undefined && destination.workload !== query.destinationWorkload) return false;
  if (query.destinationNamespace !== undefined && destination.namespace !== query.destinationNamespace) return false;
  if (query.requestId !== undefined && record.requestId !== query.requestId) return false;
  // Node ids (and the protocol) are the mesh graph's: derived only when a filter needs them.
  const graph = query.sourceService !== undefined || query.destinationService !== undefined || query.protocol !== undefined
    ? observationOfAccessLog(record, query.serviceNaming ?? DEFAULT_MESH_SERVICE_NAMING)
    : undefined;
  if (query.sourceService !== undefined && graph?.source !== query.sourceService) return false;
  if (
    query.destinationService !== undefined &&
    destination.service !== query.destinationService &&
    destinationServiceName(destination) !== query.destinationService &&
    graph?.target !== query.destinationService
  ) {
    return false;
  }
  if (query.protocol !== undefined && graph?.protocol !== query.protocol) return false;
  if (query.responseCode !== undefined && record.responseCode !== query.responseCode) return false;
  if (query.responseCodeClass !== undefined && responseCodeClassOf(record.responseCode) !== query.responseCodeClass) return false;
  if (query.responseFlag !== undefined && !record.responseFlags.includes(query.responseFlag)) return false;
  if (query.minDurationUs !== undefined && !(record.durationUs !== undefined && record.durationUs >= query.minDurationUs)) return false;
  if (query.traceId !== undefined && record.traceId !== query.traceId) return false;
  if (query.reporter !== undefined && record.reporter !== query.reporter) return false;
  return true;
}

/**
 * Newest first: by start (to the nanosecond), then by id, so pages never overlap or skip records
 * that started in the same instant. Elasticsearch sorts by the same keys (see accesslog-reader.ts).
 */
export function compareNewestFirst(a: AccessLogRecord, b: AccessLogRecord): number {
  if (a.startTimeUnixNano !== b.startTimeUnixNano) return a.startTimeUnixNano > b.startTimeUnixNano ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * How a record counts toward its edge (AccessLogReader.getAccessLogEdges):
 *  - `request`: it carries a request id; both sidecars of a hop log the same id, so the edge
 *    counts distinct (request id, parent, child);
 *  - `count`: no request id (TCP), reported by the source, or by the destination when the source
 *    is unknown (a caller without a sidecar has no twin entry to double-count);
 *  - undefined: not counted (a plain log; the destination's twin of a source-reported entry).
 */
export type EdgeRule = 'request' | 'count';

export interface EdgeOfRecord {
  readonly parent: string;
  readonly child: string;
  readonly rule: EdgeRule;
  /** Set when rule is `request`. */
  readonly requestId?: string;
}

export function edgeOf(record: AccessLogRecord): EdgeOfRecord | undefined {
  if (!EDGE_KINDS.has(record.kind)) return undefined;
  const sourceWorkload = record.source.workload;
  const sourceUnknown = sourceWorkload === undefined || isUnknownName(sourceWorkload);
  const parent = sourceUnknown ? UNKNOWN : sourceWorkload;
  const dest = record.destination;
  const child = destinationServiceName(dest) ?? (dest.workload === undefined || isUnknownName(dest.workload) ? UNKNOWN : dest.workload);
  if (record.requestId !== undefined && record.requestId !== '') {
    return { parent, child, rule: 'request', requestId: record.requestId };
  }
  if (record.reporter === 'source' || (record.reporter === 'destination' && sourceUnknown)) return { parent, child, rule: 'count' };
  return undefined;
}

/** Accumulates edges record by record (exact request-id dedupe); for stores that scan records. */
export class AccessLogEdgeCounter {
  private readonly counts = new Map<string, number>();
  private readonly requests = new Set<string>();

  add(record: AccessLogRecord): void {
    const edge = edgeOf(record);
    if (edge === undefined) return;
    const key = `${edge.parent}\u0000${edge.child}`;
    if (edge.rule === 'request') {
      const requestKey = `${edge.requestId}\u0000${key}`;
      if (this.requests.has(requestKey)) return;
      this.requests.add(requestKey);
    }
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  edges(): AccessLogEdge[] {
    const out: AccessLogEdge[] = [];
    for (const [key, callCount] of this.counts) {
      const sep = key.indexOf('\u0000');
      out.push({ parent: key.slice(0, sep), child: key.slice(sep + 1), callCount });
    }
    return out;
  }
}
