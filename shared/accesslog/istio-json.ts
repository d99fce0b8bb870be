/**
 * Istio's JSON access-log lines (`EnvoyJSONLogFormatIstio`, reference §3) normalized to
 * AccessLogRecord. Each known key is the same Envoy operator as in the TEXT format and is read by
 * the same code (envoy-operators.ts); numbers are JSON numbers, missing values `null`. Keys we do
 * not know (labels a mesh operator added to the format) are kept in `attributes`.
 */
import type { AccessLogRecord } from '../model/access-log.js';
import { applyOperator, type OperatorRef } from './envoy-operators.js';
import { AccessLogParseError, quoteValue } from './errors.js';
import type { LineParseOptions } from './istio-text.js';
import { finishRecord, newDraft } from './record-draft.js';

const op = (command: string, args?: string): OperatorRef => ({ command, args });

/** Istio's JSON keys and the operator each one prints. */
export const ISTIO_JSON_KEYS: Readonly<Record<string, OperatorRef>> = {
  start_time: op('START_TIME'),
  method: op('REQ', ':METHOD'),
  path: op('REQ', 'X-ENVOY-ORIGINAL-PATH?:PATH'),
  protocol: op('PROTOCOL'),
  response_code: op('RESPONSE_CODE'),
  response_flags: op('RESPONSE_FLAGS'),
  response_code_details: op('RESPONSE_CODE_DETAILS'),
  connection_termination_details: op('CONNECTION_TERMINATION_DETAILS'),
  upstream_transport_failure_reason: op('UPSTREAM_TRANSPORT_FAILURE_REASON'),
  bytes_received: op('BYTES_RECEIVED'),
  bytes_sent: op('BYTES_SENT'),
  duration: op('DURATION'),
  upstream_service_time: op('RESP', 'X-ENVOY-UPSTREAM-SERVICE-TIME'),
  x_forwarded_for: op('REQ', 'X-FORWARDED-FOR'),
  user_agent: op('REQ', 'USER-AGENT'),
  request_id: op('REQ', 'X-REQUEST-ID'),
  authority: op('REQ', ':AUTHORITY'),
  upstream_host: op('UPSTREAM_HOST'),
  upstream_cluster: op('UPSTREAM_CLUSTER_RAW'),
  upstream_local_address: op('UPSTREAM_LOCAL_ADDRESS'),
  downstream_local_address: op('DOWNSTREAM_LOCAL_ADDRESS'),
  downstream_remote_address: op('DOWNSTREAM_REMOTE_ADDRESS'),
  requested_server_name: op('REQUESTED_SERVER_NAME'),
  route_name: op('ROUTE_NAME'),
  // Not in Istio's default, but the names people commonly give these operators when they add them.
  traceparent: op('REQ', 'TRACEPARENT'),
  trace_id: op('TRACE_ID'),
  grpc_status: op('GRPC_STATUS'),
};

/** Parses one JSON line. Throws AccessLogParseError naming the key and its value when a type is wrong. */
export function parseIstioJsonLine(line: string, defaults?: Partial<AccessLogRecord>): AccessLogRecord {
  return parseIstioJsonObject(parseJsonObject(line), { defaults });
}

/** A JSON access-log line as an object; AccessLogParseError when it is not JSON or not an object. */
export function parseJsonObject(line: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    throw new AccessLogParseError(`line is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AccessLogParseError(`JSON access-log line must be an object, found ${quoteValue(parsed)}`);
  }
  return parsed as Record<string, unknown>;
}

/** An already parsed JSON entry (e.g. one element of a JSON array body). */
export function parseIstioJsonObject(entry: Readonly<Record<string, unknown>>, options: LineParseOptions = {}): AccessLogRecord {
  const draft = newDraft();
  for (const [key, value] of Object.entries(entry)) {
    if (value === null || value === undefined) continue;
    const operator = ISTIO_JSON_KEYS[key];
    if (operator) applyOperator(draft, operator, scalarText(key, value), key);
    else draft.attributes[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return finishRecord(draft, options.defaults, options.reportingWorkload);
}

/**
 * Known keys hold a string or a number (Envoy prints typed operators as numbers, headers as
 * strings). An object, array or boolean there means the line is not what it claims to be.
 * The operator then checks the text itself (a number where one is due).
 */
function scalarText(key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new AccessLogParseError(`${key}: expected a string or number, found ${quoteValue(value)}`, key);
}
