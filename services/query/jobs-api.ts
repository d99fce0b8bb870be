/**
 * `GET /api/v1/jobs`: every background job with its schedule, next run, last finished run and
 * result, and its runs by state — as the job scheduler reports them (bullmq through Redis for the
 * query role, the in-process scheduler in all-in-one).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { JobStatus } from '../../shared/jobs/scheduler.js';

export interface JobsApiOptions {
  readonly jobStatus: () => Promise<JobStatus[]>;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export const jobsApi: FastifyPluginAsync<JobsApiOptions> = async (app, options) => {
  app.get('/api/v1/jobs', async (request, reply) => {
    let jobs: JobStatus[];
    try {
      jobs = await options.jobStatus();
    } catch (err) {
      request.log.warn({ err }, 'reading job status failed');
      return reply.code(503).send({ error: `job status unavailable: ${err instanceof Error ? err.message : String(err)}` });
    }
    return {
      jobs: jobs.map((j) => ({
        name: j.name,
        schedule: j.schedule ?? null,
        nextRunAt: iso(j.nextRunAtMs),
        lastRun: j.lastRun
          ? {
              finishedAt: iso(j.lastRun.finishedAtMs),
              ok: j.lastRun.ok,
              durationMs: Math.round(j.lastRun.durationMs),
              ...(j.lastRun.ok ? { result: j.lastRun.result ?? null } : { error: j.lastRun.error ?? '' }),
            }
          : null,
        runs: j.runs,
      })),
    };
  });
};
