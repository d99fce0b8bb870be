/**
 * The graph APIs on the query service (memory stores holding the bookinfo mesh): /api/v1/graph and
 * its parameters, the edge time series, the Grafana Node Graph API frames under /nodegraph, and
 * /api/dependencies with the same node ids.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryService } from '../../services/query/query-service.js';
import { EDGE_FIELDS, NODE_FIELDS } from '../../services/query/graph/nodegraph-api.js';
import type { MeshGraph } from '../../shared/graph/model.js';
import { MemoryAccessLogStore } from '../../shared/storage/memory/memory-accesslog-store.js';
import { MemoryGraphReader } from '../../shared/storage/memory/memory-graph-reader.js';
import { MemorySpanStore } from '../../shared/storage/memory/memory-span-store.js';
import { createLogger } from '../../shared/telemetry/logger.js';
import { bookinfoMesh } from '../fixtures/bookinfo-mesh.js';
import { meshRecords } from '../support/graph-contract.js';

const BASE_US = 1_780_000_000 * 1_000_000;
const mesh = bookinfoMesh(BASE_US);
const WINDOW = `start=${mesh.startUs}&end=${mesh.endUs}`;
let query: QueryService;
let url: string;

beforeAll(async () => {
  const spans = new MemorySpanStore({ maxSpans: 1000, maxBytes: 1e7 });
  const accessLogs = new MemoryAccessLogStore({ maxRecords: 1000 });
  const { records, spans: spanRecords } = meshRecords(mesh);
  await spans.writeSpans(spanRecords);
  await accessLogs.writeAccessLogs(records);
  query = new QueryService({
    host: '127.0.0.1', port: 0, reader: spans, accessLogReader: accessLogs, defaultLimit: 20, maxLimit: 100, logger: createLogger('silent'),
    graph: { reader: new MemoryGraphReader({ spans, accessLogs, naming: 'APP_LABEL_AND_NAMESPACE' }), health: { degradedPercent: 0, failingPercent: 30 } },
  });
  await query.start();
  url = `http://127.0.0.1:${query.port}`;
});

afterAll(async () => {
  await query?.stop();
});

const get = async (path: string) => {
  const res = await fetch(`${url}${path}`);
  return { status: res.status, body: (await res.json()) as unknown };
};

describe('GET /api/v1/graph', () => {
  it('answers nodes and edges with the configured health thresholds', async () => {
    const { status, body } = await get(`/api/v1/graph?${WINDOW}`);
    expect(status).toBe(200);
    const graph = body as MeshGraph;
    expect(graph.nodes).toHaveLength(8);
    expect(graph.edges).toHaveLength(7);
    // failing from 30 % here: reviews (25 % errors) is only degraded, ratings (50 %) failing.
    expect(graph.edges.find((e) => e.id === 'productpage.bookinfo->reviews.bookinfo')).toMatchObject({ errorRate: 0.25, health: 'degraded' });
    expect(graph.edges.find((e) => e.id === 'reviews.bookinfo->ratings.bookinfo')).toMatchObject({ errorRate: 0.5, health: 'failing' });
    expect(graph.nodes.find((n) => n.id === 'productpage.bookinfo')).toMatchObject({ health: 'healthy', kind: 'service' });
  });

  it('refuses an unknown or malformed parameter, naming it', async () => {
    for (const [q, param] of [
      ['namespce=bookinfo', 'namespce'],
      ['level=pods', 'level'],
      ['start=yesterday', 'start'],
      [`start=${mesh.endUs}&end=${mesh.startUs}`, 'start'],
    ] as const) {
      const { status, body } = await get(`/api/v1/graph?${q}`);
      expect(status).toBe(400);
      expect((body as { errors: { msg: string }[] }).errors[0]!.msg).toContain(`'${param}'`);
    }
  });

  it('defaults to the last 15 minutes (nothing of the fixture, written at a fixed past time)', async () => {
    expect(await get('/api/v1/graph')).toEqual({ status: 200, body: { nodes: [], edges: [] } });
  });
});

describe('GET /api/v1/graph/edges/:source/:target/timeseries', () => {
  it('answers one point per step', async () => {
    const { status, body } = await get(
      `/api/v1/graph/edges/reviews.bookinfo/ratings.bookinfo/timeseries?start=${mesh.startUs}&end=${mesh.startUs + 3_999_999}&step=1s`,
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({ source: 'reviews.bookinfo', target: 'ratings.bookinfo', stepUs: 1_000_000 });
    // ratings is called by page loads 2 (200) and 3 (500).
    const points = (body as { points: { requests: number; errors: number }[] }).points;
    expect(points.map((p) => [p.requests, p.errors])).toEqual([[0, 0], [0, 0], [1, 0], [1, 1]]);
  });

  it('refuses a step that is too small or not a duration', async () => {
    for (const step of ['1ms', 'soon']) {
      const { status } = await get(`/api/v1/graph/edges/a/b/timeseries?${WINDOW}&step=${step}`);
      expect(status).toBe(400);
    }
  });
});

describe('Node Graph API under /nodegraph', () => {
  it('answers the health check and the field lists', async () => {
    expect((await get('/nodegraph/api/health')).status).toBe(200);
    const { body } = await get('/nodegraph/api/graph/fields');
    expect(body).toEqual({ nodes_fields: NODE_FIELDS, edges_fields: EDGE_FIELDS });
    const names = (body as { nodes_fields: { field_name: string }[] }).nodes_fields.map((f) => f.field_name);
    expect(names).toEqual(expect.arrayContaining(['id', 'title', 'mainstat', 'secondarystat', 'arc__success', 'arc__errors']));
  });

  it('draws the same graph, with arcs summing to 1', async () => {
    const { status, body } = await get(`/nodegraph/api/graph/data?${WINDOW}&namespace=bookinfo`);
    expect(status).toBe(200);
    const frames = body as { nodes: Record<string, string | number>[]; edges: Record<string, string | number>[] };
    expect(frames.edges.find((e) => e.id === 'productpage.bookinfo->reviews.bookinfo')).toEqual({
      id: 'productpage.bookinfo->reviews.bookinfo', source: 'productpage.bookinfo', target: 'reviews.bookinfo',
      mainstat: 0.4, secondarystat: 49.125, detail__protocol: 'http', detail__errorRate: 25, detail__mtls: 66.667,
    });
    expect(frames.nodes.find((n) => n.id === 'reviews.bookinfo')).toEqual({
      id: 'reviews.bookinfo', title: 'reviews', subtitle: 'bookinfo', mainstat: 0.4, secondarystat: 25,
      arc__success: 0.75, arc__errors: 0.25, detail__kind: 'service', detail__health: 'degraded', detail__requests: 4, detail__p99: 49.125,
    });
    for (const n of frames.nodes) expect(Number(n.arc__success) + Number(n.arc__errors)).toBeCloseTo(1, 9);
    // Every frame, worked out from the fixture (see graph-contract.ts; failing from 30 % here).
    const node = (id: string, title: string, subtitle: string, rate: number, errPct: number, kind: string, health: string, requests: number, p99: number) => ({
      id, title, subtitle, mainstat: rate, secondarystat: errPct, arc__success: 1 - errPct / 100, arc__errors: errPct / 100,
      detail__kind: kind, detail__health: health, detail__requests: requests, detail__p99: p99,
    });
    expect(frames.nodes).toEqual([
      node('api.example.com', 'api.example.com', '', 0.1, 0, 'external', 'healthy', 1, 99.5),
      node('details.bookinfo', 'details', 'bookinfo', 0.4, 0, 'service', 'healthy', 4, 24.85),
      node('istio-ingressgateway.istio-system', 'istio-ingressgateway', 'istio-system', 0.4, 0, 'gateway', 'healthy', 4, 49.75),
      node('mysqldb.bookinfo', 'mysqldb', 'bookinfo', 0.1, 0, 'database', 'healthy', 1, 995),
      // Receives the 4 page loads (8 reports in [25, 50)) and the direct call (3 ms): p99 rank 8.91 → 25 + 25 · 7.91/8.
      node('productpage.bookinfo', 'productpage', 'bookinfo', 0.5, 0, 'service', 'healthy', 5, 49.719),
      node('ratings.bookinfo', 'ratings', 'bookinfo', 0.2, 50, 'service', 'failing', 2, 9.95),
      node('reviews.bookinfo', 'reviews', 'bookinfo', 0.4, 25, 'service', 'degraded', 4, 49.125),
      node('unknown', 'unknown', '', 0.1, 0, 'unknown', 'healthy', 1, 4.96),
    ]);
    const edge = (source: string, target: string, rate: number, p99: number, protocol: string, errPct: number, mtls: number) => ({
      id: `${source}->${target}`, source, target, mainstat: rate, secondarystat: p99, detail__protocol: protocol, detail__errorRate: errPct, detail__mtls: mtls,
    });
    expect(frames.edges).toEqual([
      edge('istio-ingressgateway.istio-system', 'productpage.bookinfo', 0.4, 49.75, 'http', 0, 100),
      edge('productpage.bookinfo', 'details.bookinfo', 0.4, 24.85, 'http', 0, -1),
      edge('productpage.bookinfo', 'reviews.bookinfo', 0.4, 49.125, 'http', 25, 66.667),
      edge('ratings.bookinfo', 'mysqldb.bookinfo', 0.1, 995, 'tcp', 0, 100),
      edge('reviews.bookinfo', 'api.example.com', 0.1, 99.5, 'http', 0, -1),
      edge('reviews.bookinfo', 'ratings.bookinfo', 0.2, 9.95, 'http', 50, 100),
      edge('unknown', 'productpage.bookinfo', 0.1, 4.96, 'http', 0, 0),
    ]);
    const ids = new Set(frames.nodes.map((n) => n.id));
    for (const e of frames.edges) expect(ids.has(String(e.source)) && ids.has(String(e.target))).toBe(true);
  });
});

describe('GET /api/dependencies', () => {
  it('uses the graph node ids: one productpage, every call once', async () => {
    const { body } = await get(`/api/dependencies?endTs=${mesh.endUs / 1000}&lookback=60000`);
    const links = (body as { data: { parent: string; child: string; callCount: number }[] }).data;
    const sorted = [...links].sort((a, b) => (a.parent + a.child < b.parent + b.child ? -1 : 1));
    expect(sorted).toEqual([
      { parent: 'istio-ingressgateway.istio-system', child: 'productpage.bookinfo', callCount: 4 },
      { parent: 'productpage.bookinfo', child: 'details.bookinfo', callCount: 4 },
      { parent: 'productpage.bookinfo', child: 'reviews.bookinfo', callCount: 4 },
      { parent: 'ratings.bookinfo', child: 'mysqldb.bookinfo', callCount: 1 },
      { parent: 'reviews.bookinfo', child: 'api.example.com', callCount: 1 },
      { parent: 'reviews.bookinfo', child: 'ratings.bookinfo', callCount: 2 },
      { parent: 'unknown', child: 'productpage.bookinfo', callCount: 1 },
    ]);
    const services = new Set(links.flatMap((l) => [l.parent, l.child]).filter((s) => s.startsWith('productpage')));
    expect([...services]).toEqual(['productpage.bookinfo']);
  });
});
