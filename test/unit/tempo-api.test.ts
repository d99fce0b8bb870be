import Fastify, { type FastifyInstance } from 'fastify';
import protobuf from 'protobufjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpanKind, StatusCode, type SpanRecord } from '../../shared/model/span.js';
import { ExportTraceServiceRequest } from '../support/proto-root.js';
import { MemorySpanStore } from '../../shared/storage/memory/memory-span-store.js';
import { tempoApi } from '../../services/query/tempo/tempo-api.js';
import { span, spanIdOf, traceIdOf } from '../fixtures/spans.js';

/** "Now" for default windows: 2026-03-01T00:00:00Z; spans start ten minutes before. */
const NOW_MS = 1_772_323_200_000;
const T_US = (NOW_MS - 600_000) * 1000;
const NOW_S = NOW_MS / 1000;

const SHOP = traceIdOf('5a');
const LONELY = traceIdOf('5b');

function shopTrace(): SpanRecord[] {
  return [
    span({
      traceId: SHOP, spanId: spanIdOf('a1'), name: 'GET /shop', service: 'frontend', kind: SpanKind.SERVER, startUs: T_US,
      durationUs: 250_000, attrs: { 'http.status_code': 200, 'http.route': '/shop' }, resourceAttrs: { 'k8s.namespace.name': 'shop' },
    }),
    span({
      traceId: SHOP, spanId: spanIdOf('a2'), parentSpanId: spanIdOf('a1'), name: 'GET /cart', service: 'cart', kind: SpanKind.CLIENT,
      startUs: T_US + 1000, durationUs: 100_000, attrs: { 'http.status_code': 503, retried: true },
      status: { code: StatusCode.ERROR, message: 'unavailable' },
      events: [{ name: 'exception', timeUs: T_US + 2000, attrs: { 'exception.message': 'boom' } }],
      links: [{ traceId: LONELY, spanId: spanIdOf('b1'), attrs: { why: 'retry' } }],
    }),
  ];
}

function lonelyTrace(): SpanRecord[] {
  // Its parent never arrived: no root span.
  return [span({ traceId: LONELY, spanId: spanIdOf('b1'), parentSpanId: spanIdOf('b0'), name: 'consume', service: 'worker', kind: SpanKind.CONSUMER, startUs: T_US + 5000 })];
}

let app: FastifyInstance;
let store: MemorySpanStore;

beforeEach(async () => {
  store = new MemorySpanStore({ maxSpans: 1000, maxBytes: 16 * 1024 * 1024 });
  await store.writeSpans([...shopTrace(), ...lonelyTrace()]);
  app = Fastify();
  await app.register(tempoApi, { reader: store, nowMs: () => NOW_MS, revision: 'test' });
  await app.ready();
});

afterEach(async () => {
  await app.close();
});

const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

/** A decoded OTLP span as protobufjs gives it (ids as hex, 64-bit numbers as strings). */
interface DecodedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: Record<string, unknown> }[];
  events: { name: string; timeUnixNano: string }[];
  links: { traceId: string; spanId: string }[];
  status?: { code?: number; message?: string };
}

function spansOfTraceMessage(bytes: Uint8Array): (DecodedSpan & { service: string })[] {
  const hex = (b: unknown) => Buffer.from(b as Uint8Array).toString('hex');
  const message = ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(bytes), { longs: String, enums: Number, bytes: Array, defaults: true, arrays: true }) as {
    resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: Record<string, unknown>[] }[] }[];
  };
  return message.resourceSpans.flatMap((rs) => {
    const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
    return rs.scopeSpans.flatMap((ss) =>
      ss.spans.map((s) => ({
        ...(s as unknown as DecodedSpan),
        traceId: hex(s.traceId),
        spanId: hex(s.spanId),
        parentSpanId: hex(s.parentSpanId),
        links: (s.links as { traceId: unknown; spanId: unknown }[]).map((l) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId) })),
        service,
      })),
    );
  });
}

