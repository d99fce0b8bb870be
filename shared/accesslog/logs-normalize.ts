/**
 * Decoded OTLP log records → AccessLogRecords, with validation and limits (the counterpart of
 * shared/otlp/traces/limits.ts for spans). Each record is classified:
 *
 * - **Envoy access log** (kind `http` / `tcp`, input `otlp`): what Istio's envoyOtelAls provider
 *   sends — a resource without `service.name` (Istio sends an empty one) and a string body that
 *   parses as Istio's default TEXT access-log line. Labels the mesh operator added
 *   (`logFormat.labels`) tell the sending proxy and peers (logs-proxy-hints.ts) and stay in
 *   `attributes`; the record's trace_id / span_id (newer Envoy) link it to its trace.
 * - **Plain log** (kind `log`) — anything else, e.g. an application's OTel SDK logs: body as text
 *   (non-string bodies as JSON), severity text (else the name of the severity number), trace and
 *   span ids, the emitting service (`service.name`, `service.namespace` or `k8s.namespace.name`)
 *   as the source workload, and all record, resource and scope attributes as strings.
 *
 * A record is rejected on its own (OTLP partial success) only when its trace or span id is
 * malformed (not hex, or the wrong length): an empty or all-zero id just means "not linked to a
 * trace" (logs.proto), but a malformed one says the sender is broken, and guessing would link the
 * entry to the wrong trace. Limits: the request's record count (whole request refused),
 * attributes per record (the rest dropped and counted), and the length of every attribute value,
 * body and access-log field (cut and counted).
 */
import type { AccessLogRecord, DestinationWorkload, Workload } from '../model/access-log.js';
import type { AnyValue, KeyValue } from '../model/span.js';
import { AccessLogParseError } from './errors.js';
import { accessLogId } from './id.js';
import { parseIstioTextLine } from './istio-text.js';
import { positionOf, type OtlpLogRecord } from '../otlp/logs/logs-decode.js';
import { proxyHintsOf } from './logs-proxy-hints.js';
import { attributeText } from '../model/attribute-text.js';
import { severityName } from '../otlp/logs/logs-values.js';

export interface LogLimits {
  /** More records than this in one request → the request is refused whole (MESHTEL_MAX_LOG_RECORDS_PER_REQUEST). */
  readonly maxLogRecordsPerRequest: number;
  /** Attributes kept per record (record, resource and scope attributes together); MESHTEL_MAX_ATTRIBUTES_PER_SPAN. */
  readonly maxAttributesPerLogRecord: number;
  /** Longest attribute value, body or access-log field (UTF-16 units); MESHTEL_MAX_ATTRIBUTE_VALUE_LENGTH. */
  readonly maxAttributeValueLength: number;
}

/** The request as a whole exceeds maxLogRecordsPerRequest. */
export class TooManyLogRecordsError extends Error {
  constructor(readonly recordCount: number, readonly limit: number) {
    super(`request carries ${recordCount} log records, more than the limit of ${limit} (MESHTEL_MAX_LOG_RECORDS_PER_REQUEST)`);
    this.name = 'TooManyLogRecordsError';
  }
}

export type LogRejectionReason = 'invalid_trace_id' | 'invalid_span_id';

export interface NormalizedLogs {
  /** Records to buffer, in request order. */
  readonly records: AccessLogRecord[];
  /** Records rejected individually (partial_success.rejected_log_records). */
  readonly rejected: number;
  /** Why, for partial_success.error_message ('' when none rejected). */
  readonly errorMessage: string;
  readonly rejectedByReason: Partial<Record<LogRejectionReason, number>>;
  readonly attributesDropped: number;
  readonly valuesTruncated: number;
}

const ID_RULES: readonly { reason: LogRejectionReason; what: string; bytes: number; field: 'traceId' | 'spanId' }[] = [
  { reason: 'invalid_trace_id', what: 'trace id', bytes: 16, field: 'traceId' },
  { reason: 'invalid_span_id', what: 'span id', bytes: 8, field: 'spanId' },
];

/** Marks a malformed id (distinct from undefined, which means "no id"). */
const INVALID = Symbol('invalid id');

/** '' and all-zero → undefined (not linked); right-length lower-case hex → the id; else INVALID. */
function checkId(hex: string, bytes: number): string | undefined | typeof INVALID {
  if (hex === '') return undefined;
  if (hex.length !== bytes * 2 || !/^[0-9a-f]*$/.test(hex)) return INVALID;
  return /^0*$/.test(hex) ? undefined : hex;
}

