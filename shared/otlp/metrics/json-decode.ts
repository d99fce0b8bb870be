/**
 * OTLP/JSON decoding of ExportMetricsServiceRequest into the model of ./model.ts, with the rules
 * of shared/otlp/common/common-json.ts: lowerCamelCase or snake_case keys, 64-bit integers as strings or
 * numbers, enums as integers or names, unknown keys ignored.
 */
import type { KeyValue } from '../../model/span.js';
import {
  field, isJsonObject, readAttributes, readEnum, readObject, readObjects, readResource, readScope, readString, readUint32, readUint64,
  type JsonObject,
} from '../common/common-json.js';
import { DecodeProblem, OtlpDecodeError, toOtlpDecodeError, within } from '../../wire/decode-errors.js';
import type {
  HistogramPoint, MetricData, NumberPoint, OtlpMetric, OtlpMetricsRequest, OtlpResourceMetrics, OtlpScopeMetrics, SummaryPoint,
} from './model.js';

const TEMPORALITY_NAMES = {
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
  AGGREGATION_TEMPORALITY_DELTA: 1,
  AGGREGATION_TEMPORALITY_CUMULATIVE: 2,
};

export function decodeMetricsJson(text: string): OtlpMetricsRequest {
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? {} : JSON.parse(text);
  } catch (err) {
    throw new OtlpDecodeError(`invalid OTLP metrics JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isJsonObject(parsed)) throw new OtlpDecodeError('invalid OTLP metrics JSON: the body must be an object');
  try {
    return { resourceMetrics: readObjects(parsed, 'resourceMetrics', 'resource_metrics', readResourceMetrics) ?? [] };
  } catch (err) {
    throw toOtlpDecodeError(err, 'invalid OTLP metrics JSON');
  }
}

function readResourceMetrics(o: JsonObject): OtlpResourceMetrics {
  return {
    resource: readResource(readObject(o, 'resource'), readString(o, 'schemaUrl', 'schema_url')),
    scopeMetrics: readObjects(o, 'scopeMetrics', 'scope_metrics', readScopeMetrics) ?? [],
  };
}

function readScopeMetrics(o: JsonObject): OtlpScopeMetrics {
  return {
    scope: readScope(readObject(o, 'scope'), readString(o, 'schemaUrl', 'schema_url')),
    metrics: readObjects(o, 'metrics', undefined, readMetric) ?? [],
  };
}

function readMetric(o: JsonObject): OtlpMetric {
  return {
    name: readString(o, 'name'),
    description: readString(o, 'description'),
    unit: readString(o, 'unit'),
    data: readData(o),
  };
}

function readData(o: JsonObject): MetricData {
  const inField = <T>(name: string, read: () => T): T => {
    try {
      return read();
    } catch (err) {
      throw within(err, name);
    }
  };
  const summary = readObject(o, 'summary');
  if (summary) return inField('summary', () => ({ kind: 'summary', points: readObjects(summary, 'dataPoints', 'data_points', readSummaryPoint) ?? [] }));
  const exp = readObject(o, 'exponentialHistogram', 'exponential_histogram');
  if (exp) return { kind: 'exponentialHistogram', pointCount: (field(exp, 'dataPoints', 'data_points') as unknown[] | undefined)?.length ?? 0 };
  const histogram = readObject(o, 'histogram');
  if (histogram) {
    return inField('histogram', () => ({
      kind: 'histogram',
      temporality: readTemporality(histogram),
      points: readObjects(histogram, 'dataPoints', 'data_points', readHistogramPoint) ?? [],
    }));
  }
  const sum = readObject(o, 'sum');
  if (sum) {
    return inField('sum', () => {
      const monotonic = field(sum, 'isMonotonic', 'is_monotonic') ?? false;
      if (typeof monotonic !== 'boolean') throw within(new DecodeProblem('expected true or false'), 'isMonotonic');
      return {
        kind: 'sum', temporality: readTemporality(sum), monotonic,
        points: readObjects(sum, 'dataPoints', 'data_points', readNumberPoint) ?? [],
      };
    });
  }
  const gauge = readObject(o, 'gauge');
  if (gauge) return inField('gauge', () => ({ kind: 'gauge', points: readObjects(gauge, 'dataPoints', 'data_points', readNumberPoint) ?? [] }));
  return { kind: 'none' };
}

function readTemporality(o: JsonObject): number {
  return readEnum(o, 'aggregationTemporality', 'aggregation_temporality', TEMPORALITY_NAMES, 2);
}

function readNumberPoint(o: JsonObject): NumberPoint {
  let value: number | bigint | undefined;
  const asInt = field(o, 'asInt', 'as_int');
  const asDouble = field(o, 'asDouble', 'as_double');
  if (asInt !== undefined) value = toInt64(asInt, 'asInt');
  else if (asDouble !== undefined) value = toDouble(asDouble, 'asDouble');
  return { ...readPointBase(o), value };
}

function readHistogramPoint(o: JsonObject): HistogramPoint {
  const bucketCounts = readList(o, 'bucketCounts', 'bucket_counts', (v, name) => Number(toUint64(v, name)));
  const explicitBounds = readList(o, 'explicitBounds', 'explicit_bounds', toDouble);
  return {
    ...readPointBase(o),
    count: Number(readUint64(o, 'count')),
    sum: readOptionalDouble(o, 'sum'),
    bucketCounts,
    explicitBounds,
    min: readOptionalDouble(o, 'min'),
    max: readOptionalDouble(o, 'max'),
  };
}

function readSummaryPoint(o: JsonObject): SummaryPoint {
  return {
    ...readPointBase(o),
    count: Number(readUint64(o, 'count')),
    sum: readOptionalDouble(o, 'sum') ?? 0,
    quantiles: readObjects(o, 'quantileValues', 'quantile_values', (q) => ({
      quantile: readOptionalDouble(q, 'quantile') ?? 0,
      value: readOptionalDouble(q, 'value') ?? 0,
    })) ?? [],
  };
}

function readPointBase(o: JsonObject): { attributes: readonly KeyValue[]; startTimeUnixNano: bigint; timeUnixNano: bigint; flags: number } {
  return {
    attributes: readAttributes(o),
    startTimeUnixNano: readUint64(o, 'startTimeUnixNano', 'start_time_unix_nano'),
    timeUnixNano: readUint64(o, 'timeUnixNano', 'time_unix_nano'),
    flags: readUint32(o, 'flags'),
  };
}

function readList<T>(o: JsonObject, camel: string, snake: string, read: (v: unknown, name: string) => T): T[] {
  const v = field(o, camel, snake);
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw within(new DecodeProblem('expected an array'), camel);
  return v.map((item, i) => {
    try {
      return read(item, camel);
    } catch (err) {
      throw err instanceof DecodeProblem ? within(new DecodeProblem(err.problem), camel, i) : err;
    }
  });
}

function readOptionalDouble(o: JsonObject, name: string): number | undefined {
  const v = field(o, name);
  return v === undefined ? undefined : toDouble(v, name);
}

function toDouble(v: unknown, name: string): number {
  if (typeof v === 'number') return v;
  // proto3 JSON spells the special values as strings, and allows numbers in strings.
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  throw within(new DecodeProblem(`expected a number, got ${JSON.stringify(v)?.slice(0, 40)}`), name);
}

function toInt64(v: unknown, name: string): bigint {
  if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) {
    const n = BigInt(v);
    if (n >= -(1n << 63n) && n < 1n << 63n) return n;
  } else if (typeof v === 'number' && Number.isInteger(v)) {
    return BigInt(v);
  }
  throw within(new DecodeProblem(`expected a signed 64-bit integer, got ${JSON.stringify(v)?.slice(0, 40)}`), name);
}

function toUint64(v: unknown, name: string): bigint {
  const n = toInt64(v, name);
  if (n < 0n) throw within(new DecodeProblem('expected an unsigned integer'), name);
  return n;
}
