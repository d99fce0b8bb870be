/**
 * Jaeger's archive endpoint, `POST /api/archive/{traceID}`: hands the trace to the archive job
 * (the jobs role, or all-in-one's in-process scheduler) and answers Jaeger's `[]` once the run is
 * queued. Archiving the same trace while its run is still queued adds nothing. Reading an archived
 * trace needs no endpoint of its own: trace-by-id falls back to the archive (withArchiveFallback).
 */
import type { FastifyPluginAsync } from 'fastify';
import { JaegerParamError, parseTraceIdParam } from './jaeger/jaeger-params.js';

export interface ArchiveApiOptions {
  /** Queues one archive run of the trace (32 lower-case hex digits). */
  readonly enqueueArchive: (traceId: string) => Promise<void>;
}

const envelope = (data: unknown, errors: Array<{ code: number; msg: string }> | null = null) => ({ data, total: 0, limit: 0, offset: 0, errors });

export const archiveApi: FastifyPluginAsync<ArchiveApiOptions> = async (app, options) => {
  app.post<{ Params: { traceID: string } }>('/api/archive/:traceID', async (request, reply) => {
    let traceId: string;
    try {
      traceId = parseTraceIdParam(request.params.traceID);
    } catch (err) {
      if (err instanceof JaegerParamError) return reply.code(400).send(envelope(null, [{ code: 400, msg: err.message }]));
      throw err;
    }
    try {
      await options.enqueueArchive(traceId);
    } catch (err) {
      request.log.error({ err, traceId }, 'queueing the archive job failed');
      // The job queue (Redis) is unreachable: the client may retry.
      return reply.code(503).send(envelope(null, [{ code: 503, msg: `archive unavailable: ${err instanceof Error ? err.message : String(err)}` }]));
    }
    return envelope([]);
  });
};
