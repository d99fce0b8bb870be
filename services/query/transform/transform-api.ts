/**
 * `POST /api/transform` (Jaeger v1 API): an OTLP/JSON trace file in, Jaeger JSON traces out, in
 * Jaeger's envelope. The Jaeger UI uses it to open OTLP files a user uploads. Like Jaeger, the
 * traces are translated as they are (no adjusters) and nothing is stored.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { JaegerTrace } from '../jaeger/model.js';
import { decodeTracesJson, groupSpansByTrace } from '../../../shared/otlp/traces/traces.js';
import { jaegerTraceView } from '../trace-view/jaeger-json.js';

export interface TransformApiOptions {
  /** Largest upload read, in bytes. */
  readonly maxBodyBytes: number;
}

export const transformApi: FastifyPluginAsync<TransformApiOptions> = async (app, options) => {
  // The body is decoded by the OTLP/JSON decoder (both key spellings, int64 as strings), not
  // fastify's JSON parser; any content type is read as text (the UI sends application/json).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.post('/api/transform', { bodyLimit: options.maxBodyBytes }, async (request, reply) => {
    const body = typeof request.body === 'string' ? request.body : '';
    let spans;
    try {
      spans = decodeTracesJson(body);
    } catch (err) {
      const msg = `cannot unmarshal OTLP : ${(err as Error).message}`;
      return reply.code(400).send({ data: null, total: 0, limit: 0, offset: 0, errors: [{ code: 400, msg }] });
    }
    const data: JaegerTrace[] = [];
    for (const traceSpans of groupSpansByTrace(spans).values()) {
      const trace = jaegerTraceView(traceSpans, { maxClockSkewAdjustNanos: 0n, raw: true });
      if (trace !== undefined) data.push(trace);
    }
    return { data, total: 0, limit: 0, offset: 0, errors: null };
  });
};
