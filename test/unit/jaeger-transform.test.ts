/** POST /api/transform: an OTLP/JSON file in, Jaeger JSON traces out (untouched by adjusters, as Jaeger). */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JaegerTrace } from '../../services/query/jaeger/model.js';
import { transformApi } from '../../services/query/transform/transform-api.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = Fastify();
  await app.register(transformApi, { maxBodyBytes: 1024 * 1024 });
  await app.ready();
});
afterAll(async () => {
  await app.close();
});

const otlp = {
  resourceSpans: [{
    resource: { attributes: [{ key: 'service.name', value: { stringValue: 'cart' } }, { key: 'host.name', value: { stringValue: 'n1' } }] },
    scopeSpans: [{
      scope: { name: 'lib', version: '1' },
      spans: [
        { traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', name: 'GET /cart', kind: 2, startTimeUnixNano: '1767225600000000000', endTimeUnixNano: '1767225600001500000', attributes: [{ key: 'http.status_code', value: { intValue: '200' } }] },
        { traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b175', parentSpanId: 'eee19b7ec3c1b199', name: 'SELECT', kind: 3, startTimeUnixNano: '1767225600000100000', endTimeUnixNano: '1767225600000200000' },
        { traceId: '00000000000000000000000000000abc', spanId: '0000000000000001', name: 'other', startTimeUnixNano: '1767225600000000000', endTimeUnixNano: '1767225600000000000' },
      ],
    }],
  }],
};

describe('POST /api/transform', () => {
  it('answers one Jaeger trace per trace id in the envelope, spans as sent', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/transform', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(otlp) });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ data: JaegerTrace[]; errors: null }>();
    expect(body.errors).toBeNull();
    expect(body.data.map((t) => [t.traceID, t.spans.map((s) => s.operationName)])).toEqual([
      ['5b8efff798038103d269b633813fc60c', ['GET /cart', 'SELECT']],
      ['0000000000000abc', ['other']],
    ]);
    const [cart, select] = body.data[0].spans;
    expect(cart).toMatchObject({ startTime: 1767225600000000, duration: 1500, processID: 'p1' });
    expect(cart.tags).toContainEqual({ key: 'http.status_code', type: 'int64', value: 200 });
    expect(select.references).toEqual([{ refType: 'CHILD_OF', traceID: '5b8efff798038103d269b633813fc60c', spanID: 'eee19b7ec3c1b199' }]);
    // No adjusters: the missing parent is not reported, as Jaeger's transform does not adjust.
    expect(select.warnings).toBeNull();
    expect(body.data[0].processes.p1).toEqual({ serviceName: 'cart', tags: [{ key: 'host.name', type: 'string', value: 'n1' }] });
  });

  it('refuses a body that is not OTLP/JSON with 400 in the envelope', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/transform', headers: { 'content-type': 'application/json' }, payload: '{"resourceSpans": 7}' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ data: null, errors: [{ code: 400, msg: expect.stringMatching(/^cannot unmarshal OTLP : /) }] });
  });
});