export function nowUnixNano(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/**
 * Normalizes decoded records. `receivedAtUnixNano` is the time of a plain log that carries neither
 * a time nor an observed time. Throws TooManyLogRecordsError.
 */
export function normalizeOtlpLogs(
  logs: readonly OtlpLogRecord[], limits: LogLimits, receivedAtUnixNano: bigint = nowUnixNano(),
): NormalizedLogs {
  if (logs.length > limits.maxLogRecordsPerRequest) throw new TooManyLogRecordsError(logs.length, limits.maxLogRecordsPerRequest);
  const limiter = new ValueLimiter(limits.maxAttributeValueLength);
  let attributesDropped = 0;
  const records: AccessLogRecord[] = [];
  const rejected = new Map<LogRejectionReason, { count: number; first: OtlpLogRecord }>();

  for (const log of logs) {
    const traceId = checkId(log.traceId, 16);
    const spanId = checkId(log.spanId, 8);
    const reason = traceId === INVALID ? 'invalid_trace_id' : spanId === INVALID ? 'invalid_span_id' : undefined;
    if (reason !== undefined) {
      const entry = rejected.get(reason);
      if (entry === undefined) rejected.set(reason, { count: 1, first: log });
      else entry.count++;
      continue;
    }
    const { attributes, dropped } = flattenAttributes(log, limits.maxAttributesPerLogRecord, limiter);
    attributesDropped += dropped;
    const ids = { traceId: traceId as string | undefined, spanId: spanId as string | undefined };
    const record = accessLogOf(log, attributes, ids) ?? plainLogOf(log, attributes, ids, receivedAtUnixNano, limiter);
    records.push(limiter.record(record));
  }

  const rejectedByReason: Partial<Record<LogRejectionReason, number>> = {};
  for (const [reason, { count }] of rejected) rejectedByReason[reason] = count;
  const rejectedCount = logs.length - records.length;
  return {
    records,
    rejected: rejectedCount,
    errorMessage: rejectedCount === 0 ? '' : describeRejections(rejectedCount, rejected),
    rejectedByReason,
    attributesDropped,
    valuesTruncated: limiter.valuesTruncated,
  };
}

/** e.g. `1 log record rejected: 1 with an invalid trace id (must be empty or 16 bytes …; first: resourceLogs[0]… trace id "abc")`. */
function describeRejections(total: number, rejected: Map<LogRejectionReason, { count: number; first: OtlpLogRecord }>): string {
  const parts: string[] = [];
  for (const { reason, what, bytes, field } of ID_RULES) {
    const entry = rejected.get(reason);
    if (entry === undefined) continue;
    const value = entry.first[field];
    const shown = JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
    parts.push(
      `${entry.count} with an invalid ${what} (must be empty or ${bytes} bytes (${bytes * 2} hex characters); `
      + `first: ${positionOf(entry.first)} ${what} ${shown})`,
    );
  }
  return `${total} log record${total === 1 ? '' : 's'} rejected: ${parts.join(', ')}`;
}

/**
 * The record's attributes, then its resource's, then the scope's name and version (as
 * `otel.scope.name` / `otel.scope.version`, the convention for scope outside OTLP) and the event
 * name, as strings; the first occurrence of a key wins. Beyond `max`, the rest are dropped.
 */
function flattenAttributes(
  log: OtlpLogRecord, max: number, limiter: ValueLimiter,
): { attributes: Map<string, string>; dropped: number } {
  const attributes = new Map<string, string>();
  let dropped = 0;
  const add = (key: string, value: AnyValue) => {
    if (attributes.has(key)) return;
    if (attributes.size >= max) {
      dropped++;
      return;
    }
    attributes.set(key, limiter.cut(attributeText(value)));
  };
  const addAll = (list: readonly KeyValue[]) => {
    for (const kv of list) add(kv.key, kv.value);
  };
  addAll(log.attributes);
  addAll(log.resource.attributes);
  if (log.scope.name !== '') add('otel.scope.name', { type: 'string', value: log.scope.name });
  if (log.scope.version !== '') add('otel.scope.version', { type: 'string', value: log.scope.version });
  if (log.eventName !== '') add('event.name', { type: 'string', value: log.eventName });
  return { attributes, dropped };
}

function resourceAttribute(log: OtlpLogRecord, key: string): string | undefined {
  for (const kv of log.resource.attributes) if (kv.key === key) return attributeText(kv.value);
  return undefined;
}

interface Ids {
  readonly traceId?: string;
  readonly spanId?: string;
}

/** The record as an Envoy access log, or undefined when it is not one (then it is a plain log). */
function accessLogOf(log: OtlpLogRecord, attributes: Map<string, string>, ids: Ids): AccessLogRecord | undefined {
  if (log.body.type !== 'string' || resourceAttribute(log, 'service.name') !== undefined) return undefined;
  // Istio's TEXT format starts with `[%START_TIME%]`; checking that first spares the parser (and
  // an exception) for every plain log that happens to come without a service name.
  if (!log.body.value.startsWith('[')) return undefined;
  const hints = proxyHintsOf(attributes);
  try {
    return parseIstioTextLine(log.body.value, {
      defaults: {
        input: 'otlp',
        traceId: ids.traceId ?? hints.traceId,
        spanId: ids.spanId ?? hints.spanId,
        proxyNodeId: hints.proxyNodeId,
        logName: hints.logName,
        source: hints.source,
        destination: hints.destination,
        attributes: Object.fromEntries(attributes),
      },
      reportingWorkload: hints.reportingWorkload,
    });
  } catch (err) {
    // Not an Istio line after all (a custom format, or an application log that starts with
    // `[`): kept as a plain log rather than lost.
    if (err instanceof AccessLogParseError) return undefined;
    throw err;
  }
}

function plainLogOf(
  log: OtlpLogRecord, attributes: Map<string, string>, ids: Ids, receivedAtUnixNano: bigint, limiter: ValueLimiter,
): AccessLogRecord {
  const serviceName = resourceAttribute(log, 'service.name');
  const namespace = resourceAttribute(log, 'service.namespace') ?? resourceAttribute(log, 'k8s.namespace.name');
  const source: Record<string, string> = {};
  if (serviceName !== undefined && serviceName !== '') source.workload = serviceName;
  if (namespace !== undefined && namespace !== '') source.namespace = namespace;
  const startTimeUnixNano = log.timeUnixNano !== 0n ? log.timeUnixNano
    : log.observedTimeUnixNano !== 0n ? log.observedTimeUnixNano : receivedAtUnixNano;
  const severityText = log.severityText ? log.severityText : severityName(log.severityNumber);
  const withoutId = {
    kind: 'log' as const,
    input: 'otlp' as const,
    startTimeUnixNano,
    reporter: 'unknown' as const,
    responseFlags: [],
    ...(log.body.type !== 'empty' && { body: limiter.cut(attributeText(log.body)) }),
    ...(severityText !== undefined && { severityText }),
    ...(ids.traceId !== undefined && { traceId: ids.traceId }),
    ...(ids.spanId !== undefined && { spanId: ids.spanId }),
    source: source as Workload,
    destination: {},
    attributes: Object.fromEntries(attributes),
  };
  return { id: accessLogId(withoutId), ...withoutId };
}

/** Cuts strings to the value-length limit, counting each cut. */
class ValueLimiter {
  valuesTruncated = 0;

  constructor(private readonly max: number) {}

  cut(s: string): string {
    if (s.length <= this.max) return s;
    this.valuesTruncated++;
    // One fewer unit if the cut would split a surrogate pair.
    const last = s.charCodeAt(this.max - 1);
    return s.slice(0, last >= 0xd800 && last <= 0xdbff ? this.max - 1 : this.max);
  }

  /**
   * The record itself when every string field is within the limit; otherwise a cut copy with its
   * id recomputed (the id is of what is stored, so a resend is cut — and identified — the same way).
   */
  record(record: AccessLogRecord): AccessLogRecord {
    let changed = false;
    const cutFields = <T extends object>(o: T): T => {
      let out: Record<string, unknown> | undefined;
      for (const [key, value] of Object.entries(o)) {
        if (typeof value !== 'string' || value.length <= this.max || key === 'id') continue;
        out ??= { ...(o as Record<string, unknown>) };
        out[key] = this.cut(value);
      }
      if (out === undefined) return o;
      changed = true;
      return out as T;
    };
    const top = cutFields(record);
    const source = cutFields<Workload>(record.source);
    const destination = cutFields<DestinationWorkload>(record.destination);
    if (!changed) return record;
    const { id: _id, ...rest } = { ...top, source, destination };
    return { id: accessLogId(rest), ...rest };
  }
}
