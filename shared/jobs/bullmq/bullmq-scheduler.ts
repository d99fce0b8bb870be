/**
 * The bullmq JobScheduler: one bullmq queue per job (`<prefix>:<job>` keys in Redis), a Worker per
 * job registered here (its concurrency), and a bullmq job scheduler per cron schedule — so any
 * number of `meshtel jobs` processes share the work and a tick becomes exactly one run. Retries
 * with exponential backoff, failed runs kept with their error, stalled runs (a worker died
 * mid-run) picked up again by bullmq.
 */
import { Queue, Worker, type Job, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from '../../telemetry/logger.js';
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

export interface BullmqSchedulerOptions {
  /** redis://[user:password@]host:port[/db] */
  readonly redisUrl: string;
  /** Key prefix of every queue; deployments (and test runs) sharing one Redis differ here. */
  readonly prefix: string;
  readonly logger?: Logger;
  /** Failed runs kept per queue for inspection (the newest). */
  readonly keepFailed?: number;
  /**
   * Longest enqueue() waits for Redis before rejecting (default 5000 ms). bullmq's connections
   * retry for ever, so without it a caller (an HTTP request queueing an archive) would hang while
   * Redis is down. A run added after the timeout fired is still a valid run (jobs are idempotent).
   */
  readonly enqueueTimeoutMs?: number;
}

/** Options every run gets, whoever enqueued it. */
function runOptions(attempts: number, backoffMs: number, keepFailed: number): JobsOptions {
  return {
    attempts,
    backoff: { type: 'exponential', delay: backoffMs },
    // A completed run is forgotten, so its id may run again (an archive of a trace that grew).
    removeOnComplete: true,
    removeOnFail: { count: keepFailed },
  };
}

export class BullmqScheduler implements JobScheduler {
  private readonly options: BullmqSchedulerOptions;
  private readonly registrations = new Map<string, JobRegistration>();
  private readonly queues = new Map<string, Queue>();
  private readonly workers: Worker[] = [];
  private readonly listeners: Array<(o: JobAttemptOutcome) => void> = [];
  private started = false;
  /** Own connection for readiness and the last-run record (bullmq does not expose its clients). */
  private client: Redis | undefined;

  constructor(options: BullmqSchedulerOptions) {
    this.options = options;
  }

  register(job: JobRegistration): void {
    checkRegistration(job);
    if (this.started) throw new Error(`job ${job.name} registered after start()`);
    if (this.registrations.has(job.name)) throw new Error(`job ${job.name} registered twice`);
    this.registrations.set(job.name, job);
  }

  onOutcome(listener: (outcome: JobAttemptOutcome) => void): void {
    this.listeners.push(listener);
  }

  async enqueue(name: string, payload: JobPayload, options: EnqueueOptions = {}): Promise<void> {
    const job = this.registrations.get(name);
    const opts = runOptions(job?.attempts ?? DEFAULT_ATTEMPTS, job?.backoffMs ?? DEFAULT_BACKOFF_MS, this.keepFailed);
    // bullmq ignores an add whose jobId already exists (waiting, active, delayed or kept failed).
    const added = this.queue(name).add(name, payload, options.runId ? { ...opts, jobId: options.runId } : opts);
    const timeoutMs = this.options.enqueueTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not take the ${name} run within ${timeoutMs} ms`)), timeoutMs);
    });
    added.catch(() => undefined); // a late failure after the timeout is not unhandled
    try {
      await Promise.race([added, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  async counts(name: string): Promise<JobCounts> {
    const c = await this.queue(name).getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
    return { waiting: c.waiting ?? 0, active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0, completed: c.completed ?? 0 };
  }

  async status(names: readonly string[]): Promise<JobStatus[]> {
    const last = await this.redis().hgetall(this.lastRunKey).catch(() => ({}) as Record<string, string>);
    return Promise.all(
      names.map(async (name) => {
        const scheduler = await this.queue(name).getJobScheduler(name);
        let lastRun: JobStatus['lastRun'] | undefined;
        try {
          lastRun = last[name] ? (JSON.parse(last[name]) as JobStatus['lastRun']) : undefined;
        } catch {
          lastRun = undefined;
        }
        return {
          name,
          ...(scheduler?.pattern && { schedule: scheduler.pattern }),
          ...(scheduler?.next !== undefined && { nextRunAtMs: scheduler.next }),
          ...(lastRun && { lastRun }),
          runs: await this.counts(name),
        };
      }),
    );
  }

  async start(): Promise<void> {
    this.started = true;
    for (const job of this.registrations.values()) {
      const queue = this.queue(job.name);
      await queue.waitUntilReady();
      const attempts = job.attempts ?? DEFAULT_ATTEMPTS;
      const backoffMs = job.backoffMs ?? DEFAULT_BACKOFF_MS;
      if (job.schedule) {
        // Upsert: every process declares the same scheduler id; Redis keeps one, so a tick is one run.
        await queue.upsertJobScheduler(
          job.name,
          { pattern: job.schedule, tz: 'UTC' },
          { name: job.name, data: {}, opts: runOptions(attempts, backoffMs, this.keepFailed) },
        );
      } else {
        // A schedule turned off in the settings stops for every process sharing the queue.
        await queue.removeJobScheduler(job.name);
      }
      const worker = new Worker(job.name, (j: Job) => this.process(job, j), {
        connection: this.connection(),
        prefix: this.options.prefix,
        concurrency: job.concurrency,
      });
      worker.on('error', (err) => this.options.logger?.warn({ err, job: job.name }, 'job worker error'));
      await worker.waitUntilReady();
      this.workers.push(worker);
    }
  }

  /** Workers first (each waits for its active runs), then the queues' connections. */
  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    this.workers.length = 0;
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
    this.client?.disconnect();
    this.client = undefined;
  }

  async isReady(): Promise<boolean> {
    try {
      return (await this.redis().ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  private redis(): Redis {
    this.client ??= new Redis(this.options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000 });
    return this.client;
  }

  /** Hash of job name → its last finished run (JSON), shared by every process on this prefix. */
  private get lastRunKey(): string {
    return `${this.options.prefix}:meshtel:last-run`;
  }

  private recordLastRun(outcome: JobAttemptOutcome): void {
    const lastRun: JobStatus['lastRun'] = {
      finishedAtMs: Date.now(),
      ok: outcome.ok,
      durationMs: outcome.durationMs,
      ...(outcome.ok ? { result: outcome.result } : { error: outcome.error }),
    };
    // Best effort: a status record lost to a Redis hiccup must not fail the run itself.
    this.redis()
      .hset(this.lastRunKey, outcome.name, JSON.stringify(lastRun))
      .catch((err: unknown) => this.options.logger?.warn({ err, job: outcome.name }, 'could not record the last run'));
  }

  private get keepFailed(): number {
    return this.options.keepFailed ?? 1000;
  }

  private connection() {
    // bullmq's blocking connections need maxRetriesPerRequest: null (it would warn and set it).
    return { url: this.options.redisUrl, maxRetriesPerRequest: null };
  }

  private queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection(), prefix: this.options.prefix });
      q.on('error', (err) => this.options.logger?.warn({ err, queue: name }, 'job queue error'));
      this.queues.set(name, q);
    }
    return q;
  }

  private async process(job: JobRegistration, j: Job): Promise<unknown> {
    const attempt = j.attemptsMade + 1;
    const runId = j.id ?? `${job.name}-unknown`;
    const started = performance.now();
    try {
      const result = await job.handler(j.data as JobPayload, { runId, attempt, dueAtMs: j.timestamp });
      this.emit({ name: job.name, runId, attempt, ok: true, durationMs: performance.now() - started, result, final: true });
      return result;
    } catch (err) {
      const final = attempt >= (j.opts.attempts ?? 1);
      this.emit({ name: job.name, runId, attempt, ok: false, durationMs: performance.now() - started, error: errorMessage(err), final });
      throw err;
    }
  }

  private emit(outcome: JobAttemptOutcome): void {
    if (outcome.final) this.recordLastRun(outcome);
    for (const l of this.listeners) l(outcome);
  }
}
