#!/usr/bin/env node
/**
 * `meshtel <role> [--setting value ...]` — one entry point for every role.
 */
import { ConfigError, parseArgs } from '../shared/config/load.js';
import { loadConfig, settingsHelp } from './settings.js';
import { createLogger } from '../shared/telemetry/logger.js';
import { createSelfMetricsRegistry } from '../shared/telemetry/metrics.js';
import { startRole, type RoleBuilder, type RunningRole } from './role.js';
import { workerCount } from './cluster/cluster-settings.js';
import { clusterSettingsFromConfig } from './component-options.js';

/** Role name → its wiring module (loaded lazily so a role never loads another's clients). */
const ROLES: Record<string, { summary: string; load: () => Promise<RoleBuilder> }> = {
  'all-in-one': {
    summary: 'collector + in-process buffer + memory store + query, in one process (default)',
    load: async () => (await import('./all-in-one/role.js')).buildAllInOne,
  },
  collector: {
    summary: 'OTLP receivers → Kafka',
    load: async () => (await import('./collector/role.js')).buildCollectorRole,
  },
  ingester: {
    summary: 'Kafka → Elasticsearch',
    load: async () => (await import('./ingester/role.js')).buildIngesterRole,
  },
  query: {
    summary: 'Jaeger (v1, v3, Monitor), Tempo, graph and access-log APIs over Elasticsearch',
    load: async () => (await import('./query/role.js')).buildQueryRole,
  },
  jobs: {
    summary: 'background jobs on bullmq (Redis): dependency roll-ups, retention, dead-letter replay, trace archive',
    load: async () => (await import('./jobs/role.js')).buildJobsRole,
  },
};

/** One-shot commands (`meshtel jobs run …`, `meshtel dlq …`), loaded only when asked for. */
const loadCommands = () => import('./jobs/commands.js');

function usage(role?: string): string {
  const roles = Object.entries(ROLES)
    .map(([name, r]) => `  ${name.padEnd(12)} ${r.summary}`)
    .join('\n');
  return [
    'Usage: meshtel [role] [--setting value ...]',
    '',
    'Roles:',
    roles,
    '',
    'Commands (run once, print JSON lines, exit):',
    '  jobs run <rollup|retention|dlq-replay> [--from <RFC 3339>] [--to <RFC 3339>] [--dry-run]',
    '  dlq list|replay [--stage a,b] [--error <text>] [--source-topic <topic>] [--from …] [--to …] [--limit n] [--dry-run]',
    '',
    `Settings${role ? ` read by ${role}` : ''} (flag, environment variable, default; flags win over the environment):`,
    settingsHelp(role),
    '',
  ].join('\n');
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const role = args.positional[0] ?? 'all-in-one';
  if (!args.help && (role === 'dlq' || (role === 'jobs' && args.positional[1] === 'run'))) {
    return (await loadCommands()).runCommand(args.positional, args.flags);
  }
  if (!ROLES[role]) {
    process.stderr.write(`meshtel: unknown role "${role}"; roles are: ${Object.keys(ROLES).join(', ')}\n\n${usage()}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(usage(args.positional[0]));
    return 0;
  }
  let config;
  try {
    config = loadConfig(args.flags, process.env, role);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`meshtel: ${err.message}\n(run 'meshtel ${role} --help' for every setting and its accepted values)\n`);
      return 2;
    }
    throw err;
  }
  const registry = createSelfMetricsRegistry();
  const workers = workerCount(clusterSettingsFromConfig(config).workers);
  const { isClusterWorker, startClusterWorker } = await import('./cluster/cluster-worker.js');
  let running: RunningRole;
  let failed: Promise<string> | undefined;
  if (isClusterWorker()) {
    // Forked by a primary (below) with the same arguments: run the role without the admin port.
    const logger = createLogger(config.logLevel, { role, worker: String(process.pid) });
    // Should the primary die, node:cluster ends this worker at once (exit 0 on the IPC channel's
    // disconnect): requests in flight are cut unanswered, so their senders retry; nothing they were
    // told was stored is lost.
    running = await startClusterWorker(role, await ROLES[role]!.load(), { config, logger, registry });
  } else if (workers > 1) {
    const logger = createLogger(config.logLevel, { role, process: 'primary' });
    const cluster = await import('./cluster/cluster-primary.js').then((m) => m.startClusterPrimary({ role, workers, config, logger, registry }));
    running = cluster;
    failed = cluster.failed;
  } else {
    const logger = createLogger(config.logLevel, { role });
    running = await startRole(role, await ROLES[role]!.load(), { config, logger, registry });
  }
  return await new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      void running.stop(signal).then((clean) => resolve(clean ? 0 : 1));
    };
    // A worker may get the same signal twice — from its primary and, with Ctrl-C or a process-group
    // kill (systemd, `timeout`), directly — and must not die of the second: it keeps its handlers.
    const listen = isClusterWorker() ? process.on.bind(process) : process.once.bind(process);
    listen('SIGTERM', onSignal);
    listen('SIGINT', onSignal);
    void failed?.then((reason) => running.stop(reason)).then(() => resolve(1));
  });
}

main().then(
  (code) => {
    // pino writes synchronously to stdout by default, so nothing is lost by exiting here.
    process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`meshtel: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
