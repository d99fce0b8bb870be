/**
 * The bad-input corpus (test/corpus/bad-inputs.ts) replayed against every receiver and query
 * endpoint: all-in-one for everything, and the query role over the real Elasticsearch for the
 * query cases (extreme time windows reach the backend there). Each case: the status, a message
 * naming the problem, the process still up; and a good trace sent before the corpus is still
 * there after it.
 */
import { randomBytes } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BAD_INPUTS, type GrpcCase, type HttpCase } from '../corpus/bad-inputs.js';
import { dropIndexPrefix } from '../integration/spanstore-elasticsearch-support.js';
import { eventually, startMeshtel, type MeshtelProcess } from '../support/meshtel-process.js';
import { grpcSession, rawGrpcCall } from '../support/raw-grpc.js';
import { ensureServers, ES_URL } from '../support/servers.js';

const GOOD_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const esPrefix = `corpus-${randomBytes(4).toString('hex')}`;
let allInOne: MeshtelProcess;
let query: MeshtelProcess;

async function sendHttp(target: MeshtelProcess, c: HttpCase): Promise<{ status: number; text: string }> {
  const res = await fetch(target.url(c.listener, c.path), {
    method: c.method,
    headers: c.headers,
    body: c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : new Uint8Array(c.body),
  });
  return { status: res.status, text: await res.text() };
}

async function expectUp(target: MeshtelProcess, after: string): Promise<void> {
  expect(target.child.exitCode, `process exited after "${after}"`).toBeNull();
  expect((await fetch(target.url('admin', '/healthz'))).status, `healthz after "${after}"`).toBe(200);
}

beforeAll(async () => {
  await ensureServers(['elasticsearch']);
  [allInOne, query] = await Promise.all([
    startMeshtel('all-in-one'),
    startMeshtel('query', ['--es-url', ES_URL, '--es-index-prefix', esPrefix]),
  ]);
  const now = BigInt(Date.now()) * 1_000_000n;
  const good = await fetch(allInOne.url('otlpHttp', '/v1/traces'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      resourceSpans: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'corpus-good' } }] },
        scopeSpans: [{ spans: [{ traceId: GOOD_TRACE, spanId: '00f067aa0ba902b7', name: 'kept', startTimeUnixNano: String(now - 1000n), endTimeUnixNano: String(now) }] }],
      }],
    }),
  });
  expect(good.status).toBe(200);
}, 300_000);

afterAll(async () => {
  await Promise.all([allInOne?.stop(), query?.stop()]);
  const es = new Client({ node: ES_URL });
  try {
    await dropIndexPrefix(es, esPrefix);
  } finally {
    await es.close();
  }
}, 120_000);

describe('bad-input corpus', () => {
  const httpCases = BAD_INPUTS.filter((c): c is HttpCase => c.kind === 'http');
  const grpcCases = BAD_INPUTS.filter((c): c is GrpcCase => c.kind === 'grpc');

  it.each(httpCases.map((c) => [c.name, c] as const))('all-in-one: %s', async (_name, c) => {
    const { status, text } = await sendHttp(allInOne, c);
    expect(status, text.slice(0, 300)).toBe(c.status);
    expect(text).toMatch(c.message);
    expect(text).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/); // no stack trace
    await expectUp(allInOne, c.name);
  });

  it.each(grpcCases.map((c) => [c.name, c] as const))('all-in-one: %s', async (_name, c) => {
    const session = grpcSession(allInOne.endpoints.otlpGrpc!);
    try {
      const outcome = await rawGrpcCall(session, c.path, c.frame, { encoding: c.encoding, timeoutMs: 30_000 });
      expect(outcome.status, JSON.stringify(outcome)).toBe(c.status);
      expect(outcome.message ?? '').toMatch(c.message);
    } finally {
      session.close();
    }
    await expectUp(allInOne, c.name);
  });

  it.each(httpCases.filter((c) => c.listener === 'query').map((c) => [c.name, c] as const))('query over Elasticsearch: %s', async (_name, c) => {
    const { status, text } = await sendHttp(query, c);
    expect(status, text.slice(0, 300)).toBe(c.status);
    expect(text).toMatch(c.message);
    expect(text).not.toMatch(/exception|elasticsearch/i); // the backend's own words stay in the log
    await expectUp(query, c.name);
  });

  it('kept the good trace sent before the corpus', async () => {
    const body = await eventually(async () => {
      const res = await fetch(allInOne.url('query', `/api/traces/${GOOD_TRACE}`));
      return res.status === 200 ? ((await res.json()) as { data: Array<{ spans: unknown[] }> }) : undefined;
    }, 30_000, 250);
    expect(body.data[0]!.spans).toHaveLength(1);
  });
});
