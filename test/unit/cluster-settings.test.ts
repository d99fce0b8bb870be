import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/config/load.js';
import { loadConfig } from '../../services/settings.js';
import { workerCount } from '../../services/cluster/cluster-settings.js';

function configError(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a configuration error');
}

describe('--workers', () => {
  it('defaults to one process, no cluster', () => {
    expect(workerCount(loadConfig(new Map(), {}, 'collector').workers)).toBe(1);
  });

  it('takes a count from the flag or MESHTEL_WORKERS, and auto means one per core', () => {
    expect(loadConfig(new Map([['--workers', '3']]), {}, 'collector').workers).toBe(3);
    expect(loadConfig(new Map(), { MESHTEL_WORKERS: 'auto' }, 'collector').workers).toBe('auto');
    expect(workerCount('auto', 4)).toBe(4);
    expect(workerCount(2, 4)).toBe(2);
  });

  it('refuses zero and words other than auto, naming the setting', () => {
    expect(configError(() => loadConfig(new Map([['--workers', '0']]), {}, 'collector'))).toContain('MESHTEL_WORKERS / --workers = "0"');
    expect(configError(() => loadConfig(new Map([['--workers', 'many']]), {}, 'collector'))).toContain('MESHTEL_WORKERS / --workers = "many"');
  });

  it('refuses more than one worker for all-in-one, whose state lives in its one process, and points at the collector', () => {
    const message = configError(() => loadConfig(new Map([['--workers', '2']]), {}, 'all-in-one'));
    expect(message).toContain('all-in-one keeps its buffer, stores and query state in one process');
    expect(message).toContain('collector role with --workers');
    expect(configError(() => loadConfig(new Map(), { MESHTEL_WORKERS: 'auto' }, 'all-in-one'))).toContain('MESHTEL_WORKERS / --workers = "auto"');
  });

  it('refuses more than one worker for query and jobs, and accepts 1 everywhere', () => {
    for (const role of ['query', 'jobs']) {
      expect(configError(() => loadConfig(new Map([['--workers', '2']]), {}, role))).toContain(`run more ${role} processes instead`);
      expect(loadConfig(new Map([['--workers', '1']]), {}, role).workers).toBe(1);
    }
  });

  it('runs ingester workers, each remote-writing under its own instance label', () => {
    expect(loadConfig(new Map([['--workers', '2']]), { MESHTEL_REMOTE_WRITE_URL: 'http://127.0.0.1:9090/api/v1/write' }, 'ingester').workers).toBe(2);
    const shared = { MESHTEL_REMOTE_WRITE_URL: 'http://127.0.0.1:9090/api/v1/write', MESHTEL_REMOTE_WRITE_INSTANCE_LABEL: 'ingester-a' };
    expect(configError(() => loadConfig(new Map([['--workers', '2']]), shared, 'ingester'))).toContain('the instance label must be auto');
    // Without remote-write there is nothing to collide.
    expect(loadConfig(new Map([['--workers', '2']]), { MESHTEL_REMOTE_WRITE_INSTANCE_LABEL: 'none' }, 'ingester').workers).toBe(2);
  });
});
