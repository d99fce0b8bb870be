/**
 * Jaeger api_v3 (HTTP/JSON) answers and the shared trace-view behaviours (Jaeger 1.75 parity,
 * issue part 3), as one suite run over each span store: `describeApiV3Suite('memory', …)`.
 * Spans are written through the store, then read through the plugin with fastify's inject.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanKind, StatusCode, type SpanRecord } from '../../shared/model/span.js';
import type { SpanStore } from '../../shared/storage/spanstore.js';
import { jaegerApi } from '../../services/query/jaeger/jaeger-api.js';
import { jaegerV3Api } from '../../services/query/jaeger-v3/jaeger-v3-api.js';
import type { JaegerTrace } from '../../services/query/jaeger/model.js';
import { resourceOf, span, spanIdOf, traceIdOf } from '../fixtures/spans.js';

type Store = SpanStore & { flushForTests?(): Promise<void> };

/** An hour ago, whole seconds: time-partitioned stores write today's indices. */
const T_US = Math.floor(Date.now() / 1000 - 3600) * 1_000_000;
const iso = (us: number) => new Date(us / 1000).toISOString();
const WINDOW = `query.startTimeMin=${iso(T_US - 600_000_000)}&query.startTimeMax=${iso(T_US + 600_000_000)}`;

interface OtlpSpanJson {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: { key: string; value: Record<string, unknown> }[];
  status: { code?: number; message?: string };
}
interface TracesDataJson {
  resourceSpans: { resource: { attributes?: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { scope: Record<string, unknown>; spans: OtlpSpanJson[] }[] }[];
}

export function describeApiV3Suite(name: string, makeStore: () => Promise<Store>, dropStore: (store: Store) => Promise<void>): void {
  describe(`api_v3 and the trace view over the ${name} store`, () => {
    let store: Store;
    let app: FastifyInstance;

    const checkout = [
      span({ traceId: traceIdOf('c1'), spanId: spanIdOf(1), name: 'GET /checkout', service: 'frontend', kind: SpanKind.SERVER, startUs: T_US, durationUs: 5000 }),
      span({
        traceId: traceIdOf('c1'), spanId: spanIdOf(2), parentSpanId: spanIdOf(1), name: 'charge', service: 'payment', kind: SpanKind.CLIENT,
        startUs: T_US + 100, durationUs: 1000, attrs: { 'payment.method': 'card' }, status: { code: StatusCode.ERROR, message: 'declined' },
      }),
    ];
    // Part 3 cases, one trace each.
    const sameId = [
      span({ traceId: traceIdOf('c2'), spanId: spanIdOf(7), name: 'first', service: 'cart', startUs: T_US + 10 }),
      span({ traceId: traceIdOf('c2'), spanId: spanIdOf(7), name: 'second', service: 'cart', startUs: T_US + 20 }),
    ];
    const orphan = [span({ traceId: traceIdOf('c3'), spanId: spanIdOf(3), parentSpanId: spanIdOf(99), name: 'orphan', service: 'cart', startUs: T_US + 30 })];
    const noService = [span({ traceId: traceIdOf('c4'), name: 'anon', startUs: T_US + 40, resource: { ...resourceOf('x'), attributes: [] } })];

    async function write(spans: readonly SpanRecord[]): Promise<void> {
      expect(await store.writeSpans(spans)).toEqual([]);
    }

    beforeAll(async () => {
      store = await makeStore();
      await store.start();
      await write(checkout);
      await write([sameId[0]]);
      await write([sameId[1]]);
      await write([...orphan, ...noService]);
      await write(checkout); // redelivery
      await store.flushForTests?.();
      app = Fastify();
      const options = { reader: store, defaultLimit: 20, maxLimit: 50, traceView: { maxClockSkewAdjustNanos: 0n } };
      await app.register(jaegerApi, options);
      await app.register(jaegerV3Api, options);
      await app.ready();
    });
    afterAll(async () => {
      await app?.close();
      await store?.stop();
      if (store) await dropStore(store);
    });

    async function get<T>(url: string): Promise<{ status: number; body: T }> {
      const res = await app.inject({ method: 'GET', url });
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      return { status: res.statusCode, body: res.json<T>() };
    }
    const spansOf = (data: TracesDataJson) => data.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));

    it('lists services and operations (spanKind and span_kind; unspecified = every kind; no kind → internal)', async () => {
      expect((await get('/api/v3/services')).body).toEqual({ services: ['cart', 'frontend', 'missing-service-name', 'payment'] });
      expect((await get('/api/v3/operations?service=payment')).body).toEqual({ operations: [{ name: 'charge', spanKind: 'client' }] });
      expect((await get('/api/v3/operations?service=payment&spanKind=server')).body).toEqual({ operations: [] });
      expect((await get('/api/v3/operations?service=payment&span_kind=client')).body).toEqual({ operations: [{ name: 'charge', spanKind: 'client' }] });
      expect((await get('/api/v3/operations?service=payment&spanKind=unspecified')).body).toEqual({ operations: [{ name: 'charge', spanKind: 'client' }] });
    });

    it('answers a trace by id as OTLP/JSON with hex ids, integer enums and string nanoseconds, grouped by resource', async () => {
      const { status, body } = await get<{ result: TracesDataJson }>(`/api/v3/traces/${traceIdOf('c1')}`);
      expect(status).toBe(200);
      const services = body.result.resourceSpans.map((rs) => rs.resource.attributes?.find((a) => a.key === 'service.name')?.value.stringValue).sort();
      expect(services).toEqual(['frontend', 'payment']);
      const charge = spansOf(body.result).find((s) => s.name === 'charge')!;
      expect(charge).toMatchObject({
        traceId: traceIdOf('c1'), spanId: spanIdOf(2), parentSpanId: spanIdOf(1), kind: 3,
        startTimeUnixNano: String(BigInt(T_US + 100) * 1000n), endTimeUnixNano: String(BigInt(T_US + 1100) * 1000n),
        status: { code: 2, message: 'declined' },
      });
      expect(charge.attributes).toEqual([{ key: 'payment.method', value: { stringValue: 'card' } }]);
      expect(spansOf(body.result)).toHaveLength(2); // the redelivered copies landed once
    });

    it('takes RFC 3339 time hints in camelCase and snake_case, and refuses a malformed one', async () => {
      const around = `${iso(T_US - 60_000_000)}`;
      const after = `${iso(T_US + 60_000_000)}`;
      expect((await get(`/api/v3/traces/${traceIdOf('c1')}?startTime=${around}&endTime=${after}`)).status).toBe(200);
      expect((await get(`/api/v3/traces/${traceIdOf('c1')}?start_time=${around}&end_time=${after}`)).status).toBe(200);
      const bad = await get<{ error: { httpCode: number; message: string } }>(`/api/v3/traces/${traceIdOf('c1')}?startTime=yesterday`);
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatchObject({ httpCode: 400, message: expect.stringMatching(/^malformed parameter startTime: /) });
    });

    it('answers 404 "No traces found" in api_v3 error shape for an unknown trace and an empty search', async () => {
      const missing = await get(`/api/v3/traces/${traceIdOf('dead')}`);
      expect(missing).toEqual({ status: 404, body: { error: { httpCode: 404, message: 'No traces found' } } });
      const none = await get(`/api/v3/traces?query.serviceName=nobody&${WINDOW}`);
      expect(none).toEqual({ status: 404, body: { error: { httpCode: 404, message: 'No traces found' } } });
    });

    it('searches with camelCase and snake_case query.* parameters, attributes and durations', async () => {
      const camel = await get<{ result: TracesDataJson }>(
        `/api/v3/traces?query.serviceName=payment&query.attributes=${encodeURIComponent('{"payment.method":"card"}')}&query.durationMin=500us&${WINDOW}`,
      );
      expect(new Set(spansOf(camel.body.result).map((s) => s.traceId))).toEqual(new Set([traceIdOf('c1')]));
      const snakeWindow = WINDOW.replace('startTimeMin', 'start_time_min').replace('startTimeMax', 'start_time_max');
      const snake = await get<{ result: TracesDataJson }>(`/api/v3/traces?query.service_name=payment&query.operation_name=charge&query.num_traces=5&${snakeWindow}`);
      expect(new Set(spansOf(snake.body.result).map((s) => s.traceId))).toEqual(new Set([traceIdOf('c1')]));
      const noWindow = await get<{ error: { message: string } }>('/api/v3/traces?query.serviceName=payment');
      expect(noWindow.status).toBe(400);
      expect(noWindow.body.error.message).toBe('query.startTimeMin and query.startTimeMax are required');
    });

    it('summarises traces: root, time span, counts per service, errors', async () => {
      const { body } = await get<{ summaries: unknown[] }>(`/api/v3/trace-summaries?query.serviceName=frontend&${WINDOW}`);
      expect(body.summaries).toEqual([{
        traceId: traceIdOf('c1'),
        rootServiceName: 'frontend',
        rootOperationName: 'GET /checkout',
        minStartTimeUnixNano: String(BigInt(T_US) * 1000n),
        maxEndTimeUnixNano: String(BigInt(T_US + 5000) * 1000n),
        spanCount: 2,
        errorSpanCount: 1,
        services: [{ name: 'frontend', spanCount: 1 }, { name: 'payment', spanCount: 1, errorSpanCount: 1 }],
      }]);
    });

    it('keeps two different spans with one id, service and kind, and warns about the duplicate id (v1 and v3 agree)', async () => {
      const v1 = (await get<{ data: JaegerTrace[] }>(`/api/traces/${traceIdOf('c2')}`)).body.data[0];
      expect(v1.spans.map((s) => [s.operationName, s.warnings])).toEqual([
        ['first', null],
        ['second', ['duplicate span IDs; skipping clock skew adjustment']],
      ]);
      const v3 = spansOf((await get<{ result: TracesDataJson }>(`/api/v3/traces/${traceIdOf('c2')}`)).body.result);
      expect(v3.map((s) => [s.name, s.attributes?.find((a) => a.key === '@jaeger@warnings')?.value])).toEqual([
        ['first', undefined],
        ['second', { arrayValue: { values: [{ stringValue: 'duplicate span IDs; skipping clock skew adjustment' }] } }],
      ]);
    });

    it('warns about a parent that is not in the trace, and names a resource without service.name as Jaeger does', async () => {
      const v1 = (await get<{ data: JaegerTrace[] }>(`/api/traces/${traceIdOf('c3')}`)).body.data[0];
      expect(v1.spans[0].warnings).toEqual([`invalid parent span IDs=${spanIdOf(99)}; skipping clock skew adjustment`]);
      const anon = (await get<{ data: JaegerTrace[] }>(`/api/traces/${traceIdOf('c4')}`)).body.data[0];
      expect(Object.values(anon.processes).map((p) => p.serviceName)).toEqual(['missing-service-name']);
    });
  });
}
