/**
 * One worker of a clustered role: runs the role's components as a single process would — a
 * collector's receivers listen on ports node:cluster shares with the other workers — but not the admin port,
 * which the primary serves for all of them. It tells the primary when it serves and answers the
 * primary's requests for its metrics and readiness.
 */
import cluster from 'node:cluster';
import { startRole, type RoleBuilder, type RoleContext, type RunningRole } from '../role.js';
import { gauge } from '../../shared/telemetry/metrics.js';
import { isWorkerRequest, type WorkerMessage, type WorkerRequest } from './cluster-messages.js';

/** True when this process was forked by a meshtel cluster primary. */
export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

export async function startClusterWorker(role: string, build: RoleBuilder, ctx: RoleContext): Promise<RunningRole> {
  const { registry, logger } = ctx;
  const id = cluster.worker?.id ?? 0;
  // One series per worker (labels differ, so the primary's aggregate keeps them apart): shows on
  // the primary's /metrics which workers answered.
  gauge(registry, {
    name: 'meshtel_cluster_worker_info',
    help: 'One series per cluster worker that answered this scrape: its worker id and process id.',
    labelNames: ['worker', 'pid'],
  }).set({ worker: String(id), pid: String(process.pid) }, 1);

  const running = await startRole(role, build, ctx, { admin: false, startedMessage: `meshtel ${role} worker started` });

  const send = (message: WorkerMessage) => {
    if (process.connected) process.send?.(message);
  };
  const answer = async (request: WorkerRequest): Promise<WorkerMessage> => {
    try {
      if (request.question === 'metrics') return { type: 'meshtel:response', id: request.id, metrics: await registry.getMetricsAsJSON() };
      return { type: 'meshtel:response', id: request.id, readiness: await running.readiness() };
    } catch (err) {
      return { type: 'meshtel:response', id: request.id, error: err instanceof Error ? err.message : String(err) };
    }
  };
  process.on('message', (message: unknown) => {
    if (isWorkerRequest(message)) void answer(message).then(send);
  });
  send({ type: 'meshtel:started', endpoints: running.endpoints });
  logger.debug({ worker: id }, 'cluster worker serving');
  return running;
}
