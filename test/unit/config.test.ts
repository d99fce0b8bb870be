import { durationMs } from '../../shared/config/duration-setting.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadSettings, parseArgs } from '../../shared/config/load.js';
import { settingsTable } from '../../shared/config/table.js';
import { loadConfig, SETTINGS, settingsHelp } from '../../services/settings.js';

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('uses the documented defaults when nothing is set', () => {
    const config = loadConfig(new Map(), {});
    expect(config.otlpGrpcPort).toBe(4317);
    expect(config.otlpHttpPort).toBe(4318);
    expect(config.queryPort).toBe(16686);
    expect(config.adminPort).toBe('auto');
    expect(config.logLevel).toBe('info');
  });

  it('reads MESHTEL_* variables and lets flags win over them', () => {
    const config = loadConfig(new Map([['--query-port', '9000']]), { MESHTEL_QUERY_PORT: '8000', MESHTEL_ADMIN_PORT: '7000' });
    expect(config.queryPort).toBe(9000);
    expect(config.adminPort).toBe(7000);
  });

  it('names every wrong setting with the values it accepts, all at once', () => {
    const problems = problemsOf(() =>
      loadConfig(new Map([['--log-level', 'loud'], ['--bogus', '1']]), { MESHTEL_OTLP_GRPC_PORT: '70000', MESHTEL_MAX_SPANS_PER_REQUEST: 'many' }),
    );
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toContain('unknown flag --bogus');
    expect(problems.find((p) => p.includes('--log-level'))).toMatch(/expected one of fatal, error, warn, info, debug, trace, silent/);
    expect(problems.find((p) => p.includes('MESHTEL_OTLP_GRPC_PORT'))).toMatch(/expected a number <= 65535/);
    expect(problems.find((p) => p.includes('MESHTEL_MAX_SPANS_PER_REQUEST'))).toMatch(/expected an integer/);
  });

  it('parses --flag=value, --flag value, the role and --help', () => {
    const args = parseArgs(['collector', '--otlp-http-port=1', '--query-port', '2', '--help']);
    expect(args.positional).toEqual(['collector']);
    expect(args.flags.get('--otlp-http-port')).toBe('1');
    expect(args.flags.get('--query-port')).toBe('2');
    expect(args.help).toBe(true);
  });

  it('lists only the settings a role reads in its help', () => {
    const queryHelp = settingsHelp('query');
    expect(queryHelp).toContain('--query-port');
    expect(queryHelp).not.toContain('--otlp-grpc-port');
    expect(settingsHelp()).toContain(SETTINGS.otlpGrpcPort.env);
  });

  it('reports wrong numbers of component fields with the same words as before', () => {
    const problems = problemsOf(() =>
      loadConfig(new Map([['--es-bulk-max-spans', '0'], ['--kafka-partitions', '1.5'], ['--metrics-port', '']]), {
        MESHTEL_ES_INDEX_PREFIX: 'Upper', MESHTEL_KAFKA_BROKERS: 'nohost', MESHTEL_REMOTE_WRITE_EXTERNAL_LABELS: 'a',
      }),
    );
    expect(problems).toEqual([
      'MESHTEL_KAFKA_BROKERS / --kafka-brokers = "nohost" (from MESHTEL_KAFKA_BROKERS): a comma-separated list of host:port',
      'MESHTEL_KAFKA_PARTITIONS / --kafka-partitions = "1.5" (from --kafka-partitions): expected an integer',
      'MESHTEL_ES_INDEX_PREFIX / --es-index-prefix = "Upper" (from MESHTEL_ES_INDEX_PREFIX): lower-case letters, digits, ".", "_" or "-", not starting with a symbol',
      'MESHTEL_ES_BULK_MAX_SPANS / --es-bulk-max-spans = "0" (from --es-bulk-max-spans): expected a number >= 1',
      expect.stringMatching(/^MESHTEL_REMOTE_WRITE_EXTERNAL_LABELS \/ --remote-write-external-labels = "a" \(from MESHTEL_REMOTE_WRITE_EXTERNAL_LABELS\): \S/),
    ]);
    // A flag given without a value reads as 0, as before: a valid port.
    expect(loadConfig(new Map([['--metrics-port', '']]), {}).metricsPort).toBe(0);
  });

  it('also loads entries written with their own schema and default', () => {
    const table = settingsTable({
      retries: { env: 'X_RETRIES', flag: '--retries', roles: ['*'], help: 'Retries.', schema: z.coerce.number().int().min(0), default: 3 },
      name: { env: 'X_NAME', flag: '--name', roles: ['*'], help: 'Name.', field: z.string().min(1).default('meshtel') },
    });
    expect(loadSettings(table, new Map(), {})).toEqual({ retries: 3, name: 'meshtel' });
    expect(loadSettings(table, new Map([['--retries', '5']]), { X_NAME: 'other' })).toEqual({ retries: 5, name: 'other' });
    expect(problemsOf(() => loadSettings(table, new Map([['--retries', '-1']]), {}))).toEqual([
      'X_RETRIES / --retries = "-1" (from --retries): expected a number >= 0',
    ]);
  });
});

describe('secrets in settings', () => {
  it('refuses a remote-write URL with user:password@, naming the auth settings and never echoing the secret', () => {
    const problems = problemsOf(() => loadConfig(new Map([['--remote-write-url', 'http://admin:s3cr3t@prom:9090/api/v1/write']]), {}));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/MESHTEL_REMOTE_WRITE_USERNAME/);
    expect(problems[0]).not.toContain('s3cr3t');
    expect(problems[0]).toContain('http://***@prom:9090/api/v1/write');
  });

  it('still accepts a plain remote-write URL', () => {
    expect(loadConfig(new Map([['--remote-write-url', 'http://prom:9090/api/v1/write']]), {}).remoteWriteUrl).toBe('http://prom:9090/api/v1/write');
  });
});

describe('MESHTEL_MAX_CLOCK_SKEW', () => {
  it('reads a Go duration (milliseconds through durationMs) and names a malformed one', () => {
    expect(durationMs(loadConfig(new Map(), {}).maxClockSkew)).toBe(87600 * 3600 * 1000);
    expect(durationMs(loadConfig(new Map(), { MESHTEL_MAX_CLOCK_SKEW: '1h30m' }).maxClockSkew)).toBe(90 * 60 * 1000);
    expect(durationMs(loadConfig(new Map(), { MESHTEL_MAX_CLOCK_SKEW: '0' }).maxClockSkew)).toBe(0);
    const problems = problemsOf(() => loadConfig(new Map(), { MESHTEL_MAX_CLOCK_SKEW: '3 days' }));
    expect(problems[0]).toMatch(/MESHTEL_MAX_CLOCK_SKEW.*invalid duration|MESHTEL_MAX_CLOCK_SKEW.*unknown unit/);
  });
});

describe('admin port per role', () => {
  it('gives each role of the distributed mode its own default, as Jaeger does', async () => {
    const { adminPortFor } = await import('../../services/role-settings.js');
    expect(['collector', 'ingester', 'query', 'all-in-one'].map((r) => adminPortFor(r, 'auto'))).toEqual([14269, 14270, 16687, 14269]);
    expect(adminPortFor('ingester', 9000)).toBe(9000);
  });
});
