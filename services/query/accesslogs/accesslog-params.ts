/**
 * Query-string parsing for the access-log API. Conventions follow the Jaeger API next to it, so
 * one client can speak both: times in µs since the epoch, Go durations (`1.5s`, `1h`), repeated
 * parameters take their first value, empty values count as absent. Every refusal is an
 * {@link AccessLogParamError} whose message names the parameter; the route answers it with 400.
 */
import { z } from 'zod';
import type { GraphProtocol } from '../../../shared/graph/model.js';
import type { AccessLogKind, Reporter } from '../../../shared/model/access-log.js';
import { parseDurationNanos } from '../../../shared/model/go-duration.js';
import { parseTraceId } from '../jaeger/ids.js';
import type { AccessLogQuery } from '../../../shared/storage/accesslogstore.js';

export class AccessLogParamError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(`unable to parse param '${param}': ${message}`);
    this.name = 'AccessLogParamError';
  }
}

const param = z.union([z.string(), z.array(z.string())]).optional();
type Param = z.infer<typeof param>;

/** Strict: an unknown parameter (a misspelled filter) is refused by name rather than ignored. */
export const accessLogsQuerySchema = z.strictObject({
  start: param,
  end: param,
  lookback: param,
  sourceWorkload: param,
  sourceNamespace: param,
  destinationWorkload: param,
  destinationNamespace: param,
  destinationService: param,
  sourceService: param,
  requestId: param,
  protocol: param,
  responseCode: param,
  responseFlags: param,
  minDuration: param,
  traceID: param,
  reporter: param,
  kind: param,
  limit: param,
  offset: param,
});

export const traceAccessLogsQuerySchema = z.object({ start: param, end: param, kind: param, limit: param, offset: param });

export interface AccessLogLimits {
  /** Records per page when `limit` is absent (or 0, as in the Jaeger API). */
  readonly defaultLimit: number;
  /** Largest `limit` accepted; more is a 400, so one request cannot pull the whole store. */
  readonly maxLimit: number;
  /** Largest `offset` accepted: deep pages cost the store a walk over every record before them. */
  readonly maxOffset: number;
}

/** Window searched when neither `start` nor `lookback` is given: recent enough to be cheap on any store. */
export const DEFAULT_LOOKBACK_US = 3600 * 1_000_000;
/** A trace's access logs are looked for this far around the `start`/`end` hint, or before now without one. */
export const TRACE_LOOKAROUND_US = 3600 * 1_000_000;
export const DEFAULT_TRACE_WINDOW_US = 7 * 24 * 3600 * 1_000_000;
/** Grafana-style millisecond times, as in the Jaeger trace hint: below 1e14 a value is milliseconds. */
const MILLIS_BELOW = 1e14;

const REPORTERS: readonly Reporter[] = ['source', 'destination', 'waypoint', 'unknown'];
const KINDS: readonly AccessLogKind[] = ['http', 'tcp', 'log'];

function single(value: Param): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v === undefined || v === '' ? undefined : v;
}

function integerParam(name: string, value: Param): number | undefined {
  const text = single(value);
  if (text === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new AccessLogParamError(name, `${JSON.stringify(text)} is not an integer`);
  }
  return Number(text);
}

function durationParamUs(name: string, value: Param): number | undefined {
  const text = single(value);
  if (text === undefined) return undefined;
  let nanos: number;
  try {
    nanos = parseDurationNanos(text);
  } catch (err) {
    throw new AccessLogParamError(name, (err as Error).message);
  }
  if (nanos < 0) throw new AccessLogParamError(name, `must not be negative, got ${JSON.stringify(text)}`);
  return nanos / 1000;
}

/** `kind=http&kind=tcp` or `kind=http,tcp`; undefined (the store's default: http and tcp) when absent. */
function kindsParam(value: Param): AccessLogKind[] | undefined {
  const texts = (Array.isArray(value) ? value : value === undefined ? [] : [value]).flatMap((v) => v.split(',')).filter((v) => v !== '');
  if (texts.length === 0) return undefined;
  const kinds = new Set<AccessLogKind>();
  for (const text of texts) {
    if (!(KINDS as readonly string[]).includes(text)) {
      throw new AccessLogParamError('kind', `${JSON.stringify(text)} is not one of ${KINDS.join(', ')}`);
    }
    kinds.add(text as AccessLogKind);
  }
  return [...kinds];
}

function pagingParams(q: { limit?: Param; offset?: Param }, limits: AccessLogLimits, defaultLimit: number): { limit: number; offset: number } {
  const limit = integerParam('limit', q.limit);
  if (limit !== undefined && limit < 0) throw new AccessLogParamError('limit', `must not be negative, got ${limit}`);
  if (limit !== undefined && limit > limits.maxLimit) throw new AccessLogParamError('limit', `must be at most ${limits.maxLimit}, got ${limit}`);
  const offset = integerParam('offset', q.offset) ?? 0;
  if (offset < 0) throw new AccessLogParamError('offset', `must not be negative, got ${offset}`);
  if (offset > limits.maxOffset) throw new AccessLogParamError('offset', `must be at most ${limits.maxOffset}, got ${offset}`);
  return { limit: limit === undefined || limit === 0 ? defaultLimit : limit, offset };
}

/** `503` (exact) or `5xx` (class, any case). */
function responseCodeParam(value: Param): Pick<AccessLogQuery, 'responseCode' | 'responseCodeClass'> {
  const text = single(value);
  if (text === undefined) return {};
  const exact = /^\d{1,3}$/.exec(text);
  if (exact) return { responseCode: Number(text) };
  const cls = /^([1-5])xx$/i.exec(text);
  if (cls) return { responseCodeClass: Number(cls[1]) };
  throw new AccessLogParamError('responseCode', `${JSON.stringify(text)} is neither a status code (503) nor a class (1xx … 5xx)`);
}

