/**
 * The in-process JobScheduler: cron ticks on timers, runs queued per job in memory, a counting
 * gate per job for concurrency, retries on timers. What all-in-one runs its jobs on, so the
 * embedded default needs no Redis. Nothing survives the process (see the contract in
 * ../scheduler.ts): a tick missed while stopped is not made up, a run lost with the process is
 * not retried.
 */
import { CronExpressionParser } from 'cron-parser';
import {
  checkRegistration,
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_MS,
  errorMessage,
  type EnqueueOptions,
  type JobAttemptOutcome,
  type JobCounts,
  type JobPayload,
  type JobRegistration,
  type JobScheduler,
  type JobStatus,
} from '../scheduler.js';

interface PendingRun {
  readonly runId: string;
  readonly payload: JobPayload;
  readonly dueAtMs: number;
  attempt: number;
}

interface JobState {
  readonly job: JobRegistration;
  readonly waiting: PendingRun[];
  /** Run ids waiting, active or delayed for a retry: enqueue() dedupes on them. */
  readonly live: Set<string>;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  cronTimer?: NodeJS.Timeout;
  nextTickMs?: number;
  lastRun?: JobStatus['lastRun'];
}

/** setTimeout's ceiling (~24.8 days); a longer wait is re-armed. */
const MAX_TIMER_MS = 2_147_483_647;

export interface InProcessSchedulerOptions {
  /** Clock for cron ticks; tests pin it. */
  readonly nowMs?: () => number;
}

export class InProcessScheduler implements JobScheduler {
  private readonly jobs = new Map<string, JobState>();
  private readonly listeners: Array<(o: JobAttemptOutcome) => void> = [];
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private readonly nowMs: () => number;
  private started = false;
  private stopped = false;
  private nextRunId = 0;

  constructor(options: InProcessSchedulerOptions = {}) {
    this.nowMs = options.nowMs ?? Date.now;
  }

  register(job: JobRegistration): void {
    checkRegistration(job);
    if (this.started) throw new Error(`job ${job.name} registered after start()`);
    if (this.jobs.has(job.name)) throw new Error(`job ${job.name} registered twice`);
    if (job.schedule) CronExpressionParser.parse(job.schedule, { tz: 'UTC' }); // fails now, not at the first tick
    this.jobs.set(job.name, { job, waiting: [], live: new Set(), active: 0, delayed: 0, failed: 0, completed: 0 });
  }

  onOutcome(listener: (outcome: JobAttemptOutcome) => void): void {
    this.listeners.push(listener);
  }

  async enqueue(name: string, payload: JobPayload, options: EnqueueOptions = {}): Promise<void> {
    const state = this.jobs.get(name);
    // In one process there is nobody else to run it: an unknown job is a wiring mistake.
    if (!state) throw new Error(`no job named ${name} is registered`);
    if (this.stopped) throw new Error('scheduler stopped');
    const runId = options.runId ?? `${name}-${++this.nextRunId}`;
    if (state.live.has(runId)) return;
    state.live.add(runId);
    state.waiting.push({ runId, payload, dueAtMs: this.nowMs(), attempt: 1 });
    this.pump(state);
  }

  async counts(name: string): Promise<JobCounts> {
    const s = this.jobs.get(name);
    if (!s) return { waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0 };
    return { waiting: s.waiting.length, active: s.active, delayed: s.delayed, failed: s.failed, completed: s.completed };
  }

  async status(names: readonly string[]): Promise<JobStatus[]> {
    return Promise.all(
      names.map(async (name) => {
        const s = this.jobs.get(name);
        return {
          name,
          ...(s?.job.schedule && { schedule: s.job.schedule }),
          ...(s?.nextTickMs !== undefined && { nextRunAtMs: s.nextTickMs }),
          ...(s?.lastRun && { lastRun: s.lastRun }),
          runs: await this.counts(name),
        };
      }),
    );
  }

  async start(): Promise<void> {
    this.started = true;
    for (const state of this.jobs.values()) {
      if (state.job.schedule) this.armCron(state);
      this.pump(state);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const state of this.jobs.values()) {
      if (state.cronTimer) clearTimeout(state.cronTimer);
      state.waiting.length = 0;
    }
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  async isReady(): Promise<boolean> {
    return this.started && !this.stopped;
  }

  private armCron(state: JobState): void {
    const now = this.nowMs();
    const next = CronExpressionParser.parse(state.job.schedule!, { currentDate: new Date(now), tz: 'UTC' }).next().getTime();
    const wait = Math.min(Math.max(0, next - now), MAX_TIMER_MS);
    state.nextTickMs = next;
    state.cronTimer = setTimeout(() => {
      if (this.stopped) return;
      if (this.nowMs() >= next) {
        // Ticks do not pile up behind a slow run: while an earlier tick's run still waits for a
        // free slot, this tick is skipped (bullmq's scheduler likewise keeps one upcoming run).
        const runId = `${state.job.name}:tick:${next}`;
        const tickWaiting = state.waiting.some((r) => r.runId.startsWith(`${state.job.name}:tick:`));
        if (!tickWaiting && !state.live.has(runId)) {
          state.live.add(runId);
          state.waiting.push({ runId, payload: {}, dueAtMs: next, attempt: 1 });
          this.pump(state);
        }
      }
      this.armCron(state);
    }, wait);
    state.cronTimer.unref();
  }

  private pump(state: JobState): void {
    if (!this.started || this.stopped) return;
    while (state.active < state.job.concurrency && state.waiting.length > 0) {
      const run = state.waiting.shift()!;
      state.active++;
      const p = this.attempt(state, run).finally(() => {
        this.running.delete(p);
        state.active--;
        this.pump(state);
      });
      this.running.add(p);
    }
  }

  private async attempt(state: JobState, run: PendingRun): Promise<void> {
    const { job } = state;
    const attempts = job.attempts ?? DEFAULT_ATTEMPTS;
    const started = performance.now();
    let outcome: JobAttemptOutcome;
    try {
      const result = await job.handler(run.payload, { runId: run.runId, attempt: run.attempt, dueAtMs: run.dueAtMs });
      outcome = { name: job.name, runId: run.runId, attempt: run.attempt, ok: true, durationMs: performance.now() - started, result, final: true };
      state.completed++;
      state.live.delete(run.runId);
    } catch (err) {
      const final = run.attempt >= attempts || this.stopped;
      outcome = { name: job.name, runId: run.runId, attempt: run.attempt, ok: false, durationMs: performance.now() - started, error: errorMessage(err), final };
      if (final) {
        state.failed++;
        state.live.delete(run.runId);
      } else {
        const delay = (job.backoffMs ?? DEFAULT_BACKOFF_MS) * 2 ** (run.attempt - 1);
        state.delayed++;
        const timer = setTimeout(() => {
          this.retryTimers.delete(timer);
          state.delayed--;
          run.attempt++;
          state.waiting.push(run);
          this.pump(state);
        }, delay);
        this.retryTimers.add(timer);
      }
    }
    if (outcome.final) {
      state.lastRun = {
        finishedAtMs: Date.now(),
        ok: outcome.ok,
        durationMs: outcome.durationMs,
        ...(outcome.ok ? { result: outcome.result } : { error: outcome.error }),
      };
    }
    for (const l of this.listeners) l(outcome);
  }
}
