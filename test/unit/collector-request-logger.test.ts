import Fastify, { LogController } from 'fastify';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { lazyRequestLogger } from '../../services/collector/transport/request-logger.js';

/** A fastify app whose logger writes JSON lines into `lines`, with the given request logger factory. */
async function appLogging(level: string, lazy: boolean) {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const app = Fastify({
    loggerInstance: pino({ level, base: { service: 'meshtel' } }, sink),
    logController: new LogController({ disableRequestLogging: true }),
    ...(lazy ? { childLoggerFactory: lazyRequestLogger } : {}),
  });
  app.post('/v1/traces', async (request) => {
    request.log.debug({ spans: 3 }, 'spans rejected individually');
    request.log.warn({ rejectedSpans: 1 }, 'spans rejected');
    return { ok: true };
  });
  await app.ready();
  return { app, lines };
}

function withoutTime(line: Record<string, unknown>) {
  const { time: _time, ...rest } = line;
  return rest;
}

describe('collector request logger', () => {
  it('writes the same lines, request id included, as fastify’s own child logger', async () => {
    for (const level of ['warn', 'debug']) {
      const eager = await appLogging(level, false);
      const lazy = await appLogging(level, true);
      await eager.app.inject({ method: 'POST', url: '/v1/traces', payload: {} });
      await lazy.app.inject({ method: 'POST', url: '/v1/traces', payload: {} });
      expect(lazy.lines.map(withoutTime)).toEqual(eager.lines.map(withoutTime));
      expect(lazy.lines.length).toBe(level === 'debug' ? 2 : 1);
      expect(lazy.lines[0].reqId).toBe('req-1');
      await Promise.all([eager.app.close(), lazy.app.close()]);
    }
  });

  it('answers level questions like the logger it stands for, and makes the child for a child', async () => {
    const parent = pino({ level: 'info' });
    const log = lazyRequestLogger.call(Fastify(), parent, { reqId: 'req-7' }, {}, undefined as never);
    expect(log.level).toBe('info');
    log.level = 'debug';
    expect(log.level).toBe('debug');
    expect(parent.level).toBe('info');
    const child = log.child({ route: 'x' }, {}) as ReturnType<typeof parent.child>;
    expect(child.bindings()).toEqual({ reqId: 'req-7', route: 'x' });
  });
});
