/**
 * Query-string parsing for the Jaeger API: the parameters, defaults and error texts of Jaeger's
 * own query parser, so clients written against Jaeger (Jaeger UI, Grafana) behave the same here.
 * Every refusal is a {@link JaegerParamError} whose message names the parameter; the route turns
 * it into a 400 in Jaeger's envelope.
 */
import { z } from 'zod';
import { SpanKind } from '../../../shared/model/span.js';
import { parseDurationNanos } from '../../../shared/model/go-duration.js';
import { parseTraceId } from './ids.js';
import type { TraceQuery } from '../../../shared/storage/spanstore.js';

export class JaegerParamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JaegerParamError';
  }
}

/** Repeated parameters arrive as arrays (fastify's query parser); anything else is a string. */
const param = z.union([z.string(), z.array(z.string())]).optional();

export const searchQuerySchema = z.object({
  service: param,
  operation: param,
  tags: param,
  tag: param,
  start: param,
  end: param,
  minDuration: param,
  maxDuration: param,
  limit: param,
  /** Sent by the Jaeger UI and older Grafana, ignored like Jaeger does: start/end already say it. */
  lookback: param,
  traceID: param,
  raw: param,
});
export const traceQuerySchema = z.object({ start: param, end: param, raw: param });
export const operationsQuerySchema = z.object({ service: param, spanKind: param });
export const dependenciesQuerySchema = z.object({ endTs: param, lookback: param, service: param });

type Param = z.infer<typeof param>;

const DAY_MS = 24 * 60 * 60 * 1000;
/** Jaeger's default search window when `start` is absent. */
const DEFAULT_SEARCH_LOOKBACK_US = 2 * DAY_MS * 1000;
const DEFAULT_DEPENDENCIES_LOOKBACK_MS = DAY_MS;
/**
 * Grafana's Jaeger data source sends trace-by-id `start`/`end` in milliseconds while Jaeger
 * reads microseconds. 1e14 µs is 1973, 1e14 ms is year 5138: below it, a value is milliseconds.
 */
const MILLIS_BELOW = 1e14;

/** The first value of a parameter; '' counts as absent (clients send empty fields). */
function single(value: Param): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v === undefined || v === '' ? undefined : v;
}

function all(value: Param): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function integerParam(name: string, value: Param): number | undefined {
  const text = single(value);
  if (text === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new JaegerParamError(`unable to parse param '${name}': ${JSON.stringify(text)} is not an integer`);
  }
  return Number(text);
}

function durationParamUs(name: string, value: Param): number | undefined {
  const text = single(value);
  if (text === undefined) return undefined;
  try {
    return parseDurationNanos(text) / 1000;
  } catch (err) {
    throw new JaegerParamError(`unable to parse param '${name}': ${(err as Error).message}`);
  }
}

/** Go's strconv.ParseBool, which Jaeger uses for `raw`. */
export function parseRaw(value: Param): boolean {
  const text = single(value);
  if (text === undefined) return false;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(text)) return false;
  throw new JaegerParamError(`unable to parse param 'raw': ${JSON.stringify(text)} is not a boolean`);
}

export function parseTraceIdParam(text: string): string {
  try {
    return parseTraceId(text);
  } catch (err) {
    throw new JaegerParamError(`cannot parse traceID param: ${(err as Error).message}`);
  }
}

/**
 * `tag=key:value` (split at the first ':') first, then `tags` JSON objects; later keys win.
 * Jaeger accepts only string values in `tags`; numbers and booleans are taken too (as their
 * text), since a hand-written `{"http.status_code":500}` clearly means the same thing.
 */
