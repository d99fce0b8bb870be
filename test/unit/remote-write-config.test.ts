import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/config/load.js';
import { remoteWriteOptionsFromConfig } from '../../services/component-options.js';
import { loadConfig } from '../../services/settings.js';
import { MetricsRegistry } from '../../shared/metrics/registry.js';
import { createLogger } from '../../shared/telemetry/logger.js';
import { createMetrics } from '../support/metrics.js';

const deps = () => ({ source: new MetricsRegistry({ defaultMaxSeries: 10 }), metrics: createMetrics(), logger: createLogger('silent') });

function problemsOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.join('\n');
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('remote-write settings', () => {
  it('leave remote-write off by default', () => {
    const config = loadConfig(new Map(), {});
    expect(config.remoteWriteUrl).toBe('');
    expect(config.metricsPort).toBe(8889);
    expect(remoteWriteOptionsFromConfig(config, deps())).toBeUndefined();
  });

  it('turn the environment into sink options: external labels, hostname-pid instance label, basic auth', () => {
    const config = loadConfig(new Map(), {
      MESHTEL_REMOTE_WRITE_URL: 'http://127.0.0.1:9090/api/v1/write',
      MESHTEL_REMOTE_WRITE_EXTERNAL_LABELS: 'cluster=prod,region=eu',
      MESHTEL_REMOTE_WRITE_USERNAME: 'u', MESHTEL_REMOTE_WRITE_PASSWORD: 'p',
      MESHTEL_REMOTE_WRITE_MAX_SAMPLES_PER_SEND: '500',
    });
    const options = remoteWriteOptionsFromConfig(config, deps())!;
    expect(options.externalLabels).toEqual({ cluster: 'prod', region: 'eu' });
    expect(options.instanceLabel).toEqual({ name: 'meshtel_instance', value: `${os.hostname()}-${process.pid}` });
    expect(options.basicAuth).toEqual({ username: 'u', password: 'p' });
    expect(options.maxSamplesPerSend).toBe(500);
    expect(options.flushIntervalMs).toBe(10_000);
  });

  it('drop the instance label when set to none, and keep an explicit value', () => {
    const url = { MESHTEL_REMOTE_WRITE_URL: 'http://rw:9090/api/v1/write' };
    expect(remoteWriteOptionsFromConfig(loadConfig(new Map(), { ...url, MESHTEL_REMOTE_WRITE_INSTANCE_LABEL: 'none' }), deps())!.instanceLabel).toBeUndefined();
    expect(remoteWriteOptionsFromConfig(loadConfig(new Map(), { ...url, MESHTEL_REMOTE_WRITE_INSTANCE_LABEL: 'ingester-0' }), deps())!.instanceLabel)
      .toEqual({ name: 'meshtel_instance', value: 'ingester-0' });
  });

  it('refuse a malformed external-label list or URL at start, naming the setting', () => {
    expect(problemsOf(() => loadConfig(new Map(), { MESHTEL_REMOTE_WRITE_EXTERNAL_LABELS: 'cluster=prod,bad-name=x' }))).toMatch(/MESHTEL_REMOTE_WRITE_EXTERNAL_LABELS[\s\S]*bad-name/);
    expect(problemsOf(() => loadConfig(new Map(), { MESHTEL_REMOTE_WRITE_URL: 'ftp://x/y' }))).toMatch(/MESHTEL_REMOTE_WRITE_URL/);
  });
});
