/**
 * Turns defaults, `MESHTEL_*` environment variables and `--flags` into a validated configuration,
 * for any settings table (shared/config/table.ts). Every problem is reported at once, each naming
 * the setting (env and flag) and what it accepts, so a wrong deployment fails at start with one
 * readable message.
 */
import type { z } from 'zod';
import { resolveSettings, type ConfigOf, type SettingsTable } from './table.js';

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Splits `--flag=value` / `--flag value` arguments; bare words are positional (the role). */
export function parseArgs(argv: readonly string[]): { positional: string[]; flags: Map<string, string>; help: boolean } {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
    } else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      if (eq > 0) {
        flags.set(arg.slice(0, eq), arg.slice(eq + 1));
      } else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) {
        flags.set(arg, argv[++i]!);
      } else {
        flags.set(arg, '');
      }
    } else {
      positional.push(arg);
    }
  }
  return { positional, flags, help };
}

export function loadSettings<T extends SettingsTable>(
  table: T,
  flags: ReadonlyMap<string, string>,
  env: NodeJS.ProcessEnv = process.env,
): ConfigOf<T> {
  const settings = resolveSettings(table);
  const problems: string[] = [];
  const known = new Set(settings.map((s) => s.flag));
  for (const flag of flags.keys()) {
    if (!known.has(flag)) problems.push(`unknown flag ${flag} (see --help for the settings)`);
  }
  const config: Record<string, unknown> = {};
  for (const spec of settings) {
    const fromFlag = flags.get(spec.flag);
    const fromEnv = env[spec.env];
    const raw = fromFlag ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : spec.default);
    const source = fromFlag !== undefined ? spec.flag : fromEnv ? spec.env : 'default';
    const parsed = spec.parse(raw);
    if (parsed.success) {
      config[spec.key] = parsed.data;
    } else {
      problems.push(`${spec.env} / ${spec.flag} = ${JSON.stringify(redactCredentials(raw))} (from ${source}): ${describeIssue(parsed.error)}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config as ConfigOf<T>;
}

/** `scheme://user:secret@host` → `scheme://***@host`: a refused value is echoed, its secret never. */
export function redactCredentials(value: unknown): unknown {
  return typeof value === 'string' ? value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@') : value;
}

/** One line saying what the setting accepts, in words rather than zod's internals. */
function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid value';
  switch (issue.code) {
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'too_small':
      return `expected a number >= ${String(issue.minimum)}`;
    case 'too_big':
      return `expected a number <= ${String(issue.maximum)}`;
    case 'invalid_type':
      if (issue.expected === 'boolean') return 'expected true or false';
      return issue.expected === 'int' || issue.expected === 'number' ? 'expected an integer' : `expected ${issue.expected}`;
    default:
      return issue.message;
  }
}

/** The settings table as --help prints it, restricted to what a role reads. */
export function settingsHelp(table: SettingsTable, role?: string): string {
  const lines: string[] = [];
  for (const spec of resolveSettings(table)) {
    if (role && !spec.roles.includes('*') && !spec.roles.includes(role)) continue;
    lines.push(`  ${spec.flag.padEnd(34)} ${spec.env}  (default: ${String(spec.default)})`);
    lines.push(`      ${spec.help}`);
  }
  return lines.join('\n');
}
