/** POST /api/archive/{traceID}: queues the archive run, Jaeger's `[]` answer, and clear refusals. */
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { archiveApi } from '../../services/query/archive-api.js';

async function appWith(enqueueArchive: (traceId: string) => Promise<void>) {
  const app = Fastify();
  await app.register(archiveApi, { enqueueArchive });
  return app;
}

describe('archive API', () => {
  it('queues the trace (as 32 lower-case hex digits) and answers Jaeger\'s empty list', async () => {
    const queued: string[] = [];
    const app = await appWith(async (id) => void queued.push(id));
    const res = await app.inject({ method: 'POST', url: '/api/archive/00000000000A11CE' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ data: [], total: 0, limit: 0, offset: 0, errors: null });
    expect(queued).toEqual(['000000000000000000000000000a11ce']);
  });

  it('refuses a malformed trace id with 400 and queues nothing', async () => {
    const queued: string[] = [];
    const app = await appWith(async (id) => void queued.push(id));
    const res = await app.inject({ method: 'POST', url: '/api/archive/not-a-trace' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].msg).toContain('traceID');
    expect(queued).toEqual([]);
  });

  it('answers 503 when the job queue cannot take the run', async () => {
    const app = await appWith(async () => {
      throw new Error('Redis did not take the archive run within 5000 ms');
    });
    const res = await app.inject({ method: 'POST', url: `/api/archive/${'ab'.repeat(16)}` });
    expect(res.statusCode).toBe(503);
    expect(res.json().errors[0].msg).toContain('Redis did not take the archive run');
  });
});
