/**
 * jobs: the background jobs on bullmq — dependency roll-ups, retention, dead-letter replay and
 * trace archiving — over Redis, Elasticsearch and Kafka. Run as many as wanted: schedules are
 * shared through Redis (a tick is one run), runs are spread over the processes' workers.
 */
import { BullmqScheduler } from '../../shared/jobs/bullmq/bullmq-scheduler.js';
import { createElasticsearchMetrics } from '../../shared/storage/elasticsearch/elasticsearch-metrics.js';
import { createStoreMetrics } from '../../shared/storage/store-metrics.js';
import type { RoleBuilder } from '../role.js';
import { buildJobBackends } from './backends.js';
import { JobMetrics } from './job-metrics.js';
import { JOB_NAMES, registerJobs } from './jobs.js';

export const buildJobsRole: RoleBuilder = ({ config, logger, registry }) => {
  const backends = buildJobBackends(config, { metrics: { ...createStoreMetrics(registry), ...createElasticsearchMetrics(registry) }, logger });
  const scheduler = new BullmqScheduler({ redisUrl: config.redisUrl, prefix: config.redisPrefix, logger: logger.child({ component: 'jobs' }) });
  const jobMetrics = new JobMetrics(registry, { scheduler, jobs: JOB_NAMES });
  const names = registerJobs(
    scheduler,
    backends.parts,
    {
      concurrency: config.jobsConcurrency,
      schedules: { rollup: config.rollupSchedule, retention: config.retentionSchedule, 'dlq-replay': config.dlqReplaySchedule },
    },
    jobMetrics,
  );
  scheduler.onOutcome((o) => {
    if (o.ok) logger.info({ job: o.name, runId: o.runId, result: o.result, durationMs: Math.round(o.durationMs) }, 'job run succeeded');
    else logger.warn({ job: o.name, runId: o.runId, attempt: o.attempt, final: o.final, error: o.error }, 'job run failed');
  });
  return {
    // The scheduler last: stopped first, its workers finish their runs while the stores are still open.
    components: [...backends.components, { name: 'job-scheduler', start: () => scheduler.start(), stop: () => scheduler.stop() }],
    checks: [
      { name: 'redis', check: () => scheduler.isReady() },
      { name: 'elasticsearch', check: () => backends.spanStore.isReady() },
    ],
    endpoints: () => ({ jobs: names.join(',') }),
  };
};
