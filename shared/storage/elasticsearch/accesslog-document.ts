/**
 * AccessLogRecord ⇄ Elasticsearch access-log document.
 *
 * A document has two halves:
 *  - indexed top-level fields shaped for AccessLogQuery and the edges: keywords for kinds, peers,
 *    flags, reporter and ids; longs for time, duration and bytes; the edge fields that
 *    accesslog-match.ts derives (so the edge aggregation needs no script: the integ-test
 *    distribution has no painless). They are indexed only, not kept in _source (templates);
 *  - `record`, the whole record in an object Elasticsearch stores but never parses, from which it
 *    is rebuilt exactly: the nanosecond start travels as a decimal string, as a JSON number would
 *    round it to a double.
 */
import type { AccessLogRecord } from '../../model/access-log.js';
import { accessLogStartUs, destinationServiceName, edgeOf, type EdgeRule } from '../accesslog-match.js';

/** The record as JSON: everything as is, but the bigint start as a string. */
export type StoredAccessLog = Omit<AccessLogRecord, 'startTimeUnixNano'> & { startTimeUnixNano: string };

export interface AccessLogDocument {
  readonly id: string;
  readonly kind: string;
  readonly input: string;
  readonly reporter: string;
  /** Epoch ms, for Kibana's time picker. */
  readonly startTime: number;
  /** Start in µs (floor): the range the queries ask for. */
  readonly startTimeUs: number;
  /** The nanoseconds within that µs: with startTimeUs, a total order by start that JSON numbers carry exactly. */
  readonly startNanosOfUs: number;
  readonly durationUs?: number;
  readonly responseCode?: number;
  readonly responseFlags: readonly string[];
  readonly bytesReceived?: number;
  readonly bytesSent?: number;
  readonly method?: string;
  readonly sourceWorkload?: string;
  readonly sourceNamespace?: string;
  readonly destinationWorkload?: string;
  readonly destinationNamespace?: string;
  /** Host, e.g. reviews.default.svc.cluster.local. */
  readonly destinationService?: string;
  /** Short name (`reviews`), derived from the host when the record has none. */
  readonly destinationServiceName?: string;
  readonly traceId?: string;
  readonly requestId?: string;
  readonly edgeParent?: string;
  readonly edgeChild?: string;
  readonly edgeRule?: EdgeRule;
  /** Multi-tenancy: the tenant the entry was received for; absent otherwise. */
  readonly tenant?: string;
  readonly record: StoredAccessLog;
}

/** Ids come from content, so two tenants' identical entries would share one: prefix the tenant. */
export function accessLogDocumentId(record: AccessLogRecord): string {
  return record.tenant === undefined ? record.id : `${record.tenant}/${record.id}`;
}

/** Which day's index the record goes to (epoch ms of its start). */
export function accessLogStartMs(record: AccessLogRecord): number {
  return Number(record.startTimeUnixNano / 1_000_000n);
}

export function encodeAccessLogDocument(record: AccessLogRecord): AccessLogDocument {
  const edge = edgeOf(record);
  const { source, destination } = record;
  return {
    id: record.id,
    ...(record.tenant !== undefined ? { tenant: record.tenant } : {}),
    kind: record.kind,
    input: record.input,
    reporter: record.reporter,
    startTime: accessLogStartMs(record),
    startTimeUs: accessLogStartUs(record),
    startNanosOfUs: Number(record.startTimeUnixNano % 1000n),
    durationUs: record.durationUs,
    responseCode: record.responseCode,
    responseFlags: record.responseFlags,
    bytesReceived: record.bytesReceived,
    bytesSent: record.bytesSent,
    method: record.method,
    sourceWorkload: source.workload,
    sourceNamespace: source.namespace,
    destinationWorkload: destination.workload,
    destinationNamespace: destination.namespace,
    destinationService: destination.service,
    destinationServiceName: destinationServiceName(destination),
    traceId: record.traceId,
    requestId: edge?.requestId,
    edgeParent: edge?.parent,
    edgeChild: edge?.child,
    edgeRule: edge?.rule,
    record: { ...record, startTimeUnixNano: record.startTimeUnixNano.toString() },
  };
}

/**
 * Rebuilds the record from its stored `record`. JSON has no `undefined` (absent fields stay
 * absent) and turns non-finite numbers into null, which we drop the same way.
 */
export function decodeAccessLogDocument(stored: StoredAccessLog): AccessLogRecord {
  const plain = withoutNulls(stored);
  return {
    ...plain,
    startTimeUnixNano: BigInt(plain.startTimeUnixNano),
    source: withoutNulls(plain.source),
    destination: withoutNulls(plain.destination),
    responseFlags: plain.responseFlags ?? [],
    attributes: plain.attributes ?? {},
  };
}

function withoutNulls<T extends object>(obj: T | null | undefined): T {
  const out: Record<string, unknown> = {};
  if (obj === undefined || obj === null) return out as T;
  for (const [key, value] of Object.entries(obj)) if (value !== null) out[key] = value;
  return out as T;
}
