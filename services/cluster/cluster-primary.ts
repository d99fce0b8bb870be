/**
 * The primary of a clustered role (node:cluster): forks the workers — the collector's share the
 * receiver ports (the primary accepts each connection and hands it to the next worker in turn),
 * the ingester's are members of one consumer group — serves the admin port for all of them
 * (/metrics aggregated over its own registry and every worker's, /readyz ready only when every
 * worker is), replaces a worker that dies (a bounded number of times), and on stop asks every
 * worker to drain as a single process would.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { AdminServer, readinessOf, type MetricsSource } from '../admin-server.js';
import { listenerSecurityFromConfig } from '../component-options.js';
import type { RunningRole } from '../role.js';
import { adminPortFor } from '../role-settings.js';
import type { MeshtelConfig } from '../settings.js';
import type { ReadinessCheck } from '../../shared/model/component.js';
import { counter, gauge } from '../../shared/telemetry/metrics.js';
import type { Logger } from '../../shared/telemetry/logger.js';
import { isWorkerMessage, type WorkerQuestion, type WorkerRequest, type WorkerResponse } from './cluster-messages.js';

/**
 * Restart bound: a worker that keeps dying (a bad deployment, a crash on every request of some
 * client) would otherwise be forked in a loop; past this many restarts within the window the
 * primary stops the whole role and exits 1, so the orchestrator sees the failure.
 */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;
/** Wait before forking a replacement, so a crash at start-up does not spin. */
const RESTART_DELAY_MS = 500;
/** A worker must have its listeners up within this (it loads the code and binds; Kafka connects later). */
const WORKER_START_TIMEOUT_MS = 60_000;
/** How long a worker may take to answer a scrape or readiness request before it counts as not answering. */
const REQUEST_TIMEOUT_MS = 3_000;
/** After the shutdown timeout, the time a worker gets to exit by itself (it enforces that timeout) before SIGKILL. */
const EXIT_GRACE_MS = 5_000;

export interface ClusterPrimaryOptions {
  readonly role: string;
  readonly workers: number;
  readonly config: MeshtelConfig;
  readonly logger: Logger;
  /** The primary's own registry (its process metrics and the cluster's), aggregated with the workers'. */
  readonly registry: Registry;
}

export interface RunningCluster extends RunningRole {
  /** Resolves with a reason when the cluster cannot go on (workers kept dying); the caller stops it and exits 1. */
  readonly failed: Promise<string>;
}

interface WorkerState {
  readonly worker: Worker;
  serving: boolean;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  readonly started: Promise<Record<string, string>>;
}