export function parseTags(tag: Param, tags: Param): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of all(tag)) {
    const colon = pair.indexOf(':');
    if (colon < 0) throw new JaegerParamError(`malformed 'tag' parameter, expecting key:value, received: ${pair}`);
    out[pair.slice(0, colon)] = pair.slice(colon + 1);
  }
  for (const text of all(tags)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new JaegerParamError(`malformed 'tags' parameter, cannot unmarshal JSON: ${(err as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new JaegerParamError(`malformed 'tags' parameter, cannot unmarshal JSON: expected an object of key/value strings`);
    }
    for (const [key, value] of Object.entries(parsed)) {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        throw new JaegerParamError(`malformed 'tags' parameter, cannot unmarshal JSON: value of ${JSON.stringify(key)} is not a string`);
      }
      out[key] = String(value);
    }
  }
  return out;
}

export type SearchRequest =
  | { readonly kind: 'ids'; readonly traceIds: string[]; readonly raw: boolean }
  | { readonly kind: 'search'; readonly query: TraceQuery; readonly raw: boolean };

export interface LimitSettings {
  readonly defaultLimit: number;
  readonly maxLimit: number;
}

export function parseSearch(q: z.infer<typeof searchQuerySchema>, limits: LimitSettings, nowMs: number): SearchRequest {
  const raw = parseRaw(q.raw);
  const ids = all(q.traceID).filter((id) => id !== '');
  // Like Jaeger: trace ids replace the search; the other parameters are not looked at.
  if (ids.length > 0) return { kind: 'ids', traceIds: ids.map(parseTraceIdParam), raw };

  const endUs = integerParam('end', q.end) ?? nowMs * 1000;
  const startUs = integerParam('start', q.start) ?? endUs - DEFAULT_SEARCH_LOOKBACK_US;
  if (startUs > endUs) throw new JaegerParamError(`'start' (${startUs}) must not be after 'end' (${endUs})`);

  const durationMinUs = durationParamUs('minDuration', q.minDuration);
  const durationMaxUs = durationParamUs('maxDuration', q.maxDuration);
  if (durationMinUs !== undefined && durationMaxUs !== undefined && durationMaxUs < durationMinUs) {
    throw new JaegerParamError(`'maxDuration' should be greater than 'minDuration'`);
  }

  const limit = integerParam('limit', q.limit);
  if (limit !== undefined && limit < 0) throw new JaegerParamError(`unable to parse param 'limit': must not be negative, got ${limit}`);

  const service = single(q.service);
  const operation = single(q.operation);
  return {
    kind: 'search',
    raw,
    query: {
      ...(service !== undefined && { service }),
      ...(operation !== undefined && { operation }),
      tags: parseTags(q.tag, q.tags),
      startTimeMinUs: startUs,
      startTimeMaxUs: endUs,
      ...(durationMinUs !== undefined && { durationMinUs }),
      ...(durationMaxUs !== undefined && { durationMaxUs }),
      // Jaeger treats 0 as "not given"; more than the maximum is served as the maximum, not refused.
      limit: limit === undefined || limit === 0 ? limits.defaultLimit : Math.min(limit, limits.maxLimit),
    },
  };
}

/** Trace-by-id time hint, in µs; see {@link MILLIS_BELOW}. */
export function parseTraceHint(q: z.infer<typeof traceQuerySchema>): { startTimeUs?: number; endTimeUs?: number } {
  const toUs = (v: number | undefined) => (v === undefined ? undefined : Math.abs(v) < MILLIS_BELOW ? v * 1000 : v);
  const startTimeUs = toUs(integerParam('start', q.start));
  const endTimeUs = toUs(integerParam('end', q.end));
  return {
    ...(startTimeUs !== undefined && { startTimeUs }),
    ...(endTimeUs !== undefined && { endTimeUs }),
  };
}

const SPAN_KINDS: Readonly<Record<string, SpanKind>> = {
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
  internal: SpanKind.INTERNAL,
};

/** Jaeger reads `unspecified` as "no kind given": every kind is listed. */
const ANY_KIND = 'unspecified';

export function parseOperationsQuery(q: z.infer<typeof operationsQuerySchema>): { service: string; spanKind?: SpanKind } {
  const service = single(q.service);
  if (service === undefined) throw new JaegerParamError(`parameter 'service' is required`);
  const kindText = single(q.spanKind);
  if (kindText === undefined || kindText === ANY_KIND) return { service };
  const spanKind = SPAN_KINDS[kindText];
  if (spanKind === undefined) {
    throw new JaegerParamError(
      `unable to parse param 'spanKind': ${JSON.stringify(kindText)} is not one of ${[...Object.keys(SPAN_KINDS), ANY_KIND].join(', ')}`,
    );
  }
  return { service, spanKind };
}

export function parseDependenciesQuery(
  q: z.infer<typeof dependenciesQuerySchema>,
  nowMs: number,
): { endTimeMs: number; lookbackMs: number; service?: string } {
  const endTimeMs = integerParam('endTs', q.endTs) ?? nowMs;
  const lookbackMs = integerParam('lookback', q.lookback) ?? DEFAULT_DEPENDENCIES_LOOKBACK_MS;
  if (lookbackMs < 0) throw new JaegerParamError(`unable to parse param 'lookback': must not be negative, got ${lookbackMs}`);
  const service = single(q.service);
  return { endTimeMs, lookbackMs, ...(service !== undefined && { service }) };
}
