/**
 * One-shot commands for operators and scripts, with the jobs role's settings:
 *
 *   meshtel jobs run <rollup|retention|dlq-replay> [--from <RFC 3339>] [--to <RFC 3339>] [--dry-run]
 *   meshtel dlq list   [--stage a,b] [--error <text>] [--source-topic <t>] [--from …] [--to …] [--limit n]
 *   meshtel dlq replay [the same selection] [--dry-run]
 *
 * `jobs run` and `dlq replay` print what they did as one JSON line; `dlq list` prints one JSON
 * line per record. Logs go to stderr, so stdout is only the answer. Exit 0 when done, 1 when the
 * job failed, 2 for a usage or settings mistake.
 */
import { pino } from 'pino';
import { ConfigError } from '../../shared/config/load.js';
import { loadConfig, type MeshtelConfig } from '../settings.js';
import type { Component } from '../../shared/model/component.js';
import { buildJobBackends, dlqStagesOf, type JobBackends } from './backends.js';
import type { DeadLetterFilter, DeadLetterRecord } from './dead-letter-replay.js';
import { runJob, type JobName } from './jobs.js';

/** Flags of the commands themselves, taken out before the settings are read. */
const COMMAND_FLAGS = ['--from', '--to', '--dry-run', '--stage', '--error', '--source-topic', '--limit'] as const;
const RUNNABLE: readonly JobName[] = ['rollup', 'retention', 'dlq-replay'];

export const COMMANDS_USAGE = [
  'Commands:',
  '  jobs run <rollup|retention|dlq-replay> [--from <RFC 3339>] [--to <RFC 3339>] [--dry-run]',
  '  dlq list   [--stage a,b] [--error <text>] [--source-topic <topic>] [--from …] [--to …] [--limit n]',
  '  dlq replay [--stage a,b] [--error <text>] [--source-topic <topic>] [--from …] [--to …] [--limit n] [--dry-run]',
].join('\n');

class UsageError extends Error {}

function time(flags: ReadonlyMap<string, string>, flag: string): number | undefined {
  const text = flags.get(flag);
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (text === '' || Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}T/.test(text)) throw new UsageError(`${flag} must be an RFC 3339 time such as 2026-01-31T00:00:00Z, got ${JSON.stringify(text)}`);
  return ms;
}

function bool(flags: ReadonlyMap<string, string>, flag: string): boolean {
  const v = flags.get(flag);
  if (v === undefined || v === 'false') return false;
  if (v === '' || v === 'true') return true;
  throw new UsageError(`${flag} takes no value (or true/false), got ${JSON.stringify(v)}`);
}

function filterOf(flags: ReadonlyMap<string, string>): DeadLetterFilter {
  const limitText = flags.get('--limit');
  const limit = limitText === undefined ? undefined : Number(limitText);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError(`--limit must be a positive integer, got ${JSON.stringify(limitText)}`);
  const stages = flags.get('--stage')?.split(',').map((s) => s.trim()).filter(Boolean);
  const fromMs = time(flags, '--from');
  const toMs = time(flags, '--to');
  return {
    ...(stages && stages.length > 0 && { stages }),
    ...(flags.get('--error') && { errorContains: flags.get('--error')! }),
    ...(flags.get('--source-topic') && { sourceTopic: flags.get('--source-topic')! }),
    ...(fromMs !== undefined && { fromMs }),
    ...(toMs !== undefined && { toMs }),
    ...(limit !== undefined && { limit }),
  };
}

function describeRecord(r: DeadLetterRecord): Record<string, unknown> {
  return {
    position: r.position,
    time: new Date(r.timestampMs).toISOString(),
    stage: r.stage,
    error: r.error,
    sourceTopic: r.sourceTopic,
    sourcePosition: r.sourcePosition,
    key: r.key?.toString('utf8') ?? null,
    valueBytes: r.value?.length ?? 0,
  };
}

/** Runs a command; resolves to the exit code. `write` receives the output lines (stdout). */
export async function runCommand(
  positional: readonly string[],
  allFlags: ReadonlyMap<string, string>,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const flags = new Map([...allFlags].filter(([f]) => (COMMAND_FLAGS as readonly string[]).includes(f)));
  const settingFlags = new Map([...allFlags].filter(([f]) => !(COMMAND_FLAGS as readonly string[]).includes(f)));
  let config: MeshtelConfig;
  try {
    config = loadConfig(settingFlags, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`meshtel: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = pino({ level: config.logLevel, base: { service: 'meshtel', role: positional.slice(0, 2).join(' ') } }, pino.destination(2));
  let backends: JobBackends | undefined;
  const started: Component[] = [];
  const start = async (...names: string[]) => {
    for (const c of backends!.components.filter((x) => names.includes(x.name))) {
      await c.start();
      started.push(c);
    }
  };
  try {
    backends = buildJobBackends(config, { logger });
    if (positional[0] === 'jobs') {
      const job = positional[2] as JobName | undefined;
      if (!job || !RUNNABLE.includes(job)) throw new UsageError(`meshtel jobs run: name one of ${RUNNABLE.join(', ')}`);
      const fromMs = time(flags, '--from');
      const toMs = time(flags, '--to');
      if (job === 'rollup') await start('span-store', 'rollup-store');
      if (job === 'dlq-replay') await start('redis');
      const result = await runJob(backends.parts, job, {
        ...(fromMs !== undefined && { fromMs }),
        ...(toMs !== undefined && { toMs }),
        dryRun: bool(flags, '--dry-run'),
      });
      write(JSON.stringify(result));
      return 0;
    }
    const action = positional[1];
    if (action === 'list') {
      for (const r of await backends.dlq.list(filterOf(flags))) write(JSON.stringify(describeRecord(r)));
      return 0;
    }
    if (action === 'replay') {
      await start('redis');
      const filter = filterOf(flags);
      const stages = filter.stages ?? dlqStagesOf(config);
      write(JSON.stringify(await backends.dlq.replay({ ...filter, ...(stages.length > 0 && { stages }) }, { dryRun: bool(flags, '--dry-run') })));
      return 0;
    }
    throw new UsageError('meshtel dlq: use "list" or "replay"');
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${COMMANDS_USAGE}\n`);
      return 2;
    }
    process.stderr.write(`meshtel: ${positional.join(' ')} failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    for (const c of started.reverse()) await c.stop().catch(() => undefined);
    // The client is the span store's; closing it when the store never started ends the process's sockets.
    if (backends && !started.some((c) => c.name === 'span-store')) await backends.spanStore.client.close().catch(() => undefined);
    if (backends && !started.some((c) => c.name === 'redis')) backends.redis.disconnect();
  }
}
