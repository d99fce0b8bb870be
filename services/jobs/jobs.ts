/**
 * The job set, one place for both ways jobs run: on a scheduler (the jobs role, all-in-one) and
 * once in the foreground (`meshtel jobs run`). Each job is a name, the code it runs and the
 * request it takes; which jobs exist depends on what the process has (retention needs
 * Elasticsearch, dead-letter replay needs Kafka and Redis).
 */
import { JOB_NAMES, type JobName } from '../../shared/jobs/names.js';
import type { JobPayload, JobScheduler } from '../../shared/jobs/scheduler.js';
import type { ArchiveJob, ArchiveResult } from './archive-job.js';
import type { DeadLetterFilter, DeadLetterQueue, ReplayResult } from './dead-letter-replay.js';
import type { JobMetrics } from './job-metrics.js';
import type { RetentionJob, RetentionResult } from './retention-job.js';
import type { RollupJob, RollupResult } from './rollup-job.js';

export { JOB_NAMES, type JobName };

export type DlqReplayResult = ReplayResult;
export type JobResult = RollupResult | RetentionResult | DlqReplayResult | ArchiveResult;

export interface JobParts {
  readonly rollup: RollupJob;
  readonly archive?: ArchiveJob;
  readonly retention?: RetentionJob;
  readonly dlq?: { readonly queue: DeadLetterQueue; readonly filter: DeadLetterFilter };
}

export interface JobRequest {
  readonly fromMs?: number;
  readonly toMs?: number;
  readonly dryRun?: boolean;
  /** archive only. */
  readonly traceId?: string;
}

export class JobUnavailableError extends Error {}

export function availableJobs(parts: JobParts): JobName[] {
  return JOB_NAMES.filter((n) => (n === 'rollup' ? true : n === 'dlq-replay' ? parts.dlq !== undefined : parts[n] !== undefined));
}

export async function runJob(parts: JobParts, name: JobName, request: JobRequest = {}): Promise<JobResult> {
  const range = {
    ...(request.fromMs !== undefined && { fromMs: request.fromMs }),
    ...(request.toMs !== undefined && { toMs: request.toMs }),
  };
  switch (name) {
    case 'rollup':
      return parts.rollup.run({ ...range, dryRun: request.dryRun === true });
    case 'retention':
      if (!parts.retention) throw new JobUnavailableError('retention needs Elasticsearch (not available in all-in-one, whose memory store has no indices)');
      return parts.retention.run({ dryRun: request.dryRun === true });
    case 'dlq-replay':
      if (!parts.dlq) throw new JobUnavailableError('dlq-replay needs Kafka and Redis');
      return parts.dlq.queue.replay({ ...parts.dlq.filter, ...range }, { dryRun: request.dryRun === true });
    case 'archive':
      if (!parts.archive) throw new JobUnavailableError('archive is not available here');
      if (!request.traceId) throw new JobUnavailableError('archive needs a trace id');
      return parts.archive.run(request.traceId);
  }
}

/** Scheduler payloads are plain JSON: times travel as ISO strings. */
export function requestToPayload(request: JobRequest): JobPayload {
  const payload: Record<string, string | boolean> = {};
  if (request.fromMs !== undefined) payload.from = new Date(request.fromMs).toISOString();
  if (request.toMs !== undefined) payload.to = new Date(request.toMs).toISOString();
  if (request.dryRun) payload.dryRun = true;
  if (request.traceId) payload.traceId = request.traceId;
  return payload;
}

export function payloadToRequest(payload: JobPayload): JobRequest {
  const time = (v: unknown) => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? Date.parse(v) : undefined);
  const fromMs = time(payload.from);
  const toMs = time(payload.to);
  return {
    ...(fromMs !== undefined && { fromMs }),
    ...(toMs !== undefined && { toMs }),
    ...(payload.dryRun === true && { dryRun: true }),
    ...(typeof payload.traceId === 'string' && { traceId: payload.traceId }),
  };
}

export interface ScheduleSettings {
  readonly concurrency: number;
  readonly schedules: Partial<Record<JobName, string>>;
}

/** Registers every available job on the scheduler, its outcomes and results counted in `metrics`. */
export function registerJobs(scheduler: JobScheduler, parts: JobParts, settings: ScheduleSettings, metrics: JobMetrics): JobName[] {
  const names = availableJobs(parts);
  for (const name of names) {
    const schedule = settings.schedules[name];
    scheduler.register({
      name,
      concurrency: settings.concurrency,
      ...(schedule && { schedule }),
      handler: async (payload) => {
        const result = await runJob(parts, name, payloadToRequest(payload));
        metrics.recordResult(result);
        return result;
      },
    });
  }
  scheduler.onOutcome(metrics.observe);
  return names;
}
