/**
 * The mesh graph end to end, for every deployment shape: the bookinfo mesh's proxies send their
 * ALS streams (gRPC, identifier with Istio node metadata on the first message) and Zipkin spans
 * (HTTP JSON) to the collector, and /api/v1/graph, the Node Graph API and /api/dependencies show
 * one node per service and one edge per call path, each call counted once.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { GraphEdge, MeshGraph } from '../../shared/graph/model.js';
import { bookinfoMesh, type BookinfoMesh } from '../fixtures/bookinfo-mesh.js';
import { streamAls } from './accesslog-e2e-suite.js';
import { eventually } from './meshtel-process.js';

export interface GraphSuiteTarget {
  readonly queryUrl: string;
  readonly zipkinUrl: string;
  /** host:port of the OTLP gRPC port, where the Envoy ALS service listens too. */
  readonly otlpGrpcAddress: string;
}

const EXPECTED_EDGES: [string, number, number, number | null, string[]][] = [
  // id, requests, errors, mtlsShare, seenIn
  ['istio-ingressgateway.istio-system->productpage.bookinfo', 4, 0, 1, ['traces', 'accesslogs']],
  ['productpage.bookinfo->details.bookinfo', 4, 0, null, ['traces']],
  ['productpage.bookinfo->reviews.bookinfo', 4, 1, 0.666667, ['traces', 'accesslogs']],
  ['ratings.bookinfo->mysqldb.bookinfo', 1, 0, 1, ['accesslogs']],
  ['reviews.bookinfo->api.example.com', 1, 0, null, ['accesslogs']],
  ['reviews.bookinfo->ratings.bookinfo', 2, 1, 1, ['accesslogs']],
  ['unknown->productpage.bookinfo', 1, 0, 0, ['accesslogs']],
];

const summary = (e: GraphEdge) => [e.id, e.requests, e.errors, e.mtlsShare, e.seenIn];

export function describeGraphBehaviour(name: string, target: () => GraphSuiteTarget): void {
  describe(`${name}: mesh graph from ALS streams and Zipkin spans of the same sidecars`, () => {
    let t: GraphSuiteTarget;
    let mesh: BookinfoMesh;

    beforeAll(async () => {
      t = target();
      // Ten minutes ago, whole seconds: inside the graph's default 15-minute window.
      mesh = bookinfoMesh(Math.floor(Date.now() / 1000 - 600) * 1_000_000);
      for (const stream of mesh.alsStreams) await streamAls(t.otlpGrpcAddress, stream);
      for (const spans of mesh.zipkin) {
        const res = await fetch(`${t.zipkinUrl}/api/v2/spans`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spans) });
        expect(res.status).toBe(202);
      }
    }, 60_000);

    it('shows productpage once and each call path once, with counts, errors and mTLS', async () => {
      // The default window (the last 15 minutes); poll until the ingestion has caught up, then
      // compare (after the deadline the comparison shows what differs).
      const read = async () => (await (await fetch(`${t.queryUrl}/api/v1/graph?namespace=bookinfo`)).json()) as MeshGraph;
      const complete = (g: MeshGraph) => JSON.stringify(g.edges.map(summary)) === JSON.stringify(EXPECTED_EDGES);
      const graph = await eventually(async () => {
        const g = await read();
        return complete(g) ? g : undefined;
      }, 60_000, 500).catch(read);
      expect(graph.edges.map(summary)).toEqual(EXPECTED_EDGES);
      expect(graph.nodes.filter((n) => n.name === 'productpage').map((n) => n.id)).toEqual(['productpage.bookinfo']);
      expect(graph.nodes.find((n) => n.id === 'istio-ingressgateway.istio-system')?.kind).toBe('gateway');
      expect(graph.nodes.find((n) => n.id === 'mysqldb.bookinfo')?.kind).toBe('database');
      expect(graph.nodes.find((n) => n.id === 'reviews.bookinfo')).toMatchObject({ requests: 4, errors: 1, health: 'failing' });
    });

    it('draws the same nodes for the Grafana Node Graph API data source', async () => {
      const window = `start=${mesh.startUs}&end=${mesh.endUs}&namespace=bookinfo`;
      const graph = (await (await fetch(`${t.queryUrl}/api/v1/graph?${window}`)).json()) as MeshGraph;
      const res = await fetch(`${t.queryUrl}/nodegraph/api/graph/data?${window}`);
      expect(res.status).toBe(200);
      const frames = (await res.json()) as { nodes: { id: string }[]; edges: { id: string; source: string; target: string }[] };
      expect(frames.nodes.map((n) => n.id)).toEqual(graph.nodes.map((n) => n.id));
      expect(frames.edges.map((e) => [e.id, e.source, e.target])).toEqual(graph.edges.map((e) => [e.id, e.source, e.target]));
      expect((await fetch(`${t.queryUrl}/nodegraph/api/health`)).status).toBe(200);
    });

    it('uses the same node ids in /api/dependencies', async () => {
      const res = await fetch(`${t.queryUrl}/api/dependencies?endTs=${Math.ceil(mesh.endUs / 1000)}&lookback=60000`);
      const links = ((await res.json()) as { data: { parent: string; child: string; callCount: number }[] }).data;
      expect(links).toContainEqual({ parent: 'productpage.bookinfo', child: 'reviews.bookinfo', callCount: 4 });
      expect(links).toContainEqual({ parent: 'istio-ingressgateway.istio-system', child: 'productpage.bookinfo', callCount: 4 });
      expect(links.some((l) => l.parent.startsWith('productpage-v1') || l.child === 'productpage')).toBe(false);
    });
  });
}
