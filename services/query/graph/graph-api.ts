/**
 * The mesh graph API as a fastify plugin:
 *
 *   GET /api/v1/graph?start=&end=&namespace=&level=service|workload      → { nodes, edges }
 *   GET /api/v1/graph/edges/:source/:target/timeseries?start=&end=&step=&level=
 *                                                                         → { source, target, stepUs, points }
 *
 * Nodes and edges come from the GraphReader's partials (spans and access logs, each call counted
 * once) built into rates, quantiles and health by shared/graph/build.ts. Errors answer
 * `{ errors: [{ code, msg }] }`; a 400 names the parameter at fault.
 */
import type { FastifyError, FastifyPluginAsync, FastifyReply } from 'fastify';
import { buildGraph } from '../../../shared/graph/build.js';
import type { HealthThresholds, MeshGraph } from '../../../shared/graph/model.js';
import type { GraphReader } from '../../../shared/storage/graphstore.js';
import { GraphParamError, parseGraphQuery, parseTimeseriesQuery } from './graph-params.js';

export interface GraphApiOptions {
  readonly reader: GraphReader;
  readonly health: HealthThresholds;
  /** Clock for the default window; tests pin it. */
  readonly nowMs?: () => number;
}

export function sendGraphError(reply: FastifyReply, code: number, msg: string): FastifyReply {
  return reply.code(code).send({ errors: [{ code, msg }] });
}

/** The graph of a parsed query: partials from the reader, built over the window's length. */
export async function meshGraphOf(reader: GraphReader, query: ReturnType<typeof parseGraphQuery>, health: HealthThresholds): Promise<MeshGraph> {
  const partials = await reader.getEdgePartials(query);
  return buildGraph(partials, (query.endUs - query.startUs) / 1e6, health);
}

export const graphErrorHandler = (err: FastifyError, request: { log: { error: (o: object, m: string) => void } }, reply: FastifyReply) => {
  if (err instanceof GraphParamError) return sendGraphError(reply, 400, err.message);
  const status = err.statusCode ?? 500;
  if (status >= 500) request.log.error({ err }, 'graph api request failed');
  return sendGraphError(reply, status, status >= 500 ? `internal error: ${err.message}` : err.message);
};

export const graphApi: FastifyPluginAsync<GraphApiOptions> = async (app, options) => {
  const nowUs = () => (options.nowMs ?? Date.now)() * 1000;
  app.setErrorHandler(graphErrorHandler);

  app.get('/api/v1/graph', async (request) => {
    const query = parseGraphQuery(request.query as Record<string, unknown>, nowUs());
    return meshGraphOf(options.reader, query, options.health);
  });

  app.get<{ Params: { source: string; target: string } }>('/api/v1/graph/edges/:source/:target/timeseries', async (request) => {
    const q = parseTimeseriesQuery(request.params.source, request.params.target, request.query as Record<string, unknown>, nowUs());
    const points = await options.reader.getEdgeTimeseries(q);
    return { source: q.source, target: q.target, level: q.level, stepUs: q.stepUs, points };
  });
};