export async function startClusterPrimary(opts: ClusterPrimaryOptions): Promise<RunningCluster> {
  const { role, workers: wanted, config, logger, registry } = opts;
  const live = new Map<number, WorkerState>();
  const pending = new Map<number, { resolve: (r: WorkerResponse) => void; timer: NodeJS.Timeout }>();
  const startWaits = new Map<number, (endpoints: Record<string, string>) => void>();
  let nextRequestId = 0;
  let stopping: Promise<boolean> | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  const recentRestarts: number[] = [];
  /** Off until every first worker serves: a worker dying at start-up fails the start instead. */
  let acceptingRestarts = false;
  let reportFailure: (reason: string) => void = () => {};
  const failed = new Promise<string>((resolve) => (reportFailure = resolve));

  const serving = (): WorkerState[] => [...live.values()].filter((w) => w.serving);

  gauge(registry, { name: 'meshtel_cluster_workers', help: 'Worker processes the role is configured to run (MESHTEL_WORKERS).' }).set(wanted);
  gauge(registry, {
    name: 'meshtel_cluster_workers_serving',
    help: 'Worker processes serving now (started and not exited).',
    collect() {
      this.set(serving().length);
    },
  });
  const restarts = counter(registry, { name: 'meshtel_cluster_worker_restarts_total', help: 'Workers that died and were replaced.' });

  cluster.on('message', (worker: Worker, message: unknown) => {
    if (!isWorkerMessage(message)) return;
    if (message.type === 'meshtel:started') {
      const state = live.get(worker.id);
      if (state) state.serving = true;
      startWaits.get(worker.id)?.(message.endpoints);
      startWaits.delete(worker.id);
      return;
    }
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    clearTimeout(waiting.timer);
    waiting.resolve(message);
  });

  const ask = (state: WorkerState, question: WorkerQuestion): Promise<WorkerResponse> =>
    new Promise((resolve, reject) => {
      if (!state.worker.isConnected()) {
        reject(new Error(`worker ${state.worker.id} is not connected`));
        return;
      }
      const id = nextRequestId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`worker ${state.worker.id} did not answer ${question} within ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      pending.set(id, { resolve, timer });
      const request: WorkerRequest = { type: 'meshtel:request', id, question };
      state.worker.send(request);
    });

  const fork = (): WorkerState => {
    const worker = cluster.fork();
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
      worker.once('exit', (code: number | null, signal: string | null) => resolve({ code, signal }));
    });
    const started = new Promise<Record<string, string>>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`worker ${worker.id} did not start within ${WORKER_START_TIMEOUT_MS} ms`));
        // A worker stuck at start would hold a slot without serving; its exit counts as a death.
        worker.process.kill('SIGKILL');
      }, WORKER_START_TIMEOUT_MS);
      startWaits.set(worker.id, (endpoints) => {
        clearTimeout(timer);
        resolve(endpoints);
      });
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        startWaits.delete(worker.id);
        reject(new Error(`worker ${worker.id} exited (${signal ?? `code ${code}`}) before it started serving`));
      });
    });
    // Rejections are read by the caller (start-up) or logged (replacement); never unhandled.
    started.catch(() => {});
    const state: WorkerState = { worker, serving: false, exited, started };
    live.set(worker.id, state);
    void exited.then(({ code, signal }) => {
      live.delete(worker.id);
      if (stopping || !acceptingRestarts) return;
      onWorkerDied(worker, code, signal);
    });
    return state;
  };

  const onWorkerDied = (worker: Worker, code: number | null, signal: string | null) => {
    const now = Date.now();
    while (recentRestarts.length > 0 && now - recentRestarts[0]! > RESTART_WINDOW_MS) recentRestarts.shift();
    if (recentRestarts.length >= MAX_RESTARTS) {
      const reason = `a worker died again after ${MAX_RESTARTS} replacements within ${RESTART_WINDOW_MS / 1000} s; giving up`;
      logger.error({ worker: worker.id, pid: worker.process.pid, code, signal }, `cluster worker died: ${reason}`);
      reportFailure(reason);
      return;
    }
    recentRestarts.push(now);
    restarts.inc();
    logger.warn({ worker: worker.id, pid: worker.process.pid, code, signal, restartsInWindow: recentRestarts.length, maxRestarts: MAX_RESTARTS }, 'cluster worker died; starting a replacement');
    restartTimer = setTimeout(() => {
      if (stopping) return;
      const replacement = fork();
      replacement.started.then(
        () => logger.info({ worker: replacement.worker.id, pid: replacement.worker.process.pid }, 'cluster worker replaced'),
        (err: unknown) => logger.error({ err: err instanceof Error ? err.message : String(err) }, 'replacement cluster worker failed to start'),
      );
    }, RESTART_DELAY_MS);
  };

  /** SIGTERM to every live worker (each drains as a single process does); true when all exited 0 in time. */
  const stopWorkers = async (): Promise<boolean> => {
    clearTimeout(restartTimer);
    const states = [...live.values()];
    for (const s of states) s.worker.process.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), config.shutdownTimeoutMs + EXIT_GRACE_MS);
    });
    const results = await Promise.all(
      states.map(async (s) => {
        const outcome = await Promise.race([s.exited, deadline]);
        if (outcome === 'timeout') {
          logger.error({ worker: s.worker.id, pid: s.worker.process.pid }, 'cluster worker did not exit within the shutdown timeout; killing it');
          s.worker.process.kill('SIGKILL');
          await s.exited;
          return false;
        }
        if (outcome.code !== 0) logger.error({ worker: s.worker.id, pid: s.worker.process.pid, ...outcome }, 'cluster worker did not stop cleanly');
        return outcome.code === 0;
      }),
    );
    clearTimeout(timer);
    return results.every(Boolean);
  };

  // ---- start: every worker serving, then the admin port ----
  const first = Array.from({ length: wanted }, fork);
  let endpoints: Record<string, string>;
  try {
    [endpoints] = (await Promise.all(first.map((s) => s.started))) as [Record<string, string>];
  } catch (err) {
    stopping = Promise.resolve(false);
    await stopWorkers();
    throw err;
  }
  acceptingRestarts = true;

  const metrics: MetricsSource = {
    contentType: registry.contentType,
    async metrics() {
      const own = await registry.getMetricsAsJSON();
      const theirs = await Promise.all(
        serving().map((s) =>
          ask(s, 'metrics').then(
            (r) => r.metrics ?? [],
            (err: unknown) => {
              logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'cluster worker left out of this scrape');
              return [];
            },
          ),
        ),
      );
      return AggregatorRegistry.aggregate([own, ...theirs]).metrics();
    },
  };
  const checks = (): ReadinessCheck[] => [
    { name: 'workers', check: async () => serving().length === wanted },
    ...serving().map((s) => ({
      name: `worker-${s.worker.id}`,
      check: async () => (await ask(s, 'readiness')).readiness?.ready === true,
    })),
  ];
  const admin = new AdminServer({
    host: config.host,
    port: adminPortFor(role, config.adminPort),
    registry: metrics,
    logger,
    checks,
    security: listenerSecurityFromConfig(config, 'admin', logger),
  });
  try {
    await admin.start();
  } catch (err) {
    stopping = Promise.resolve(false);
    await stopWorkers();
    throw err;
  }
  admin.started = true;
  const all = { admin: `${config.host}:${admin.port}`, ...endpoints };
  logger.info({ role, endpoints: all, workers: serving().map((s) => s.worker.process.pid) }, `meshtel ${role} started`);

  return {
    endpoints: all,
    failed,
    readiness: () => readinessOf(admin.started, checks()),
    stop(reason: string) {
      stopping ??= (async () => {
        logger.info({ reason, timeoutMs: config.shutdownTimeoutMs, workers: live.size }, 'shutting down: every worker drains');
        admin.started = false;
        const clean = await stopWorkers();
        await admin.stop().catch((err: unknown) => logger.error({ err }, 'admin port failed to stop cleanly'));
        logger.info({ clean }, clean ? 'shutdown complete' : 'shutdown timed out');
        return clean;
      })();
      return stopping;
    },
  };
}
