/**
 * The jobs' own metrics, on the role's registry: attempts and final failures per job, run
 * duration, last success time, runs per queue state (read from the scheduler at scrape time),
 * and what the runs did — indices deleted, records replayed, windows rolled up.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { JobAttemptOutcome, JobScheduler } from '../../shared/jobs/scheduler.js';
import type { ReplayResult as DlqReplayResult } from './dead-letter-replay.js';
import type { RetentionResult } from './retention-job.js';
import type { RollupResult } from './rollup-job.js';

const STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

export class JobMetrics {
  private readonly runs: Counter<'job' | 'outcome'>;
  private readonly failed: Counter<'job'>;
  private readonly duration: Histogram<'job'>;
  private readonly lastSuccess: Gauge<'job'>;
  readonly indicesDeleted: Counter<'signal'>;
  readonly recordsReplayed: Counter<'topic'>;
  readonly windowsRolledUp: Counter<'granularity'>;

  constructor(registry: Registry, scheduler?: { readonly scheduler: JobScheduler; readonly jobs: readonly string[] }) {
    const registers = [registry];
    this.runs = new Counter({ name: 'meshtel_jobs_runs_total', help: 'Job attempts, by job and outcome (success, failure).', labelNames: ['job', 'outcome'], registers });
    this.failed = new Counter({ name: 'meshtel_jobs_failed_total', help: 'Job runs that failed their last attempt (kept as failed with their error).', labelNames: ['job'], registers });
    this.duration = new Histogram({
      name: 'meshtel_jobs_duration_seconds',
      help: 'Duration of job attempts.',
      labelNames: ['job'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
      registers,
    });
    this.lastSuccess = new Gauge({ name: 'meshtel_jobs_last_success_timestamp_seconds', help: 'When each job last succeeded (Unix seconds).', labelNames: ['job'], registers });
    this.indicesDeleted = new Counter({ name: 'meshtel_retention_indices_deleted_total', help: 'Daily indices deleted by retention, by signal.', labelNames: ['signal'], registers });
    this.recordsReplayed = new Counter({ name: 'meshtel_dlq_records_replayed_total', help: 'Dead-letter records replayed to their source topic, by topic.', labelNames: ['topic'], registers });
    this.windowsRolledUp = new Counter({ name: 'meshtel_rollup_windows_total', help: 'Roll-up windows computed and written, by granularity.', labelNames: ['granularity'], registers });
    if (scheduler) {
      new Gauge({
        name: 'meshtel_jobs_queue_runs',
        help: 'Runs per job and state (waiting, active, delayed, failed, completed), as the scheduler reports them.',
        labelNames: ['job', 'state'],
        registers,
        async collect() {
          for (const job of scheduler.jobs) {
            const counts = await scheduler.scheduler.counts(job).catch(() => undefined);
            if (!counts) continue;
            for (const state of STATES) this.set({ job, state }, counts[state]);
          }
        },
      });
    }
  }

  /** Scheduler outcome listener. */
  readonly observe = (o: JobAttemptOutcome): void => {
    this.runs.inc({ job: o.name, outcome: o.ok ? 'success' : 'failure' });
    this.duration.observe({ job: o.name }, o.durationMs / 1000);
    if (o.ok) this.lastSuccess.set({ job: o.name }, Date.now() / 1000);
    else if (o.final) this.failed.inc({ job: o.name });
  };

  /** Counts what a run did, from its result (also for `meshtel jobs run`). */
  recordResult(result: RollupResult | RetentionResult | DlqReplayResult | { job: string }): void {
    if (result.job === 'retention' && 'deleted' in result) {
      for (const index of result.deleted) {
        const signal = /-(spans|services|accesslogs|dependencies)-\d{4}\.\d{2}\.\d{2}$/.exec(index)?.[1] ?? 'unknown';
        if (!result.dryRun) this.indicesDeleted.inc({ signal });
      }
    } else if (result.job === 'dlq-replay' && 'byTopic' in result && !result.dryRun) {
      for (const [topic, n] of Object.entries(result.byTopic)) this.recordsReplayed.inc({ topic }, n);
    } else if (result.job === 'rollup' && 'hours' in result && !result.dryRun) {
      this.windowsRolledUp.inc({ granularity: 'hour' }, result.hours);
      this.windowsRolledUp.inc({ granularity: 'day' }, result.days);
    }
  }
}
