/**
 * How many processes a role spreads over (node:cluster): the setting's schema and default, which
 * roles can run as several workers, and what 'auto' means on this machine.
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';

export const clusterSettings = z.object({
  /** 1 = one process, no cluster (the default); 'auto' = one worker per core Node may use. */
  workers: z.union([z.literal('auto'), z.coerce.number().int().min(1).max(256)], { error: 'expected auto or an integer from 1 to 256' }).default(1),
});

export type WorkersSetting = z.output<typeof clusterSettings>['workers'];

/**
 * Roles whose work can be spread over processes sharing the listeners: the collector keeps no
 * state between requests (every request is answered once its publish to Kafka is acknowledged).
 * all-in-one cannot: its buffer, stores and query answers live in its one process.
 */
export const CLUSTER_ROLES: readonly string[] = ['collector'];

/** The number of worker processes a setting asks for on this machine. */
export function workerCount(setting: WorkersSetting, cores: number = availableParallelism()): number {
  return setting === 'auto' ? Math.max(1, cores) : setting;
}

/** Why a role cannot run with this setting, or [] when it can. */
export function workersSettingProblems(setting: WorkersSetting, role: string | undefined): string[] {
  if (setting === 1 || role === undefined || CLUSTER_ROLES.includes(role)) return [];
  const why =
    role === 'all-in-one'
      ? 'all-in-one keeps its buffer, stores and query state in one process, so it runs as exactly one; run the collector role with --workers to spread the receivers over cores'
      : `only ${CLUSTER_ROLES.join(', ')} can run as several worker processes; run more ${role} processes instead`;
  return [`MESHTEL_WORKERS / --workers = ${JSON.stringify(String(setting))}: ${why}`];
}