/** What a written span must look like once decoded from a Tempo answer. */
function expectedSpan(s: SpanRecord) {
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId,
    name: s.name,
    kind: s.kind,
    startTimeUnixNano: s.startTimeUnixNano.toString(),
    endTimeUnixNano: s.endTimeUnixNano.toString(),
    service: s.serviceName,
    attributeKeys: s.attributes.map((a) => a.key),
    events: s.events.map((e) => ({ name: e.name, timeUnixNano: e.timeUnixNano.toString() })),
    links: s.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
    status: { code: s.status.code, message: s.status.message },
  };
}

function comparable(d: DecodedSpan & { service: string }) {
  return {
    traceId: d.traceId,
    spanId: d.spanId,
    parentSpanId: d.parentSpanId,
    name: d.name,
    kind: d.kind,
    startTimeUnixNano: d.startTimeUnixNano,
    endTimeUnixNano: d.endTimeUnixNano,
    service: d.service,
    attributeKeys: d.attributes.map((a) => a.key),
    events: d.events.map((e) => ({ name: e.name, timeUnixNano: e.timeUnixNano })),
    links: d.links,
    status: { code: d.status?.code ?? 0, message: d.status?.message ?? '' },
  };
}

describe('Tempo API: health and build info', () => {
  it('answers /api/echo with "echo" (Grafana\'s save & test) and /ready with 200', async () => {
    const echo = await get('/api/echo');
    expect([echo.statusCode, echo.body]).toEqual([200, 'echo']);
    expect((await get('/ready')).statusCode).toBe(200);
  });

  it('reports a Tempo version Grafana gates features on', async () => {
    const info = (await get('/api/status/buildinfo')).json<Record<string, string>>();
    expect(info.version).toMatch(/^2\.\d+\.\d+$/);
    expect(Object.keys(info).sort()).toEqual(['branch', 'buildDate', 'buildUser', 'goVersion', 'revision', 'version']);
  });
});

