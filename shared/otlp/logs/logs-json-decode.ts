/**
 * OTLP/JSON ExportLogsServiceRequest → OtlpLogRecord[] (rules in shared/otlp/common/common-json.ts). Ids
 * are kept as sent (lower-cased) even when they are not hex, so validation rejects those records
 * one by one instead of the whole request failing.
 */
import type { AnyValue, InstrumentationScope, Resource } from '../../model/span.js';
import {
  field, isJsonObject, readAnyValue, readAttributes, readEnum, readId, readObject, readObjects, readResource, readScope,
  readString, readUint32, readUint64, type JsonObject,
} from '../common/common-json.js';
import { DecodeProblem, toOtlpDecodeError, within } from '../../wire/decode-errors.js';
import { MAX_SEVERITY_NUMBER, type OtlpLogRecord } from './logs-model.js';

const SEVERITY_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

/** SEVERITY_NUMBER_UNSPECIFIED, SEVERITY_NUMBER_TRACE … SEVERITY_NUMBER_FATAL4, as logs.proto names them. */
const SEVERITY_NUMBER_NAMES: Readonly<Record<string, number>> = (() => {
  const names: Record<string, number> = { SEVERITY_NUMBER_UNSPECIFIED: 0 };
  SEVERITY_LEVELS.forEach((level, i) => {
    for (let step = 1; step <= 4; step++) names[`SEVERITY_NUMBER_${level}${step === 1 ? '' : step}`] = i * 4 + step;
  });
  return names;
})();

export function decodeLogsJsonBody(body: string): OtlpLogRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw toOtlpDecodeError(new DecodeProblem(err instanceof Error ? err.message : String(err)), 'invalid JSON');
  }
  const out: OtlpLogRecord[] = [];
  try {
    if (!isJsonObject(parsed)) throw new DecodeProblem('expected a JSON object at the top level');
    let resourceIndex = 0;
    readObjects(parsed, 'resourceLogs', 'resource_logs', (rl) => readResourceLogs(rl, resourceIndex++, out));
  } catch (err) {
    throw toOtlpDecodeError(err, 'invalid OTLP/JSON ExportLogsServiceRequest');
  }
  return out;
}

function readResourceLogs(o: JsonObject, resourceIndex: number, out: OtlpLogRecord[]): void {
  const schemaUrl = readString(o, 'schemaUrl', 'schema_url');
  const resource = readResource(readObject(o, 'resource'), schemaUrl);
  let scopeIndex = 0;
  const read = (sl: JsonObject, legacy: boolean) => readScopeLogs(sl, resource, legacy, resourceIndex, scopeIndex++, out);
  const done = readObjects(o, 'scopeLogs', 'scope_logs', (sl) => read(sl, false));
  // Pre-1.0 senders: instrumentationLibraryLogs, read only when scopeLogs is absent (as the Collector does).
  if (done === undefined) readObjects(o, 'instrumentationLibraryLogs', 'instrumentation_library_logs', (sl) => read(sl, true));
}

function readScopeLogs(
  o: JsonObject, resource: Resource, legacy: boolean, resourceIndex: number, scopeIndex: number, out: OtlpLogRecord[],
): void {
  const schemaUrl = readString(o, 'schemaUrl', 'schema_url');
  const scope = legacy
    ? readScope(readObject(o, 'instrumentationLibrary', 'instrumentation_library'), schemaUrl, 'instrumentationLibrary')
    : readScope(readObject(o, 'scope'), schemaUrl);
  let recordIndex = 0;
  readObjects(o, 'logRecords', 'log_records', (lr) => out.push(readLogRecord(lr, resource, scope, resourceIndex, scopeIndex, recordIndex++)));
}

function readLogRecord(
  o: JsonObject, resource: Resource, scope: InstrumentationScope, resourceIndex: number, scopeIndex: number, recordIndex: number,
): OtlpLogRecord {
  let body: AnyValue;
  try {
    body = readAnyValue(o.body, 0);
  } catch (err) {
    throw within(err, 'body');
  }
  return {
    resource,
    scope,
    timeUnixNano: readUint64(o, 'timeUnixNano', 'time_unix_nano'),
    observedTimeUnixNano: readUint64(o, 'observedTimeUnixNano', 'observed_time_unix_nano'),
    severityNumber: readEnum(o, 'severityNumber', 'severity_number', SEVERITY_NUMBER_NAMES, MAX_SEVERITY_NUMBER),
    severityText: field(o, 'severityText', 'severity_text') === undefined ? undefined : readString(o, 'severityText', 'severity_text'),
    body,
    attributes: readAttributes(o),
    droppedAttributesCount: readUint32(o, 'droppedAttributesCount', 'dropped_attributes_count'),
    flags: readUint32(o, 'flags'),
    traceId: readId(o, 'traceId', 'trace_id'),
    spanId: readId(o, 'spanId', 'span_id'),
    eventName: readString(o, 'eventName', 'event_name'),
    resourceIndex,
    scopeIndex,
    recordIndex,
  };
}
