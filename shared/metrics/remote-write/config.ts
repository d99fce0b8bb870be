/**
 * From remote-write's settings (settings.ts) to RemoteWriteSinkOptions: the one place those values
 * are interpreted, so every role that sends derived metrics does it the same way.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Logger } from '../../telemetry/logger.js';
import type { MetricsSource } from '../registry.js';
import { parseLabelList } from '../labels.js';
import type { RemoteWriteMetrics, RemoteWriteSinkOptions } from './remote-write-sink.js';
import { remoteWriteSettings, type RemoteWriteSettings } from './settings.js';

/** The label that keeps series of several ingesters apart. */
export const INSTANCE_LABEL_NAME = 'meshtel_instance';

/**
 * `auto` → `<hostname>-<pid>` (unique per running process on a cluster; a pod's hostname is its
 * name); `none` (or empty) → no instance label, which is only safe with a single writer.
 */
export function instanceLabelValue(setting: string): string {
  if (setting === 'auto') return `${os.hostname()}-${process.pid}`;
  return setting === 'none' ? '' : setting;
}

/**
 * Options for a RemoteWriteSink, or undefined when no URL is set (remote-write off). Settings left
 * out take their defaults. `stopTimeoutMs` is the share of the role's shutdown budget it may use.
 */
export function remoteWriteSinkOptions(
  given: Partial<RemoteWriteSettings>,
  deps: { source: MetricsSource; metrics: RemoteWriteMetrics; logger: Logger; stopTimeoutMs: number },
): RemoteWriteSinkOptions | undefined {
  const settings = remoteWriteSettings.parse(given);
  if (settings.url === '') return undefined;
  const instance = instanceLabelValue(settings.instanceLabel);
  return {
    ...deps,
    url: settings.url,
    flushIntervalMs: settings.flushIntervalMs,
    maxSamplesPerSend: settings.maxSamplesPerSend,
    queueMaxSamples: settings.queueMaxSamples,
    timeoutMs: settings.timeoutMs,
    externalLabels: parseLabelList(settings.externalLabels),
    instanceLabel: instance === '' ? undefined : { name: INSTANCE_LABEL_NAME, value: instance },
    basicAuth: settings.username === '' ? undefined : { username: settings.username, password: settings.password },
    bearerToken: settings.bearerToken === '' ? undefined : settings.bearerToken,
    tlsCa: settings.tlsCaFile === '' ? undefined : readFileSync(settings.tlsCaFile),
    retry: { initialBackoffMs: 100, maxBackoffMs: 5000 },
  };
}
