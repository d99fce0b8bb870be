/**
 * Query-string parsing for the graph APIs. Times in µs since the epoch like the rest of the API,
 * default window the last 15 minutes (Kiali's default); `step` is a Go duration (`30s`, `5m`) or a
 * number of seconds. Unknown parameters are refused by name: a misspelled filter must not
 * silently widen the answer. Every refusal is a GraphParamError (HTTP 400).
 */
import type { EdgeTimeseriesQuery, GraphLevel, GraphQuery } from '../../../shared/graph/model.js';
import { parseDurationNanos } from '../../../shared/model/go-duration.js';

export class GraphParamError extends Error {
  constructor(readonly param: string, message: string) {
    super(`unable to parse param '${param}': ${message}`);
    this.name = 'GraphParamError';
  }
}

export const DEFAULT_GRAPH_WINDOW_US = 15 * 60 * 1_000_000;
/** Most points one time series answers; more would be a request for raw data. */
export const MAX_TIMESERIES_POINTS = 11_000;

type Raw = Record<string, unknown>;

function single(q: Raw, name: string): string | undefined {
  const v = q[name];
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined || first === null) return undefined;
  const text = String(first).trim();
  return text === '' ? undefined : text;
}

function rejectUnknown(q: Raw, known: readonly string[]): void {
  for (const key of Object.keys(q)) if (!known.includes(key)) throw new GraphParamError(key, 'unknown parameter');
}

function integer(q: Raw, name: string): number | undefined {
  const text = single(q, name);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new GraphParamError(name, `not a non-negative integer: ${JSON.stringify(text)}`);
  return Number(text);
}

function window(q: Raw, nowUs: number): { startUs: number; endUs: number } {
  const endUs = integer(q, 'end') ?? nowUs;
  const startUs = integer(q, 'start') ?? endUs - DEFAULT_GRAPH_WINDOW_US;
  if (startUs > endUs) throw new GraphParamError('start', `start (${startUs}) is after end (${endUs})`);
  return { startUs, endUs };
}

function level(q: Raw): GraphLevel {
  const text = single(q, 'level') ?? 'service';
  if (text !== 'service' && text !== 'workload') throw new GraphParamError('level', `must be service or workload, got ${JSON.stringify(text)}`);
  return text;
}

const GRAPH_PARAMS = ['start', 'end', 'namespace', 'level'] as const;

export function parseGraphQuery(q: Raw, nowUs: number): GraphQuery {
  rejectUnknown(q, GRAPH_PARAMS);
  const namespace = single(q, 'namespace');
  return { ...window(q, nowUs), level: level(q), ...(namespace !== undefined ? { namespace } : {}) };
}

function stepUs(q: Raw, windowUs: number): number {
  const text = single(q, 'step');
  if (text === undefined) return Math.max(1_000_000, Math.ceil(windowUs / 60 / 1_000_000) * 1_000_000);
  let us: number;
  if (/^\d+(\.\d+)?$/.test(text)) us = Math.round(Number(text) * 1_000_000);
  else {
    try {
      us = Math.round(parseDurationNanos(text) / 1000);
    } catch (err) {
      throw new GraphParamError('step', (err as Error).message);
    }
  }
  if (!(us >= 1_000_000)) throw new GraphParamError('step', `must be at least 1s, got ${JSON.stringify(text)}`);
  if (windowUs / us >= MAX_TIMESERIES_POINTS) throw new GraphParamError('step', `more than ${MAX_TIMESERIES_POINTS} points for the window; use a larger step`);
  return us;
}

export function parseTimeseriesQuery(source: string, target: string, q: Raw, nowUs: number): EdgeTimeseriesQuery {
  rejectUnknown(q, ['start', 'end', 'step', 'level']);
  const w = window(q, nowUs);
  return { ...w, stepUs: stepUs(q, w.endUs - w.startUs), level: level(q), source, target };
}
