/**
 * The deterministic id of an access-log record (AccessLogRecord.id). Stores write by this id, so
 * the same entry delivered twice — a sender retrying an OTLP export or a log shipper re-reading a
 * file, or the buffer redelivering after a crash — is stored once, while two different entries
 * must never share an id.
 *
 * The id hashes the fields that say *which* entry this is, not every field: a value that could
 * differ between two deliveries of one entry (nothing does today, but e.g. enrichment added later)
 * must not be part of it. What is included, and why:
 *
 * - `kind`, `input`: an HTTP entry and a plain log, or the same request seen through two inputs
 *   (ALS and log lines, when a user enables both), are different records.
 * - `proxyNodeId`, `logName`, `reporter`: both sidecars of a hop log the same request with the
 *   same request id; the reporting proxy and side keep the two apart (and a proxy's HTTP and TCP
 *   loggers apart).
 * - `startTimeUnixNano`, `durationUs`, `requestId`, `method`, `path`, `authority`, `responseCode`:
 *   the request itself. The request id alone is not enough: a retry inside Envoy keeps it, and a
 *   caller may send a fixed x-request-id.
 * - `upstreamCluster`, `upstreamHost`, `downstreamRemoteAddress`, `downstreamLocalAddress`,
 *   `bytesReceived`, `bytesSent`: for TCP connections, which have no request id, the address
 *   pairs (with ephemeral ports) and byte counts tell connections opened in the same millisecond
 *   apart.
 * - `source` / `destination` workload and namespace: for inputs with no proxy id (log lines,
 *   envoyOtelAls), the workloads tell proxies apart.
 * - `traceId`, `spanId`, `body`, `severityText`, `attributes`: a plain log's content (many log
 *   lines of one service share a timestamp); for access logs, the labels a sender attached.
 */
import { createHash } from 'node:crypto';
import type { AccessLogRecord } from '../model/access-log.js';

/** What the id is computed from; any AccessLogRecord (without its id) qualifies. */
export type AccessLogIdFields = Pick<AccessLogRecord, 'kind' | 'input' | 'startTimeUnixNano' | 'reporter'> &
  Partial<
    Pick<
      AccessLogRecord,
      | 'proxyNodeId' | 'logName' | 'durationUs' | 'requestId' | 'method' | 'path' | 'authority' | 'responseCode'
      | 'upstreamCluster' | 'upstreamHost' | 'downstreamRemoteAddress' | 'downstreamLocalAddress' | 'bytesReceived'
      | 'bytesSent' | 'traceId' | 'spanId' | 'body' | 'severityText' | 'source' | 'destination' | 'attributes'
    >
  >;

/** 32 lower-case hex characters (128 bits of SHA-256): collisions between distinct entries are not a practical concern. */
export function accessLogId(fields: AccessLogIdFields): string {
  let text = fields.kind + ';' + fields.input + ';' + fields.startTimeUnixNano.toString() + ';' + fields.reporter + ';'
    + field(fields.proxyNodeId) + field(fields.logName) + field(fields.durationUs) + field(fields.requestId)
    + field(fields.method) + field(fields.path) + field(fields.authority) + field(fields.responseCode)
    + field(fields.upstreamCluster) + field(fields.upstreamHost) + field(fields.downstreamRemoteAddress)
    + field(fields.downstreamLocalAddress) + field(fields.bytesReceived) + field(fields.bytesSent)
    + field(fields.source?.workload) + field(fields.source?.namespace)
    + field(fields.destination?.workload) + field(fields.destination?.namespace)
    + field(fields.traceId) + field(fields.spanId) + field(fields.body) + field(fields.severityText);
  const attributes = fields.attributes;
  if (attributes !== undefined) {
    // Sorted, so the order a sender listed its attributes in does not change the id.
    for (const key of Object.keys(attributes).sort()) text += field(key) + field(attributes[key]);
  }
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/**
 * Each value self-delimiting (type letter, length, text), so no two different field lists join
 * to the same text: `a` + `bc` never equals `ab` + `c`, and "absent" never equals "" or "-".
 */
function field(value: string | number | undefined): string {
  if (value === undefined) return 'u;';
  if (typeof value === 'number') return `n${value};`;
  return `s${value.length}:${value};`;
}
