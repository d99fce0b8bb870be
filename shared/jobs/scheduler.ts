/**
 * JobScheduler: the seam between background job code and what runs it. Implementations:
 * `jobs/bullmq` (Redis; the `jobs` role, any number of processes) and `jobs/inprocess` (timers in
 * this process; all-in-one, so the embedded default needs no Redis). Both pass
 * test/integration/jobs-scheduler-contract.
 *
 * Contract:
 * - **Registered before start.** `register()` names a job, its handler, how many runs of it this
 *   process works on at once (`concurrency`) and optionally a cron schedule (UTC). A scheduler
 *   with no registrations only enqueues (the query role enqueues archive runs for the jobs role).
 * - **One run per schedule tick.** A cron tick produces one run, however many processes share the
 *   scheduler (bullmq job schedulers); a process that is down at a tick does not run it later.
 * - **Enqueued runs with an id run once.** `enqueue()` with a `runId` equal to a run that is
 *   waiting, active or delayed for a retry adds nothing. Once that run finished (either way),
 *   the same id may run again.
 * - **At-least-once, retried.** A handler that rejects is retried up to `attempts` times in all,
 *   with exponential backoff from `backoffMs`; after the last attempt the run is kept as failed
 *   with its error (bullmq: in the failed set; in-process: reported, then forgotten). A process
 *   that dies mid-run leaves the run to be retried (bullmq: stalled-job recovery; in-process: the
 *   run is lost with the process). Handlers must therefore be idempotent.
 * - **Graceful stop.** `stop()` stops schedules and taking new runs, then waits for the active
 *   runs to finish.
 */

/** What a handler is told about its run. */
export interface JobRun {
  /** Stable across retries of the same run. */
  readonly runId: string;
  /** 1 on the first attempt. */
  readonly attempt: number;
  /** When the run was due (schedule tick or enqueue time), epoch ms. */
  readonly dueAtMs: number;
}

/** Payloads cross Redis as JSON: keep them plain. */
export type JobPayload = Readonly<Record<string, string | number | boolean | null>>;

export type JobHandler = (payload: JobPayload, run: JobRun) => Promise<unknown>;

export interface JobRegistration {
  /** Queue name: letters, digits, `-` and `_`. */
  readonly name: string;
  readonly handler: JobHandler;
  /** Runs of this job one process works on at once. */
  readonly concurrency: number;
  /** Cron expression (5 fields, or 6 with seconds first), UTC; absent or empty = only on demand. */
  readonly schedule?: string;
  /** Attempts in all before a run counts as failed (default 3). */
  readonly attempts?: number;
  /** First retry delay; doubles per attempt (default 1000 ms). */
  readonly backoffMs?: number;
}

export interface EnqueueOptions {
  /** See the contract: a run with this id already waiting or active makes this call a no-op. */
  readonly runId?: string;
}

/** Runs by state, for /metrics. */
export interface JobCounts {
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  readonly failed: number;
  readonly completed: number;
}

/** What happened to one attempt, reported to observers (metrics, logs). */
export interface JobAttemptOutcome {
  readonly name: string;
  readonly runId: string;
  readonly attempt: number;
  readonly ok: boolean;
  readonly durationMs: number;
  readonly result?: unknown;
  readonly error?: string;
  /** The run will not be tried again (succeeded, or failed its last attempt). */
  readonly final: boolean;
}

/** What GET /api/v1/jobs shows of a job. */
export interface JobStatus {
  readonly name: string;
  /** Cron expression, when the job runs on a schedule. */
  readonly schedule?: string;
  /** Next scheduled run, epoch ms. */
  readonly nextRunAtMs?: number;
  /** The last run that finished (succeeded, or failed its last attempt), by any process sharing the scheduler. */
  readonly lastRun?: {
    readonly finishedAtMs: number;
    readonly ok: boolean;
    readonly durationMs: number;
    readonly result?: unknown;
    readonly error?: string;
  };
  readonly runs: JobCounts;
}

export interface JobScheduler {
  register(job: JobRegistration): void;
  /** Adds one run of a job (registered here or in another process sharing the scheduler). */
  enqueue(name: string, payload: JobPayload, options?: EnqueueOptions): Promise<void>;
  /** Called after every attempt of a job registered on this scheduler. */
  onOutcome(listener: (outcome: JobAttemptOutcome) => void): void;
  counts(name: string): Promise<JobCounts>;
  /** Status of these jobs (registered here or in another process sharing the scheduler). */
  status(names: readonly string[]): Promise<JobStatus[]>;
  start(): Promise<void>;
  stop(): Promise<void>;
  isReady(): Promise<boolean>;
}

export const DEFAULT_ATTEMPTS = 3;
export const DEFAULT_BACKOFF_MS = 1000;

export function checkRegistration(job: JobRegistration): void {
  if (!/^[A-Za-z0-9_-]+$/.test(job.name)) throw new RangeError(`job name must be letters, digits, "-" or "_", got ${JSON.stringify(job.name)}`);
  if (!Number.isInteger(job.concurrency) || job.concurrency < 1) throw new RangeError(`job ${job.name}: concurrency must be a positive integer, got ${job.concurrency}`);
  if (job.attempts !== undefined && (!Number.isInteger(job.attempts) || job.attempts < 1)) {
    throw new RangeError(`job ${job.name}: attempts must be a positive integer, got ${job.attempts}`);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
