/**
 * The mesh graph for Grafana's Node Graph API data source (hoptical/nodegraph-api-plugin, plugin
 * id hamedkarbasi93-nodegraphapi-datasource), served under a prefix (`/nodegraph`) on the query
 * port: `api/health` (Save & test), `api/graph/fields` (frame schema) and `api/graph/data`
 * (reference query-apis.md §4). The plugin appends its "Query String" to both graph calls, so
 * `start`, `end`, `namespace` and `level` work as on /api/v1/graph. Same node ids as that API.
 *
 * Nodes: title = name, subtitle = namespace, mainstat = requests/s, secondarystat = error rate
 * (%), arcs success / errors (summing to 1), details kind, health, p99. Edges: mainstat =
 * requests/s, secondarystat = p99 (ms), details protocol, error rate, mTLS share.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { GraphEdge, GraphNode, HealthThresholds, MeshGraph } from '../../../shared/graph/model.js';
import type { GraphReader } from '../../../shared/storage/graphstore.js';
import { graphErrorHandler, meshGraphOf } from './graph-api.js';
import { parseGraphQuery } from './graph-params.js';

export interface NodeGraphApiOptions {
  readonly reader: GraphReader;
  readonly health: HealthThresholds;
  readonly nowMs?: () => number;
}

interface FieldSpec {
  readonly field_name: string;
  readonly type: 'string' | 'number';
  readonly color?: string;
  readonly displayName?: string;
}

export const NODE_FIELDS: readonly FieldSpec[] = [
  { field_name: 'id', type: 'string' },
  { field_name: 'title', type: 'string' },
  { field_name: 'subtitle', type: 'string' },
  { field_name: 'mainstat', type: 'number', displayName: 'Requests/s' },
  { field_name: 'secondarystat', type: 'number', displayName: 'Error rate (%)' },
  { field_name: 'arc__success', type: 'number', color: 'green', displayName: 'Success' },
  { field_name: 'arc__errors', type: 'number', color: 'red', displayName: 'Errors' },
  { field_name: 'detail__kind', type: 'string', displayName: 'Kind' },
  { field_name: 'detail__health', type: 'string', displayName: 'Health' },
  { field_name: 'detail__requests', type: 'number', displayName: 'Requests' },
  { field_name: 'detail__p99', type: 'number', displayName: 'p99 (ms)' },
];

export const EDGE_FIELDS: readonly FieldSpec[] = [
  { field_name: 'id', type: 'string' },
  { field_name: 'source', type: 'string' },
  { field_name: 'target', type: 'string' },
  { field_name: 'mainstat', type: 'number', displayName: 'Requests/s' },
  { field_name: 'secondarystat', type: 'number', displayName: 'p99 (ms)' },
  { field_name: 'detail__protocol', type: 'string', displayName: 'Protocol' },
  { field_name: 'detail__errorRate', type: 'number', displayName: 'Error rate (%)' },
  { field_name: 'detail__mtls', type: 'number', displayName: 'mTLS share (%)' },
];

const percent = (share: number) => Math.round(share * 100_000) / 1000;

function nodeRow(n: GraphNode): Record<string, string | number> {
  const errors = n.requests > 0 ? n.errors / n.requests : 0;
  return {
    id: n.id,
    title: n.name,
    subtitle: n.namespace ?? '',
    mainstat: n.requestRate,
    secondarystat: percent(n.errorRate),
    arc__success: 1 - errors,
    arc__errors: errors,
    detail__kind: n.kind,
    detail__health: n.health,
    detail__requests: n.requests,
    detail__p99: n.p99Ms ?? 0,
  };
}

function edgeRow(e: GraphEdge): Record<string, string | number> {
  return {
    id: e.id,
    source: e.source,
    target: e.target,
    mainstat: e.requestRate,
    secondarystat: e.p99Ms ?? 0,
    detail__protocol: e.protocol,
    detail__errorRate: percent(e.errorRate),
    detail__mtls: e.mtlsShare === null ? -1 : percent(e.mtlsShare),
  };
}

export function nodeGraphData(graph: MeshGraph): { nodes: Record<string, string | number>[]; edges: Record<string, string | number>[] } {
  return { nodes: graph.nodes.map(nodeRow), edges: graph.edges.map(edgeRow) };
}

export const nodeGraphApi: FastifyPluginAsync<NodeGraphApiOptions> = async (app, options) => {
  const nowUs = () => (options.nowMs ?? Date.now)() * 1000;
  app.setErrorHandler(graphErrorHandler);

  app.get('/api/health', async () => ({ status: 'ok' }));
  app.get('/api/graph/fields', async () => ({ nodes_fields: NODE_FIELDS, edges_fields: EDGE_FIELDS }));
  app.get('/api/graph/data', async (request) => {
    const query = parseGraphQuery(request.query as Record<string, unknown>, nowUs());
    return nodeGraphData(await meshGraphOf(options.reader, query, options.health));
  });
};
