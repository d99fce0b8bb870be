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
 * Roles whose work can be spread over processes: the collector keeps no state between requests
 * (each is answered once its publish to Kafka is acknowledged), and its workers share the receiver
 * ports; each ingester worker is one more member of the Kafka consumer group, as another ingester
 * process would be. all-in-one cannot: its buffer, stores and query answers live in its one process.
 */
export const CLUSTER_ROLES: readonly string[] = ['collector', 'ingester'];

/** The number of worker processes a setting asks for on this machine. */
export function workerCount(setting: WorkersSetting, cores: number = availableParallelism()): number {
  return setting === 'auto' ? Math.max(1, cores) : setting;
}

/** The settings the check below reads (a slice of the process configuration). */
export interface WorkersCheckInput {
  readonly workers: WorkersSetting;
  readonly remoteWriteUrl: string;
  readonly remoteWriteInstanceLabel: string;
}

/** Why a role cannot run with this setting, or [] when it can. */
export function workersSettingProblems(config: WorkersCheckInput, role: string | undefined): string[] {
  const setting = config.workers;
  if (setting === 1 || role === undefined) return [];
  const named = `MESHTEL_WORKERS / --workers = ${JSON.stringify(String(setting))}`;
  if (!CLUSTER_ROLES.includes(role)) {
    const why =
      role === 'all-in-one'
        ? 'all-in-one keeps its buffer, stores and query state in one process, so it runs as exactly one; run the collector role with --workers to spread the receivers over cores'
        : `only ${CLUSTER_ROLES.join(' and ')} can run as several worker processes; run more ${role} processes instead`;
    return [`${named}: ${why}`];
  }
  // Each ingester worker derives and remote-writes its own series; with one shared instance label
  // they would overwrite each other's samples in Prometheus.
  if (role === 'ingester' && workerCount(setting) > 1 && config.remoteWriteUrl !== '' && config.remoteWriteInstanceLabel !== 'auto') {
    return [`${named} with MESHTEL_REMOTE_WRITE_INSTANCE_LABEL = ${JSON.stringify(config.remoteWriteInstanceLabel)}: every ingester worker remote-writes its own series, so the instance label must be auto (<hostname>-<pid>, one per worker)`];
  }
  return [];
}
