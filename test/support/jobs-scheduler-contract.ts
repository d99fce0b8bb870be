/**
 * The JobScheduler contract (shared/jobs/scheduler.ts) as one suite every implementation runs.
 * `makeScheduler` returns a new, unstarted scheduler sharing nothing with earlier ones (bullmq: a
 * fresh key prefix); `peer` (when the implementation shares work across processes) returns a
 * second scheduler over the same queues, as a second `meshtel jobs` process would be.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JobAttemptOutcome, JobPayload, JobScheduler } from '../../shared/jobs/scheduler.js';
import { waitUntil } from './poll.js';

export interface SchedulerContractOptions {
  readonly makeScheduler: () => JobScheduler;
  /** A scheduler sharing the last made one's queues (another process), when the implementation has such. */
  readonly peer?: () => JobScheduler;
}

const TIMEOUT = 30_000;

export function describeSchedulerContract(name: string, options: SchedulerContractOptions): void {
  describe(`JobScheduler contract: ${name}`, () => {
    const made: JobScheduler[] = [];
    const make = (): JobScheduler => {
      const s = options.makeScheduler();
      made.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of made.splice(0)) await s.stop();
    });

    it('runs an enqueued job with its payload and reports the outcome with the result', async () => {
      const s = make();
      const seen: JobPayload[] = [];
      const outcomes: JobAttemptOutcome[] = [];
      s.register({ name: 'echo', concurrency: 1, handler: async (payload) => { seen.push(payload); return { doubled: Number(payload.n) * 2 }; } });
      s.onOutcome((o) => outcomes.push(o));
      await s.start();
      await s.enqueue('echo', { n: 21, label: 'x' });
      await waitUntil('one outcome', () => outcomes.length === 1, TIMEOUT);
      expect(seen).toEqual([{ n: 21, label: 'x' }]);
      expect(outcomes[0]).toMatchObject({ name: 'echo', ok: true, final: true, attempt: 1, result: { doubled: 42 } });
      expect(await s.isReady()).toBe(true);
    });

    it('retries a failing run with backoff and keeps the final failure with its error', async () => {
      const s = make();
      let calls = 0;
      const outcomes: JobAttemptOutcome[] = [];
      s.register({
        name: 'flaky', concurrency: 1, attempts: 3, backoffMs: 20,
        handler: async (payload, run) => {
          calls++;
          if (payload.failAlways || run.attempt < 2) throw new Error(`boom on attempt ${run.attempt}`);
          return 'ok';
        },
      });
      s.onOutcome((o) => outcomes.push(o));
      await s.start();
      await s.enqueue('flaky', { failAlways: false }, { runId: 'once-failing' });
      await waitUntil('the retry to succeed', () => outcomes.some((o) => o.ok), TIMEOUT);
      expect(outcomes.map((o) => [o.attempt, o.ok, o.final])).toEqual([[1, false, false], [2, true, true]]);
      expect(outcomes[0]!.error).toBe('boom on attempt 1');

      await s.enqueue('flaky', { failAlways: true }, { runId: 'always-failing' });
      await waitUntil('the last attempt', () => outcomes.some((o) => o.runId === 'always-failing' && o.final), TIMEOUT);
      const failing = outcomes.filter((o) => o.runId === 'always-failing');
      expect(failing.map((o) => o.attempt)).toEqual([1, 2, 3]);
      expect(failing.at(-1)).toMatchObject({ ok: false, final: true, error: 'boom on attempt 3' });
      expect(calls).toBe(5);
      expect((await s.counts('flaky')).failed).toBe(1);
    });

    it('adds nothing when a run with the same id is still waiting or active, and runs the id again once it completed', async () => {
      const s = make();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const runs: string[] = [];
      s.register({ name: 'dedupe', concurrency: 1, handler: async (_p, run) => { runs.push(run.runId); await gate; } });
      await s.start();
      await s.enqueue('dedupe', {}, { runId: 'w1' });
      await waitUntil('the first run to start', () => runs.length === 1, TIMEOUT);
      await s.enqueue('dedupe', {}, { runId: 'w1' }); // active
      await s.enqueue('dedupe', {}, { runId: 'w2' });
      await s.enqueue('dedupe', {}, { runId: 'w2' }); // waiting
      release();
      await waitUntil('the second run', () => runs.length === 2, TIMEOUT);
      await eventuallyIdle(s, 'dedupe');
      expect(runs).toEqual(['w1', 'w2']);
      await s.enqueue('dedupe', {}, { runId: 'w1' });
      await waitUntil('w1 to run again', () => runs.length === 3, TIMEOUT);
      expect(runs).toEqual(['w1', 'w2', 'w1']);
    });

    it('never runs more than `concurrency` runs of a job at once, and runs them all', async () => {
      const s = make();
      let active = 0;
      let maxActive = 0;
      let done = 0;
      s.register({
        name: 'bounded', concurrency: 2,
        handler: async () => {
          active++;
          maxActive = Math.max(maxActive, active);
          await new Promise((r) => setTimeout(r, 30));
          active--;
          done++;
        },
      });
      await s.start();
      for (let i = 0; i < 8; i++) await s.enqueue('bounded', { i });
      await waitUntil('all eight runs', () => done === 8, TIMEOUT);
      expect(maxActive).toBeLessThanOrEqual(2);
      expect(maxActive).toBeGreaterThanOrEqual(1);
    });

    it('turns each cron tick into one run, also with a second process sharing the schedule', async () => {
      const s = make();
      const ticks: number[] = [];
      const register = (x: JobScheduler) =>
        x.register({ name: 'tick', concurrency: 1, schedule: '* * * * * *', handler: async (_p, run) => { ticks.push(run.dueAtMs); } });
      register(s);
      await s.start();
      if (options.peer) {
        const p = options.peer();
        made.push(p);
        register(p);
        await p.start();
      }
      await waitUntil('three ticks', () => ticks.length >= 3, TIMEOUT);
      // Distinct due times: no tick ran twice, whichever process took it.
      expect(new Set(ticks).size).toBe(ticks.length);
    });

    it('reports schedules, next runs and the last finished run with its result, to every process sharing the scheduler', async () => {
      const s = make();
      const outcomes: JobAttemptOutcome[] = [];
      s.register({ name: 'nightly', concurrency: 1, schedule: '0 3 * * *', handler: async () => 'slept' });
      s.register({ name: 'ondemand', concurrency: 1, attempts: 1, handler: async (p) => { if (p.fail) throw new Error('no luck'); return { did: p.what }; } });
      s.onOutcome((o) => outcomes.push(o));
      await s.start();
      await s.enqueue('ondemand', { what: 'it' });
      await waitUntil('the run', () => outcomes.length === 1, TIMEOUT);
      const viewer = options.peer ? options.peer() : s;
      if (viewer !== s) made.push(viewer);
      const status = async () => {
        const deadline = Date.now() + TIMEOUT;
        for (;;) {
          const all = await viewer.status(['nightly', 'ondemand']);
          if (all[1]?.lastRun || Date.now() > deadline) return all;
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      const [nightly, ondemand] = await status();
      expect(nightly).toMatchObject({ name: 'nightly', schedule: '0 3 * * *' });
      expect(nightly!.nextRunAtMs).toBeGreaterThan(Date.now());
      expect(new Date(nightly!.nextRunAtMs!).getUTCHours()).toBe(3);
      expect(nightly!.lastRun).toBeUndefined();
      expect(ondemand).toMatchObject({ name: 'ondemand', lastRun: { ok: true, result: { did: 'it' } } });
      expect(ondemand!.schedule).toBeUndefined();

      await s.enqueue('ondemand', { fail: true });
      await waitUntil('the failing run', () => outcomes.length === 2, TIMEOUT);
      const deadline = Date.now() + TIMEOUT;
      let failed = (await viewer.status(['ondemand']))[0]!;
      while (failed.lastRun?.ok !== false && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        failed = (await viewer.status(['ondemand']))[0]!;
      }
      expect(failed.lastRun).toMatchObject({ ok: false, error: 'no luck' });
      expect(failed.runs.failed).toBe(1);
    });

    it('stop() waits for the active run to finish', async () => {
      const s = make();
      let finished = false;
      let started = false;
      s.register({ name: 'slow', concurrency: 1, handler: async () => { started = true; await new Promise((r) => setTimeout(r, 300)); finished = true; } });
      await s.start();
      await s.enqueue('slow', {});
      await waitUntil('the run to start', () => started, TIMEOUT);
      await s.stop();
      made.splice(made.indexOf(s), 1);
      expect(finished).toBe(true);
    });
  });
}

async function eventuallyIdle(s: JobScheduler, name: string): Promise<void> {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const c = await s.counts(name);
    if (c.active === 0 && c.waiting === 0) return;
    if (Date.now() > deadline) throw new Error(`job ${name} still busy: ${JSON.stringify(c)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
