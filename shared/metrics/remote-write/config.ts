/**
 * From settings to RemoteWriteSinkOptions: the one place the MESHTEL_REMOTE_WRITE_* values are
 * interpreted, so every role that sends derived metrics does it the same way.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { MeshtelConfig } from '../../config/settings.js';
import type { Logger } from '../../telemetry/logger.js';
import type { MetricsSource } from '../registry.js';
import { parseLabelList } from './labels.js';
import type { RemoteWriteMetrics, RemoteWriteSinkOptions } from './remote-write-sink.js';

/** The label that keeps series of several ingesters apart. */
export const INSTANCE_LABEL_NAME = 'meshtel_instance';

export type RemoteWriteConfig = Pick<
  MeshtelConfig,
  | 'remoteWriteUrl'
  | 'remoteWriteFlushIntervalMs'
  | 'remoteWriteMaxSamplesPerSend'
  | 'remoteWriteQueueMaxSamples'
  | 'remoteWriteTimeoutMs'
  | 'remoteWriteExternalLabels'
  | 'remoteWriteInstanceLabel'
  | 'remoteWriteUsername'
  | 'remoteWritePassword'
  | 'remoteWriteBearerToken'
  | 'remoteWriteTlsCaFile'
  | 'shutdownTimeoutMs'
>;

/**
 * `auto` → `<hostname>-<pid>` (unique per running process on a cluster; a pod's hostname is its
 * name); `none` (or empty) → no instance label, which is only safe with a single writer.
 */
export function instanceLabelValue(setting: string): string {
  if (setting === 'auto') return `${os.hostname()}-${process.pid}`;
  return setting === 'none' ? '' : setting;
}

/** Options for a RemoteWriteSink, or undefined when no remote-write URL is set (remote-write off). */
export function remoteWriteOptionsFromConfig(
  config: RemoteWriteConfig,
  deps: { source: MetricsSource; metrics: RemoteWriteMetrics; logger: Logger },
): RemoteWriteSinkOptions | undefined {
  if (config.remoteWriteUrl === '') return undefined;
  const instance = instanceLabelValue(config.remoteWriteInstanceLabel);
  return {
    ...deps,
    url: config.remoteWriteUrl,
    flushIntervalMs: config.remoteWriteFlushIntervalMs,
    maxSamplesPerSend: config.remoteWriteMaxSamplesPerSend,
    queueMaxSamples: config.remoteWriteQueueMaxSamples,
    timeoutMs: config.remoteWriteTimeoutMs,
    externalLabels: parseLabelList(config.remoteWriteExternalLabels),
    instanceLabel: instance === '' ? undefined : { name: INSTANCE_LABEL_NAME, value: instance },
    basicAuth: config.remoteWriteUsername === '' ? undefined : { username: config.remoteWriteUsername, password: config.remoteWritePassword },
    bearerToken: config.remoteWriteBearerToken === '' ? undefined : config.remoteWriteBearerToken,
    tlsCa: config.remoteWriteTlsCaFile === '' ? undefined : readFileSync(config.remoteWriteTlsCaFile),
    // Leave part of the role's shutdown budget to the components stopped after this one.
    stopTimeoutMs: Math.max(1000, Math.floor(config.shutdownTimeoutMs / 2)),
    retry: { initialBackoffMs: 100, maxBackoffMs: 5000 },
  };
}