describe('Tempo API: trace by id', () => {
  it('answers v2 with a protobuf TraceByIDResponse whose trace decodes with the OTLP protos to the spans written', async () => {
    const res = await get(`/api/v2/traces/${SHOP}`, { accept: 'application/protobuf' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/protobuf');
    const reader = protobuf.Reader.create(res.rawPayload);
    expect(reader.uint32()).toBe((1 << 3) | 2); // TraceByIDResponse.trace, length-delimited
    const trace = reader.bytes();
    expect(reader.pos).toBe(res.rawPayload.length);
    const decoded = spansOfTraceMessage(trace).map(comparable);
    expect(decoded).toEqual(shopTrace().map(expectedSpan));
  });

  it('answers v1 with a protobuf tempopb.Trace (OTLP ResourceSpans as field 1), span by span', async () => {
    const res = await get(`/api/traces/${SHOP}?start=${NOW_S - 3600}&end=${NOW_S}`, { accept: 'application/protobuf' });
    expect(res.statusCode).toBe(200);
    expect(spansOfTraceMessage(res.rawPayload).map(comparable)).toEqual(shopTrace().map(expectedSpan));
  });

  it('answers JSON otherwise, as Tempo does: lowerCamel names, base64 ids, enums by name, 64-bit integers as strings', async () => {
    const res = await get(`/api/traces/${SHOP}`);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json<{ resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[] }>();
    const spans = body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
    const cart = spans.find((s) => s.name === 'GET /cart')!;
    expect(cart.traceId).toBe(Buffer.from(SHOP, 'hex').toString('base64'));
    expect(cart.kind).toBe('SPAN_KIND_CLIENT');
    expect(cart.startTimeUnixNano).toBe(((T_US + 1000) * 1000).toString());
    expect(cart.status).toEqual({ code: 'STATUS_CODE_ERROR', message: 'unavailable' });
    const v2 = (await get(`/api/v2/traces/${SHOP}`)).json<{ trace: unknown }>();
    expect(v2.trace).toEqual(body);
  });

  it('answers 404 for an unknown trace on both versions (Grafana falls back from v2 to v1 on 404) and 400 for a bad id', async () => {
    expect((await get(`/api/v2/traces/${traceIdOf('dead')}`, { accept: 'application/protobuf' })).statusCode).toBe(404);
    expect((await get(`/api/traces/${traceIdOf('dead')}`)).statusCode).toBe(404);
    const bad = await get('/api/traces/not-hex');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('not hexadecimal');
  });
});

interface SearchBody {
  traces: {
    traceID: string;
    rootServiceName: string;
    rootTraceName: string;
    startTimeUnixNano: string;
    durationMs?: number;
    spanSet: { spans: { spanID: string; name: string; durationNanos: string; attributes?: { key: string; value: unknown }[] }[]; matched: number };
    spanSets: unknown[];
    serviceStats: Record<string, { spanCount: number; errorCount?: number }>;
  }[];
}

const search = async (params: Record<string, string>) => {
  const res = await get(`/api/search?${new URLSearchParams(params)}`);
  expect(res.statusCode).toBe(200);
  return res.json<SearchBody>().traces;
};

describe('Tempo API: search', () => {
  it('answers a TraceQL query with Tempo\'s trace metadata, spanset and service stats', async () => {
    const [trace, ...rest] = await search({ q: '{ span.http.status_code >= 500 && resource.service.name = "cart" }', start: String(NOW_S - 3600), end: String(NOW_S) });
    expect(rest).toEqual([]);
    expect(trace).toEqual({
      traceID: SHOP,
      rootServiceName: 'frontend',
      rootTraceName: 'GET /shop',
      startTimeUnixNano: (T_US * 1000).toString(),
      durationMs: 250,
      spanSet: {
        spans: [
          {
            spanID: spanIdOf('a2'),
            name: 'GET /cart',
            startTimeUnixNano: ((T_US + 1000) * 1000).toString(),
            durationNanos: '100000000',
            attributes: [
              { key: 'service.name', value: { stringValue: 'cart' } },
              { key: 'http.status_code', value: { intValue: '503' } },
            ],
          },
        ],
        matched: 1,
      },
      spanSets: [trace.spanSet],
      serviceStats: { frontend: { spanCount: 1 }, cart: { spanCount: 1, errorCount: 1 } },
    });
  });

  it('names a missing root "<root span not yet received>" and honours limit and spss', async () => {
    const traces = await search({ q: '{}', limit: '1', spss: '1' });
    expect(traces.map((t) => [t.traceID, t.rootServiceName, t.rootTraceName, t.spanSet.spans.length])).toEqual([
      [LONELY, '<root span not yet received>', '<root span not yet received>', 1],
    ]);
    expect((await search({ q: '{}', spss: '1' })).map((t) => [t.traceID, t.spanSet.matched, t.spanSet.spans.length])).toEqual([
      [LONELY, 1, 1],
      [SHOP, 2, 1],
    ]);
  });

  it('takes the older logfmt tags search (case-insensitive substring) with min/max trace duration', async () => {
    expect((await search({ tags: 'service.name=CAR name="get /"' })).map((t) => t.traceID)).toEqual([SHOP]);
    expect(await search({ tags: 'service.name=CAR k8s.namespace.name=sho' })).toEqual([]);
    expect((await search({ tags: 'name="GET /sh"', minDuration: '200ms' })).map((t) => t.traceID)).toEqual([SHOP]);
    expect(await search({ tags: 'name="GET /sh"', maxDuration: '200ms' })).toEqual([]);
  });

  it('answers unsupported TraceQL with 400 naming the construct, and TraceQL metrics with 501', async () => {
    const pipeline = await get(`/api/search?q=${encodeURIComponent('{ .a = 1 } | count() > 2')}`);
    expect(pipeline.statusCode).toBe(400);
    expect(pipeline.body).toContain('pipelines (`|`)');
    const structural = await get(`/api/search?q=${encodeURIComponent('{ .a = 1 } >> { .b = 1 }')}`);
    expect([structural.statusCode, structural.body]).toEqual([400, expect.stringContaining('structural operator `>>`')]);
    const metrics = await get(`/api/metrics/query_range?q=${encodeURIComponent('{} | rate()')}`);
    expect(metrics.statusCode).toBe(501);
    expect(metrics.body).toContain('not supported');
    expect((await get('/api/search?limit=zero')).statusCode).toBe(400);
  });
});

describe('Tempo API: tags', () => {
  it('lists v1 tag names as bare keys and v2 names per scope with the intrinsics', async () => {
    const v1 = (await get('/api/search/tags')).json<{ tagNames: string[] }>();
    expect(v1.tagNames).toEqual(['exception.message', 'http.route', 'http.status_code', 'k8s.namespace.name', 'retried', 'service.name', 'why']);
    const v2 = (await get('/api/v2/search/tags')).json<{ scopes: { name: string; tags: string[] }[] }>();
    expect(v2.scopes.map((s) => s.name)).toEqual(['resource', 'span', 'event', 'link', 'intrinsic']);
    expect(v2.scopes.find((s) => s.name === 'resource')?.tags).toEqual(['k8s.namespace.name', 'service.name']);
    expect(v2.scopes.find((s) => s.name === 'intrinsic')?.tags).toEqual(expect.arrayContaining(['name', 'status', 'duration', 'rootServiceName', 'span:name']));
    const onlySpan = (await get('/api/v2/search/tags?scope=span')).json<{ scopes: { name: string; tags: string[] }[] }>();
    expect(onlySpan.scopes).toEqual([{ name: 'span', tags: ['http.route', 'http.status_code', 'retried'] }]);
    expect((await get('/api/v2/search/tags?scope=nope')).statusCode).toBe(400);
    const narrowed = (await get(`/api/v2/search/tags?scope=span&q=${encodeURIComponent('{ resource.service.name = "frontend" }')}`)).json();
    expect(narrowed).toEqual({ scopes: [{ name: 'span', tags: ['http.route', 'http.status_code'] }], metrics: {} });
  });

  it('lists v1 values as strings and v2 values typed, narrowed by q, with the tag segment URL-decoded', async () => {
    expect((await get('/api/search/tag/service.name/values')).json()).toEqual({ tagValues: ['cart', 'frontend', 'worker'], metrics: {} });
    const typed = (await get('/api/v2/search/tag/span.http.status_code/values')).json<{ tagValues: unknown[] }>();
    expect(typed.tagValues).toEqual([{ type: 'int', value: '200' }, { type: 'int', value: '503' }]);
    const status = (await get('/api/v2/search/tag/status/values')).json<{ tagValues: unknown[] }>();
    expect(status.tagValues).toEqual([{ type: 'keyword', value: 'error' }, { type: 'keyword', value: 'unset' }]);
    const q = encodeURIComponent('{ resource.service.name = "cart" }');
    // Some Grafana versions encode the segment twice.
    const filtered = (await get(`/api/v2/search/tag/resource%252Eservice%252Ename/values?q=${q}`)).json<{ tagValues: unknown[] }>();
    expect(filtered.tagValues).toEqual([{ type: 'string', value: 'cart' }]);
    expect((await get('/api/v2/search/tag/bogus/values')).statusCode).toBe(400);
    // Grafana sends the query being typed: an unfinished one does not filter (and does not fail).
    const unfinished = encodeURIComponent('{ resource.service.name = "cart" && }');
    expect((await get(`/api/v2/search/tag/resource.service.name/values?q=${unfinished}`)).json<{ tagValues: unknown[] }>().tagValues).toHaveLength(3);
  });
});
