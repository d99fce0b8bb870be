/** api_v3 query parameters: RFC 3339 times to the nanosecond, both spellings, Jaeger's refusals. */
import { describe, expect, it } from 'vitest';
import { V3ParamError, parseFindTraces, parseGetTrace, parseTraceIdV3 } from '../../services/query/jaeger-v3/params.js';
import { parseRfc3339Nanos } from '../../services/query/jaeger-v3/rfc3339.js';

const limits = { defaultLimit: 100, maxLimit: 1500 };
const window = { 'query.startTimeMin': '2026-03-01T00:00:00Z', 'query.startTimeMax': '2026-03-01T01:00:00Z' };

describe('RFC 3339 timestamps', () => {
  it('keeps nanoseconds and applies offsets', () => {
    expect(parseRfc3339Nanos('2026-03-01T00:00:00.123456789Z')).toBe(1_772_323_200_123_456_789n);
    expect(parseRfc3339Nanos('2026-03-01T02:00:00.5+02:00')).toBe(1_772_323_200_500_000_000n);
  });

  it('refuses what Go refuses', () => {
    expect(['2026-02-30T00:00:00Z', '2026-03-01 00:00:00Z', '2026-03-01T00:00:00', '1772323200'].map(parseRfc3339Nanos)).toEqual([
      undefined, undefined, undefined, undefined,
    ]);
  });
});

describe('api_v3 search parameters', () => {
  it('reads camelCase and snake_case alike', () => {
    const camel = parseFindTraces({ ...window, 'query.serviceName': 'cart', 'query.durationMin': '1ms', 'query.searchDepth': '5' }, limits);
    const snake = parseFindTraces({
      'query.start_time_min': window['query.startTimeMin'], 'query.start_time_max': window['query.startTimeMax'],
      'query.service_name': 'cart', 'query.duration_min': '1ms', 'query.search_depth': '5',
    }, limits);
    expect(snake).toEqual(camel);
    expect(camel.query).toMatchObject({ service: 'cart', durationMinUs: 1000, limit: 5, startTimeMinUs: 1_772_323_200_000_000 });
  });

  it('serves a search depth above the maximum as the maximum, and none as the default', () => {
    expect(parseFindTraces({ ...window, 'query.searchDepth': '99999' }, limits).query.limit).toBe(1500);
    expect(parseFindTraces(window, limits).query.limit).toBe(100);
  });

  it('refuses a missing or inverted window, bad durations and attributes, naming the parameter', () => {
    const refusal = (q: Record<string, string>) => {
      try {
        parseFindTraces(q, limits);
      } catch (err) {
        expect(err).toBeInstanceOf(V3ParamError);
        return (err as Error).message;
      }
      throw new Error('expected a refusal');
    };
    expect(refusal({})).toBe('query.startTimeMin and query.startTimeMax are required');
    expect(refusal({ 'query.startTimeMin': window['query.startTimeMax'], 'query.startTimeMax': window['query.startTimeMin'] })).toBe(
      'query.startTimeMin must be before query.startTimeMax',
    );
    expect(refusal({ ...window, 'query.duration_max': '5' })).toMatch(/^malformed parameter query\.duration_max: /);
    expect(refusal({ ...window, 'query.attributes': '{"a":1}' })).toMatch(/^malformed parameter query\.attributes: /);
  });

  it('reads trace-by-id hints and rawTraces', () => {
    expect(parseGetTrace({ start_time: '2026-03-01T00:00:00Z', rawTraces: 'true' })).toEqual({ hint: { startTimeUs: 1_772_323_200_000_000 }, raw: true });
  });
});

describe('api_v3 trace ids', () => {
  it('takes hex of any length up to 32 and the 16 bytes in base64, as Jaeger\'s gateway', () => {
    const hex = '5b8efff798038103d269b633813fc60c';
    expect(parseTraceIdV3(hex)).toBe(hex);
    expect(parseTraceIdV3('abc')).toBe(hex.replace(/./g, '0').slice(3) + 'abc');
    expect(parseTraceIdV3(Buffer.from(hex, 'hex').toString('base64'))).toBe(hex);
    expect(parseTraceIdV3(Buffer.from(hex, 'hex').toString('base64url'))).toBe(hex);
    expect(() => parseTraceIdV3('not-an-id')).toThrow(/^malformed parameter trace_id: /);
  });
});
