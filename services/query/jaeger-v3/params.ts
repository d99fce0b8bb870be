/**
 * Query parameters of Jaeger's api_v3 over HTTP: the camelCase names (Jaeger ≥ 2.19) and the
 * older snake_case ones, RFC 3339 times, Go durations, with Jaeger's error texts. Every refusal
 * is a {@link V3ParamError}, which the routes answer with 400 in api_v3's error shape.
 */
import { z } from 'zod';
import { parseDurationNanos } from '../../../shared/model/go-duration.js';
import { parseTraceId } from '../jaeger/ids.js';
import { SpanKind } from '../../../shared/model/span.js';
import type { TraceQuery } from '../../../shared/storage/spanstore.js';
import { parseRfc3339Nanos } from './rfc3339.js';

export class V3ParamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'V3ParamError';
  }
}

/** fastify hands repeated parameters over as arrays; the first value counts, as Go's url.Values.Get. */
const param = z.union([z.string(), z.array(z.string())]).optional();
export const v3QuerySchema = z.record(z.string(), param);
export type V3Query = z.infer<typeof v3QuerySchema>;

/** The value under the canonical name, else under its deprecated alias, with the name it came from. */
function get(q: V3Query, canonical: string, deprecated?: string): { value: string; name: string } | undefined {
  for (const name of deprecated === undefined ? [canonical] : [canonical, deprecated]) {
    const raw = q[name];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value !== undefined && value !== '') return { value, name };
  }
  return undefined;
}

function malformed(name: string, reason: string): V3ParamError {
  return new V3ParamError(`malformed parameter ${name}: ${reason}`);
}

function timeNanos(q: V3Query, canonical: string, deprecated: string): bigint | undefined {
  const found = get(q, canonical, deprecated);
  if (found === undefined) return undefined;
  const nanos = parseRfc3339Nanos(found.value);
  if (nanos === undefined) throw malformed(found.name, `parsing time ${JSON.stringify(found.value)} as RFC 3339`);
  return nanos;
}

function boolParam(q: V3Query, canonical: string, deprecated: string): boolean {
  const found = get(q, canonical, deprecated);
  if (found === undefined) return false;
  // Go's strconv.ParseBool.
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(found.value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(found.value)) return false;
  throw malformed(found.name, `strconv.ParseBool: parsing ${JSON.stringify(found.value)}: invalid syntax`);
}

const BASE64_ID = /^[A-Za-z0-9+/_-]{22}(?:==)?$/;

/** Hex (1..32 characters), or — as Jaeger's gateway also takes — the 16 bytes in base64 (22 or 24 characters). */
export function parseTraceIdV3(text: string): string {
  try {
    return parseTraceId(text);
  } catch (err) {
    if (BASE64_ID.test(text)) {
      const bytes = Buffer.from(text, 'base64');
      if (bytes.length === 16) return bytes.toString('hex');
    }
    throw malformed('trace_id', (err as Error).message);
  }
}

export interface GetTraceRequest {
  readonly hint: { startTimeUs?: number; endTimeUs?: number };
  readonly raw: boolean;
}

export function parseGetTrace(q: V3Query): GetTraceRequest {
  const start = timeNanos(q, 'startTime', 'start_time');
  const end = timeNanos(q, 'endTime', 'end_time');
  return {
    hint: {
      ...(start !== undefined && { startTimeUs: Number(start / 1000n) }),
      ...(end !== undefined && { endTimeUs: Number(end / 1000n) }),
    },
    raw: boolParam(q, 'rawTraces', 'raw_traces'),
  };
}

export interface FindTracesRequest {
  readonly query: TraceQuery;
  readonly raw: boolean;
}

export interface SearchLimits {
  /** Traces when `query.searchDepth` is absent (Jaeger: 100). */
  readonly defaultLimit: number;
  /** Larger depths are served as this many. */
  readonly maxLimit: number;
}

export function parseFindTraces(q: V3Query, limits: SearchLimits): FindTracesRequest {
  const service = get(q, 'query.serviceName', 'query.service_name')?.value;
  const operation = get(q, 'query.operationName', 'query.operation_name')?.value;
  const tags: Record<string, string> = {};
  const attributes = get(q, 'query.attributes');
  if (attributes !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(attributes.value);
    } catch (err) {
      throw malformed('query.attributes', (err as Error).message);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw malformed('query.attributes', 'expected a JSON object of strings');
    for (const [key, value] of Object.entries(parsed)) {
      if (typeof value !== 'string') throw malformed('query.attributes', `value of ${JSON.stringify(key)} is not a string`);
      tags[key] = value;
    }
  }
  if (get(q, 'query.filter') !== undefined) throw new V3ParamError('query.filter is not supported by this server');

  const min = timeNanos(q, 'query.startTimeMin', 'query.start_time_min');
  const max = timeNanos(q, 'query.startTimeMax', 'query.start_time_max');
  if (min === undefined || max === undefined) throw new V3ParamError('query.startTimeMin and query.startTimeMax are required');
  if (min >= max) throw new V3ParamError('query.startTimeMin must be before query.startTimeMax');

  const depth = get(q, 'query.searchDepth', 'query.search_depth') ?? get(q, 'query.num_traces');
  let limit = limits.defaultLimit;
  if (depth !== undefined) {
    if (!/^[+-]?\d+$/.test(depth.value)) throw malformed(depth.name, `strconv.Atoi: parsing ${JSON.stringify(depth.value)}: invalid syntax`);
    const n = Number(depth.value);
    limit = n <= 0 ? limits.defaultLimit : Math.min(n, limits.maxLimit);
  }

  const durationUs = (canonical: string, deprecated: string): number | undefined => {
    const found = get(q, canonical, deprecated);
    if (found === undefined) return undefined;
    try {
      return parseDurationNanos(found.value) / 1000;
    } catch (err) {
      throw malformed(found.name, (err as Error).message);
    }
  };
  const durationMinUs = durationUs('query.durationMin', 'query.duration_min');
  const durationMaxUs = durationUs('query.durationMax', 'query.duration_max');

  return {
    raw: boolParam(q, 'query.rawTraces', 'query.raw_traces'),
    query: {
      ...(service !== undefined && { service }),
      ...(operation !== undefined && { operation }),
      tags,
      startTimeMinUs: Number(min / 1000n),
      startTimeMaxUs: Number(max / 1000n),
      ...(durationMinUs !== undefined && { durationMinUs }),
      ...(durationMaxUs !== undefined && { durationMaxUs }),
      limit,
    },
  };
}

const KINDS: Readonly<Record<string, SpanKind>> = {
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
  internal: SpanKind.INTERNAL,
};

/**
 * `service` and `spanKind`/`span_kind`. Jaeger passes the kind to storage as text: an empty or
 * `unspecified` kind lists every kind, an unknown one matches nothing (null here).
 */
export function parseOperations(q: V3Query): { service: string; spanKind?: SpanKind } | null {
  const service = get(q, 'service')?.value ?? '';
  const kind = get(q, 'spanKind', 'span_kind')?.value;
  if (kind === undefined || kind === 'unspecified') return { service };
  const spanKind = KINDS[kind];
  return spanKind === undefined ? null : { service, spanKind };
}
