/**
 * OTLP/JSON ExportTraceServiceRequest → SpanRecord[] (rules in common-json.ts). Ids are kept as
 * sent (lower-cased) even when they are not hex, so validation rejects those spans one by one
 * instead of the whole request failing.
 */
import {
  SpanKind, StatusCode, serviceNameOf,
  type InstrumentationScope, type Resource, type SpanEvent, type SpanLink, type SpanRecord, type SpanStatus,
} from '../../model/span.js';
import {
  isJsonObject, readAttributes, readEnum, readId, readObject, readObjects, readResource, readScope, readString,
  readUint32, readUint64, type JsonObject,
} from '../common/common-json.js';
import { DecodeProblem, toOtlpDecodeError, within } from '../../wire/decode-errors.js';
import { UNSET_STATUS } from './traces-protobuf-decode.js';

const SPAN_KIND_NAMES: Readonly<Record<string, number>> = {
  SPAN_KIND_UNSPECIFIED: SpanKind.UNSPECIFIED,
  SPAN_KIND_INTERNAL: SpanKind.INTERNAL,
  SPAN_KIND_SERVER: SpanKind.SERVER,
  SPAN_KIND_CLIENT: SpanKind.CLIENT,
  SPAN_KIND_PRODUCER: SpanKind.PRODUCER,
  SPAN_KIND_CONSUMER: SpanKind.CONSUMER,
};

const STATUS_CODE_NAMES: Readonly<Record<string, number>> = {
  STATUS_CODE_UNSET: StatusCode.UNSET,
  STATUS_CODE_OK: StatusCode.OK,
  STATUS_CODE_ERROR: StatusCode.ERROR,
};

const NO_EVENTS: readonly SpanEvent[] = Object.freeze([]);
const NO_LINKS: readonly SpanLink[] = Object.freeze([]);

export function decodeTracesJsonBody(body: string): SpanRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw toOtlpDecodeError(new DecodeProblem(err instanceof Error ? err.message : String(err)), 'invalid JSON');
  }
  const out: SpanRecord[] = [];
  try {
    if (!isJsonObject(parsed)) throw new DecodeProblem('expected a JSON object at the top level');
    readObjects(parsed, 'resourceSpans', 'resource_spans', (rs) => readResourceSpans(rs, out));
  } catch (err) {
    throw toOtlpDecodeError(err, 'invalid OTLP/JSON ExportTraceServiceRequest');
  }
  return out;
}

function readResourceSpans(o: JsonObject, out: SpanRecord[]): void {
  const schemaUrl = readString(o, 'schemaUrl', 'schema_url');
  const resource = readResource(readObject(o, 'resource'), schemaUrl);
  const serviceName = serviceNameOf(resource);
  const read = (ss: JsonObject, legacy: boolean) => readScopeSpans(ss, resource, serviceName, legacy, out);
  const done = readObjects(o, 'scopeSpans', 'scope_spans', (ss) => read(ss, false));
  // Pre-1.0 senders: instrumentationLibrarySpans, read only when scopeSpans is absent (as the Collector does).
  if (done === undefined) readObjects(o, 'instrumentationLibrarySpans', 'instrumentation_library_spans', (ss) => read(ss, true));
}

function readScopeSpans(o: JsonObject, resource: Resource, serviceName: string, legacy: boolean, out: SpanRecord[]): void {
  const schemaUrl = readString(o, 'schemaUrl', 'schema_url');
  const scope = legacy
    ? readScope(readObject(o, 'instrumentationLibrary', 'instrumentation_library'), schemaUrl, 'instrumentationLibrary')
    : readScope(readObject(o, 'scope'), schemaUrl);
  readObjects(o, 'spans', undefined, (s) => out.push(readSpan(s, resource, scope, serviceName)));
}

function readSpan(o: JsonObject, resource: Resource, scope: InstrumentationScope, serviceName: string): SpanRecord {
  return {
    traceId: readId(o, 'traceId', 'trace_id'),
    spanId: readId(o, 'spanId', 'span_id'),
    parentSpanId: readId(o, 'parentSpanId', 'parent_span_id'),
    traceState: readString(o, 'traceState', 'trace_state'),
    flags: readUint32(o, 'flags'),
    name: readString(o, 'name'),
    kind: readEnum(o, 'kind', undefined, SPAN_KIND_NAMES, SpanKind.CONSUMER) as SpanKind,
    startTimeUnixNano: readUint64(o, 'startTimeUnixNano', 'start_time_unix_nano'),
    endTimeUnixNano: readUint64(o, 'endTimeUnixNano', 'end_time_unix_nano'),
    attributes: readAttributes(o),
    droppedAttributesCount: readUint32(o, 'droppedAttributesCount', 'dropped_attributes_count'),
    events: readObjects(o, 'events', undefined, readEvent) ?? NO_EVENTS,
    droppedEventsCount: readUint32(o, 'droppedEventsCount', 'dropped_events_count'),
    links: readObjects(o, 'links', undefined, readLink) ?? NO_LINKS,
    droppedLinksCount: readUint32(o, 'droppedLinksCount', 'dropped_links_count'),
    status: readStatus(readObject(o, 'status')),
    resource,
    scope,
    serviceName,
  };
}

function readEvent(o: JsonObject): SpanEvent {
  return {
    timeUnixNano: readUint64(o, 'timeUnixNano', 'time_unix_nano'),
    name: readString(o, 'name'),
    attributes: readAttributes(o),
    droppedAttributesCount: readUint32(o, 'droppedAttributesCount', 'dropped_attributes_count'),
  };
}

function readLink(o: JsonObject): SpanLink {
  return {
    traceId: readId(o, 'traceId', 'trace_id'),
    spanId: readId(o, 'spanId', 'span_id'),
    traceState: readString(o, 'traceState', 'trace_state'),
    attributes: readAttributes(o),
    droppedAttributesCount: readUint32(o, 'droppedAttributesCount', 'dropped_attributes_count'),
    flags: readUint32(o, 'flags'),
  };
}

function readStatus(o: JsonObject | undefined): SpanStatus {
  if (o === undefined) return UNSET_STATUS;
  try {
    const code = readEnum(o, 'code', undefined, STATUS_CODE_NAMES, StatusCode.ERROR) as StatusCode;
    const message = readString(o, 'message');
    return code === StatusCode.UNSET && message === '' ? UNSET_STATUS : { code, message };
  } catch (err) {
    throw within(err, 'status');
  }
}
