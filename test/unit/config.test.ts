import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseArgs, settingsHelp } from '../../shared/config/load.js';
import { SETTINGS } from '../../shared/config/settings.js';

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
});
