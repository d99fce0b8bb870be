import { describe, expect, it } from 'vitest';
import { QueryService } from '../../services/query/query-service.js';
import { MemorySpanStore } from '../../shared/storage/memory/memory-span-store.js';
import { createLogger } from '../../shared/telemetry/logger.js';
import { span } from '../fixtures/spans.js';

describe('query service', () => {
  it('serves the Jaeger API on a free port after start, and stops listening after stop', async () => {
    const store = new MemorySpanStore({ maxSpans: 100, maxBytes: 1e6 });
    await store.writeSpans([span({ service: 'frontend' })]);
    const query = new QueryService({
      host: '127.0.0.1', port: 0, reader: store, defaultLimit: 20, maxLimit: 100, logger: createLogger('silent'),
    });
    expect(() => query.port).toThrow(/not started/);
    await query.start();
    const url = `http://127.0.0.1:${query.port}/api/services`;
    expect(query.port).toBeGreaterThan(0);
    expect(await (await fetch(url)).json()).toEqual({ data: ['frontend'], total: 1, limit: 0, offset: 0, errors: null });
    await query.stop();
    await expect(fetch(url)).rejects.toThrow();
  });

  it('serves api_v3, the Monitor endpoints (501 without a Prometheus) and transform beside the v1 API', async () => {
    const store = new MemorySpanStore({ maxSpans: 100, maxBytes: 1e6 });
    await store.writeSpans([span({ service: 'frontend' })]);
    const query = new QueryService({
      host: '127.0.0.1', port: 0, reader: store, defaultLimit: 20, maxLimit: 100, logger: createLogger('silent'),
    });
    await query.start();
    try {
      const base = `http://127.0.0.1:${query.port}`;
      expect(await (await fetch(`${base}/api/v3/services`)).json()).toEqual({ services: ['frontend'] });
      expect((await fetch(`${base}/api/metrics/calls?service=frontend`)).status).toBe(501);
      const transform = await fetch(`${base}/api/transform`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceSpans":[]}' });
      expect(await transform.json()).toEqual({ data: [], total: 0, limit: 0, offset: 0, errors: null });
      // Other paths under /api still answer in v1's envelope.
      expect((await fetch(`${base}/api/nothing`)).status).toBe(404);
    } finally {
      await query.stop();
    }
  });

  it('refuses limits that cannot work', () => {
    const base = { host: '127.0.0.1', port: 0, reader: new MemorySpanStore({ maxSpans: 1, maxBytes: 1 }), logger: createLogger('silent') };
    expect(() => new QueryService({ ...base, defaultLimit: 0, maxLimit: 10 })).toThrow(/defaultLimit/);
    expect(() => new QueryService({ ...base, defaultLimit: 20, maxLimit: 10 })).toThrow(/maxLimit/);
  });
});

describe('query service: requests the HTTP parser refuses', () => {
  /** Writes raw bytes, returns everything the server sent until it closed (or 5 s passed). */
  async function raw(port: number, request: string): Promise<string> {
    const net = await import('node:net');
    return new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
      let reply = '';
      const timer = setTimeout(() => socket.destroy(), 5000);
      socket.on('data', (d: Buffer) => (reply += d.toString('latin1')));
      socket.on('error', () => {});
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(reply);
      });
    });
  }

  it.each([
    ['DELETE with a body but no Content-Length', 'DELETE /api/services HTTP/1.1\r\nHost: x\r\n\r\n{"a":1}'],
    ['OPTIONS with broken chunking', 'OPTIONS /api/services HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
  ])('answers %s with the Jaeger envelope, not fastify\'s "Client Error"', async (_name, request) => {
    const query = new QueryService({
      host: '127.0.0.1', port: 0, reader: new MemorySpanStore({ maxSpans: 10, maxBytes: 1e6 }), defaultLimit: 20, maxLimit: 100, logger: createLogger('silent'),
    });
    await query.start();
    try {
      const reply = await raw(query.port, request);
      expect(reply).not.toContain('Client Error');
      const last = reply.lastIndexOf('HTTP/1.1 ');
      const [head, body] = reply.slice(last).split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1.1 400/);
      expect(JSON.parse(body!)).toMatchObject({ data: null, errors: [{ code: 400, msg: expect.stringMatching(/malformed HTTP request/) }] });
    } finally {
      await query.stop();
    }
  });
});
