/**
 * Hand-written decoder: protobuf ExportLogsServiceRequest (or LogsData) → OtlpLogRecord[], on the
 * wire reader the trace decoder uses (shared/wire/wire-reader.ts). Resource and scope are decoded
 * once per ResourceLogs / ScopeLogs and shared by their records.
 */
import type { AnyValue, InstrumentationScope, KeyValue, Resource } from '../../model/span.js';
import {
  EMPTY_VALUE, NO_ATTRIBUTES, decodeAnyValue, decodeResource, decodeScope, emptyResource, emptyScope, locateResourceGroup, readKeyValueInto,
  rethrowIn,
} from '../common/common-decode.js';
import { toOtlpDecodeError, within } from '../../wire/decode-errors.js';
import { ProtoReader } from '../../wire/wire-reader.js';
import { MAX_SEVERITY_NUMBER, type OtlpLogRecord } from './logs-model.js';

// Field names by number, for error paths (repeated fields name themselves with their index).
const LOG_RECORD_FIELDS = [
  undefined, 'timeUnixNano', 'severityNumber', 'severityText', undefined, 'body', undefined, 'droppedAttributesCount',
  'flags', 'traceId', 'spanId', 'observedTimeUnixNano', 'eventName',
];
const SCOPE_LOGS_FIELDS = [undefined, 'scope', undefined, 'schemaUrl'];


export function decodeLogsProtobufBody(body: Uint8Array): OtlpLogRecord[] {
  const r = new ProtoReader(body);
  const out: OtlpLogRecord[] = [];
  const end = body.length;
  try {
    let index = 0;
    while (r.pos < end) {
      const tag = r.tag(end);
      if (tag === 0x0a) {
        try {
          const stop = r.lengthDelimited(end);
          decodeResourceLogs(r, stop, index, out);
          r.pos = stop;
        } catch (err) {
          throw within(err, 'resourceLogs', index);
        }
        index++;
      } else r.skip(tag, end);
    }
  } catch (err) {
    throw toOtlpDecodeError(err, 'invalid protobuf ExportLogsServiceRequest');
  }
  return out;
}

/** Two passes, as for spans: fields may come in any order (records before their resource). */
function decodeResourceLogs(r: ProtoReader, end: number, resourceIndex: number, out: OtlpLogRecord[]): void {
  const { resourceStart, resourceEnd, schemaUrl, scopeRanges, scopesField } = locateResourceGroup(r, end, {
    scopes: 'scopeLogs',
    legacyScopes: 'instrumentationLibraryLogs',
  });

  let resource: Resource;
  if (resourceStart >= 0) {
    r.pos = resourceStart;
    try {
      resource = decodeResource(r, resourceEnd, schemaUrl);
    } catch (err) {
      throw within(err, 'resource');
    }
  } else resource = emptyResource(schemaUrl);

  for (let i = 0; i < scopeRanges.length; i += 2) {
    r.pos = scopeRanges[i];
    try {
      decodeScopeLogs(r, scopeRanges[i + 1], resource, resourceIndex, i / 2, out);
    } catch (err) {
      throw within(err, scopesField, i / 2);
    }
  }
}

function decodeScopeLogs(
  r: ProtoReader, end: number, resource: Resource, resourceIndex: number, scopeIndex: number, out: OtlpLogRecord[],
): void {
  let scopeStart = -1;
  let scopeEnd = -1;
  let schemaUrl = '';
  const recordRanges: number[] = [];
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      if (tag === 0x12) {
        const stop = r.lengthDelimited(end);
        recordRanges.push(r.pos, stop);
        r.pos = stop;
      } else if (tag === 0x0a) {
        scopeEnd = r.lengthDelimited(end);
        scopeStart = r.pos;
        r.pos = scopeEnd;
      } else if (tag === 0x1a) {
        schemaUrl = r.string(end);
      } else r.skip(tag, end);
    }
  } catch (err) {
    if (tag === 0x12) throw within(err, 'logRecords', recordRanges.length / 2);
    rethrowIn(err, SCOPE_LOGS_FIELDS, tag);
  }

  let scope: InstrumentationScope;
  if (scopeStart >= 0) {
    r.pos = scopeStart;
    try {
      scope = decodeScope(r, scopeEnd, schemaUrl);
    } catch (err) {
      throw within(err, 'scope');
    }
  } else scope = emptyScope(schemaUrl);

  for (let i = 0; i < recordRanges.length; i += 2) {
    r.pos = recordRanges[i];
    try {
      out.push(decodeLogRecord(r, recordRanges[i + 1], resource, scope, resourceIndex, scopeIndex, i / 2));
    } catch (err) {
      throw within(err, 'logRecords', i / 2);
    }
  }
}

function decodeLogRecord(
  r: ProtoReader, end: number, resource: Resource, scope: InstrumentationScope,
  resourceIndex: number, scopeIndex: number, recordIndex: number,
): OtlpLogRecord {
  let timeUnixNano = 0n;
  let observedTimeUnixNano = 0n;
  let severityNumber = 0;
  let severityText: string | undefined;
  let body: AnyValue = EMPTY_VALUE;
  let attributes: KeyValue[] | undefined;
  let droppedAttributesCount = 0;
  let flags = 0;
  let traceId = '';
  let spanId = '';
  let eventName = '';
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      switch (tag) {
        case 0x09: timeUnixNano = r.fixed64(end); break;
        case 0x10: severityNumber = r.uint32(end); break;
        case 0x1a: severityText = r.string(end); break;
        case 0x2a: {
          const stop = r.lengthDelimited(end);
          body = decodeAnyValue(r, stop, 0);
          r.pos = stop;
          break;
        }
        case 0x32: attributes = readKeyValueInto(r, end, attributes, 'attributes'); break;
        case 0x38: droppedAttributesCount = r.uint32(end); break;
        case 0x45: flags = r.fixed32(end); break;
        case 0x4a: traceId = r.hex(end); break;
        case 0x52: spanId = r.hex(end); break;
        case 0x59: observedTimeUnixNano = r.fixed64(end); break;
        case 0x62: eventName = r.string(end); break;
        default: r.skip(tag, end);
      }
    }
  } catch (err) {
    rethrowIn(err, LOG_RECORD_FIELDS, tag);
  }
  return {
    resource,
    scope,
    timeUnixNano,
    observedTimeUnixNano,
    // proto3 enums are open; numbers this version does not know are read as "unspecified".
    severityNumber: severityNumber <= MAX_SEVERITY_NUMBER ? severityNumber : 0,
    severityText,
    body,
    attributes: attributes ?? NO_ATTRIBUTES,
    droppedAttributesCount,
    flags,
    traceId,
    spanId,
    eventName,
    resourceIndex,
    scopeIndex,
    recordIndex,
  };
}
