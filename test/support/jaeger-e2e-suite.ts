/**
 * The Jaeger API behaviour every deployment shape must show for the checkout traces
 * (test/support/checkout-trace.ts): run by the all-in-one and the distributed end-to-end tests.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { expectCheckoutTrace, type Envelope, type JaegerTrace, type SentCheckout } from './checkout-trace.js';
import { eventually } from './meshtel-process.js';
import { sharedContextHop, CLIENT_ID, TRACE_ID } from '../fixtures/zipkin.js';

export interface JaegerSuiteTarget {
  readonly queryUrl: string;
  readonly otlpHttpUrl: string;
  readonly zipkinUrl: string;
  readonly sent: SentCheckout;
}

export async function jaegerGet<T>(queryUrl: string, path: string): Promise<{ status: number; body: Envelope<T> }> {
  const res = await fetch(`${queryUrl}${path}`);
  return { status: res.status, body: (await res.json()) as Envelope<T> };
}

export async function waitForTrace(queryUrl: string, traceId: string, spans: number, timeoutMs = 30_000): Promise<JaegerTrace> {
  return eventually(async () => {
    const { status, body } = await jaegerGet<JaegerTrace[]>(queryUrl, `/api/traces/${traceId}`);
    return status === 200 && body.data[0]!.spans.length === spans ? body.data[0] : undefined;
  }, timeoutMs);
}

export function describeJaegerApiBehaviour(name: string, target: () => JaegerSuiteTarget): void {
  describe(`${name}: Jaeger API over the checkout traces`, () => {
    let t: JaegerSuiteTarget;
    const api = <T>(path: string) => jaegerGet<T>(t.queryUrl, path);
    const window = () => `start=${t.sent.us(-1000)}&end=${t.sent.us(5000)}`;

    beforeAll(async () => {
      t = target();
      await waitForTrace(t.queryUrl, t.sent.traceId, 4);
      // The five health traces are separate writes: wait until all are searchable too.
      await eventually(async () => {
        const { body } = await api<JaegerTrace[]>(`/api/traces?service=frontend&operation=GET%20%2Fhealth&${window()}`);
        return body.data.length === 5 ? true : undefined;
      }, 30_000);
    });

    it('returns the trace whole, with exact ids, names, times, references, tags, logs and processes', async () => {
      expectCheckoutTrace(await waitForTrace(t.queryUrl, t.sent.traceId, 4), t.sent);
    });

    it('lists services and operations, optionally by span kind', async () => {
      const services = await api<string[]>('/api/services');
      expect(services.body.data).toEqual(expect.arrayContaining(['backend', 'frontend', 'storage']));
      expect(services.body.total).toBe(services.body.data.length);
      const ops = await api<string[]>('/api/services/frontend/operations');
      expect([...ops.body.data].sort()).toEqual(['GET /checkout', 'GET /health', 'POST /cart']);
      const clientOps = await api<Array<{ name: string; spanKind: string }>>('/api/operations?service=frontend&spanKind=client');
      expect(clientOps.body.data).toEqual([{ name: 'POST /cart', spanKind: 'client' }]);
    });

    it('finds traces by service, operation and tags from the span, resource, event and link', async () => {
      const ids = async (query: string) => {
        const { status, body } = await api<JaegerTrace[]>(`/api/traces?${window()}&${query}`);
        expect(status, JSON.stringify(body.errors)).toBe(200);
        return body.data.map((x) => x.traceID);
      };
      const checkout = [t.sent.traceId];
      expect(await ids('service=storage&operation=SELECT%20cart')).toEqual(checkout);
      expect(await ids('service=backend')).toEqual(checkout);
      expect(await ids(`service=frontend&tags=${encodeURIComponent('{"http.method":"GET"}')}`)).toEqual(checkout);
      expect(await ids('service=frontend&operation=GET%20%2Fcheckout&tag=host.name:fe-1')).toEqual(checkout);
      expect(await ids('service=frontend&tag=key:user:42')).toEqual(checkout);
      expect(await ids('service=backend&tag=link.reason:retry-of')).toEqual(checkout);
      // typed values compare as text; all tags on one span, even when found in different places
      expect(await ids('service=frontend&tag=http.status_code:200&tag=retry:false&tag=deployment.environment:e2e')).toEqual(checkout);
      // tags that are only true of two different spans do not match
      expect(await ids(`tags=${encodeURIComponent('{"http.method":"GET","db.system":"postgresql"}')}`)).toEqual([]);
      expect(await ids('service=frontend&tag=http.method:POST')).toEqual([]);
    });

    it('finds a trace by an instrumentation-scope attribute (hand-built OTLP/JSON, snake_case)', async () => {
      const traceId = 'a1'.repeat(16);
      const startNs = BigInt(t.sent.us(200)) * 1000n;
      const payload = {
        resource_spans: [{
          resource: { attributes: [{ key: 'service.name', value: { string_value: 'scoped' } }] },
          scope_spans: [{
            scope: { name: 'lib', version: '9', attributes: [{ key: 'scope.team', value: { string_value: 'payments' } }] },
            spans: [{ trace_id: traceId, span_id: 'b2'.repeat(8), name: 'charge', kind: 2,
              start_time_unix_nano: String(startNs), end_time_unix_nano: String(startNs + 3_000_000n) }],
          }],
        }],
      };
      const res = await fetch(`${t.otlpHttpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
      expect(res.status).toBe(200);
      const found = await eventually(async () => {
        const { body } = await api<JaegerTrace[]>(`/api/traces?${window()}&service=scoped&tag=scope.team:payments`);
        return body.data.length > 0 ? body.data.map((x) => x.traceID) : undefined;
      }, 30_000);
      expect(found).toEqual([traceId]);
      const miss = await api<JaegerTrace[]>(`/api/traces?${window()}&service=scoped&tag=scope.team:billing`);
      expect(miss.body.data).toEqual([]);
    });

    it('selects by duration range, time window and limit, most recent first', async () => {
      const search = async (query: string) => (await api<JaegerTrace[]>(`/api/traces?service=frontend&${query}`)).body.data;
      const { us } = t.sent;
      expect((await search(`${window()}&minDuration=40ms`)).map((x) => x.traceID)).toEqual([t.sent.traceId]);
      expect(await search(`${window()}&maxDuration=2.5ms&operation=GET%20%2Fhealth`)).toHaveLength(5);
      // only the 30 ms client span lies between 20 ms and 40 ms
      expect((await search(`${window()}&minDuration=20ms&maxDuration=0.04s`)).map((x) => x.traceID)).toEqual([t.sent.traceId]);
      const newestTwo = await search(`${window()}&operation=GET%20%2Fhealth&limit=2`);
      expect(newestTwo.map((x) => x.spans[0]!.startTime)).toEqual([us(1400), us(1300)]);
      const middle = await search(`start=${us(1150)}&end=${us(1350)}&operation=GET%20%2Fhealth`);
      expect(middle.map((x) => x.spans[0]!.startTime)).toEqual([us(1300), us(1200)]);
      const multiGet = await api<JaegerTrace[]>(`/api/traces?traceID=${t.sent.traceId}&traceID=${'f'.repeat(32)}`);
      expect(multiGet.body.data.map((x) => x.traceID)).toEqual([t.sent.traceId]);
      expect(multiGet.body.errors).toEqual([{ msg: 'trace not found', traceID: 'f'.repeat(32) }]);
    });

    it("takes Envoy's Zipkin v2 spans (answered 202) and keeps both halves of a shared span id", async () => {
      const res = await fetch(`${t.zipkinUrl}/api/v2/spans`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(sharedContextHop()),
      });
      expect(res.status).toBe(202);
      const zipkinTrace = await waitForTrace(t.queryUrl, TRACE_ID, 3);
      const services = zipkinTrace.spans.map((s) => zipkinTrace.processes[s.processID]!.serviceName).sort();
      expect(services).toEqual(['productpage.default', 'productpage.default', 'reviews.default']);
      const client = zipkinTrace.spans.find((s) => s.spanID === CLIENT_ID)!;
      const server = zipkinTrace.spans.find((s) => zipkinTrace.processes[s.processID]!.serviceName === 'reviews.default')!;
      expect(client.tags).toContainEqual({ key: 'span.kind', type: 'string', value: 'client' });
      // Jaeger shows the server half under the client half, with an id of its own.
      expect(server.spanID).not.toBe(CLIENT_ID);
      expect(server.references[0]).toMatchObject({ refType: 'CHILD_OF', spanID: CLIENT_ID });
    });

    it('derives service dependencies from parent spans in other services, and from client spans naming their callee', async () => {
      const { body } = await api<Array<{ parent: string; child: string; callCount: number }>>(`/api/dependencies?endTs=${Date.now()}&lookback=3600000`);
      const edges = body.data.map((d) => `${d.parent}->${d.child}:${d.callCount}`).sort();
      // storage's `SELECT cart` client span (db.system=postgresql) has no traced callee, but the mesh
      // graph knows the database it calls.
      expect(edges).toEqual(['backend->storage:1', 'frontend->backend:1', 'storage->postgresql:1']);
    });

    it('answers bad parameters with 400 naming the parameter, and unknown traces with 404', async () => {
      const bad = await api<null>('/api/traces?service=frontend&minDuration=fast');
      expect(bad.status).toBe(400);
      expect(bad.body.errors![0]!.msg).toContain('minDuration');
      const missing = await api<null>(`/api/traces/${'0123456789abcdef'.repeat(2)}`);
      expect(missing.status).toBe(404);
      expect(missing.body.errors).toEqual([{ code: 404, msg: 'trace not found' }]);
    });
  });
}