/** One Envoy response flag (`UH`, `URX`, `NR` …). */
function responseFlagParam(value: Param): string | undefined {
  const text = single(value);
  if (text === undefined) return undefined;
  if (!/^[A-Za-z]+$/.test(text)) {
    throw new AccessLogParamError('responseFlags', `${JSON.stringify(text)} is not one response flag (e.g. UH); ask for one flag at a time`);
  }
  return text;
}

function traceIdParam(value: Param): string | undefined {
  const text = single(value);
  if (text === undefined) return undefined;
  try {
    return parseTraceId(text);
  } catch (err) {
    throw new AccessLogParamError('traceID', (err as Error).message);
  }
}

function reporterParam(value: Param): Reporter | undefined {
  const text = single(value);
  if (text === undefined) return undefined;
  if (!(REPORTERS as readonly string[]).includes(text)) {
    throw new AccessLogParamError('reporter', `${JSON.stringify(text)} is not one of ${REPORTERS.join(', ')}`);
  }
  return text as Reporter;
}

/**
 * The time window: `end` defaults to now; `start` defaults to `end - lookback`, and `lookback`
 * (a Go duration, e.g. `1h`, `30m`) to one hour. `start` wins over `lookback` when both are sent.
 */
function windowParams(q: z.infer<typeof accessLogsQuerySchema>, nowUs: number): { startTimeMinUs: number; startTimeMaxUs: number } {
  const endUs = integerParam('end', q.end) ?? nowUs;
  const lookbackUs = durationParamUs('lookback', q.lookback) ?? DEFAULT_LOOKBACK_US;
  const startUs = integerParam('start', q.start) ?? endUs - lookbackUs;
  if (startUs > endUs) throw new AccessLogParamError('start', `${startUs} must not be after 'end' (${endUs})`);
  return { startTimeMinUs: startUs, startTimeMaxUs: endUs };
}

function protocolParam(value: Param): GraphProtocol | undefined {
  const text = single(value);
  if (text === undefined) return undefined;
  if (text !== 'http' && text !== 'grpc' && text !== 'tcp') throw new AccessLogParamError('protocol', `must be http, grpc or tcp, got ${JSON.stringify(text)}`);
  return text;
}

export function parseAccessLogsQuery(q: z.infer<typeof accessLogsQuerySchema>, limits: AccessLogLimits, nowMs: number): AccessLogQuery {
  const query: { -readonly [K in keyof AccessLogQuery]: AccessLogQuery[K] } = {
    ...windowParams(q, nowMs * 1000),
    ...pagingParams(q, limits, limits.defaultLimit),
    ...responseCodeParam(q.responseCode),
  };
  // Absent filters are left out rather than set to undefined: the query reads as what was asked.
  const set = <K extends keyof AccessLogQuery>(key: K, value: AccessLogQuery[K] | undefined) => {
    if (value !== undefined) query[key] = value;
  };
  set('kinds', kindsParam(q.kind));
  set('sourceWorkload', single(q.sourceWorkload));
  set('sourceNamespace', single(q.sourceNamespace));
  set('destinationWorkload', single(q.destinationWorkload));
  set('destinationNamespace', single(q.destinationNamespace));
  set('destinationService', single(q.destinationService));
  set('sourceService', single(q.sourceService));
  set('requestId', single(q.requestId));
  set('protocol', protocolParam(q.protocol));
  set('responseFlag', responseFlagParam(q.responseFlags));
  set('minDurationUs', durationParamUs('minDuration', q.minDuration));
  set('traceId', traceIdParam(q.traceID));
  set('reporter', reporterParam(q.reporter));
  return query;
}

/**
 * `/api/traces/:traceID/accesslogs`: the trace's records. With a `start` and/or `end` hint (µs,
 * or ms as Grafana sends them, like the Jaeger trace hint) the window is the hint ± an hour;
 * without one, the last 7 days. A page holds up to `maxLimit` records by default, as a trace view
 * wants all of them at once.
 */
export function parseTraceAccessLogsQuery(
  traceIdText: string,
  q: z.infer<typeof traceAccessLogsQuerySchema>,
  limits: AccessLogLimits,
  nowMs: number,
): AccessLogQuery {
  const traceId = traceIdParam(traceIdText);
  if (traceId === undefined) throw new AccessLogParamError('traceID', 'empty');
  const toUs = (v: number | undefined) => (v === undefined ? undefined : Math.abs(v) < MILLIS_BELOW ? v * 1000 : v);
  const hintStart = toUs(integerParam('start', q.start));
  const hintEnd = toUs(integerParam('end', q.end));
  const nowUs = nowMs * 1000;
  const from = hintStart ?? hintEnd;
  const to = hintEnd ?? hintStart;
  if (from !== undefined && to !== undefined && from > to) throw new AccessLogParamError('start', `${from} must not be after 'end' (${to})`);
  const window =
    from === undefined || to === undefined
      ? { startTimeMinUs: nowUs - DEFAULT_TRACE_WINDOW_US, startTimeMaxUs: nowUs }
      : { startTimeMinUs: from - TRACE_LOOKAROUND_US, startTimeMaxUs: to + TRACE_LOOKAROUND_US };
  const kinds = kindsParam(q.kind);
  return {
    traceId,
    ...window,
    ...(kinds !== undefined && { kinds }),
    ...pagingParams(q, limits, limits.maxLimit),
  };
}
