/**
 * The background jobs' settings (role `jobs`; all-in-one runs roll-ups and archiving in process):
 * Redis, schedules, concurrency, roll-up lateness, retention per signal and dead-letter replay.
 */
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { goDurationText } from '../../shared/config/duration-setting.js';

const positiveInt = z.number().int().min(1);
const nonNegativeInt = z.number().int().min(0);

/** A cron expression (5 fields, or 6 with seconds first) checked at start; empty = never. */
const cron = z.string().superRefine((expr, ctx) => {
  if (expr.trim() === '') return;
  try {
    CronExpressionParser.parse(expr);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a cron expression: ${err instanceof Error ? err.message : String(err)}` });
  }
});

export const jobsSettings = z.object({
  redisUrl: z.url().default('redis://127.0.0.1:6379'),
  redisPrefix: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'letters, digits, ".", "_" or "-" (at most 100)').default('meshtel'),
  concurrency: positiveInt.default(1),
  rollupSchedule: cron.default('*/5 * * * *'),
  retentionSchedule: cron.default('15 0 * * *'),
  /** Empty: dead letters are replayed only on demand. */
  dlqReplaySchedule: cron.default(''),
  /** Go durations (read with durationMs). */
  rollupLateness: goDurationText.default('10m'),
  rollupBackfill: goDurationText.default('48h'),
  /** Daily indices kept per signal, today included; 0 = forever. */
  retentionSpansDays: nonNegativeInt.default(7),
  retentionServicesDays: nonNegativeInt.default(7),
  retentionAccessLogsDays: nonNegativeInt.default(7),
  retentionRollupsDays: nonNegativeInt.default(90),
  dlqReplayRate: positiveInt.default(100),
  dlqReplayStages: z.string().regex(/^[A-Za-z0-9._,\s-]*$/, 'a comma-separated list of stage names').default(''),
});

export type JobsSettings = z.output<typeof jobsSettings>;
