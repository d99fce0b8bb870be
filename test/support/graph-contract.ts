/**
 * The graph reader contract (shared/storage/graphstore.ts) as one suite every store runs, on the
 * bookinfo mesh fixture: its ALS streams decoded as the collector decodes them and its Zipkin
 * spans, written to the store's span and access-log writers, then the graph read back and built.
 * Expected values are worked out from the fixture by hand (comments say how).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AlsStreamDecoder } from '../../shared/envoy/als-stream.js';
import { buildGraph } from '../../shared/graph/build.js';
import type { GraphLevel, GraphQuery, MeshGraph } from '../../shared/graph/model.js';
import type { MeshServiceNaming } from '../../shared/istio/service-naming.js';
import type { AccessLogRecord } from '../../shared/model/access-log.js';
import type { SpanRecord } from '../../shared/model/span.js';
import type { GraphReader } from '../../shared/storage/graphstore.js';
import { decodeZipkinSpansJson } from '../../shared/zipkin/spans.js';
import { bookinfoMesh, encodeStream, type BookinfoMesh } from '../fixtures/bookinfo-mesh.js';

export interface GraphStores {
  writeSpans(spans: readonly SpanRecord[]): Promise<void>;
  writeAccessLogs(records: readonly AccessLogRecord[]): Promise<void>;
  readonly reader: GraphReader;
  stop(): Promise<void>;
}

/** Recent whole seconds, so time-partitioned stores write today's (or yesterday's) indices. */
const BASE_US = Math.floor(Date.now() / 1000 - 3600) * 1_000_000;

export function meshRecords(mesh: BookinfoMesh): { records: AccessLogRecord[]; spans: SpanRecord[] } {
  const records = mesh.alsStreams.flatMap((stream) => {
    const decoder = new AlsStreamDecoder();
    return encodeStream(stream).flatMap((bytes) => decoder.decode(bytes));
  });
  const spans = mesh.zipkin.flatMap((body) => decodeZipkinSpansJson(JSON.stringify(body)));
  return { records, spans };
}

/** A node or edge reduced to what a test names; the full objects are checked in the first test. */
const edgeIds = (g: MeshGraph) => g.edges.map((e) => e.id);
const nodeIds = (g: MeshGraph) => g.nodes.map((n) => n.id);

export function describeGraphContract(name: string, makeStores: (naming: MeshServiceNaming) => Promise<GraphStores>): void {
  describe(`graph contract: ${name}`, () => {
    let stores: GraphStores | undefined;
    afterEach(async () => {
      await stores?.stop();
      stores = undefined;
    });

    async function meshIn(naming: MeshServiceNaming): Promise<{ mesh: BookinfoMesh; reader: GraphReader }> {
      stores = await makeStores(naming);
      const mesh = bookinfoMesh(BASE_US, naming);
      const { records, spans } = meshRecords(mesh);
      await stores.writeSpans(spans);
      await stores.writeAccessLogs(records);
      return { mesh, reader: stores.reader };
    }

    async function graphOf(reader: GraphReader, mesh: BookinfoMesh, extra: Partial<GraphQuery> = {}): Promise<MeshGraph> {
      const query: GraphQuery = { startUs: mesh.startUs, endUs: mesh.endUs, level: 'service' as GraphLevel, ...extra };
      return buildGraph(await reader.getEdgePartials(query), (query.endUs - query.startUs) / 1e6);
    }

    it('names every service once across traces and access logs, and counts each call once per edge', async () => {
      const { mesh, reader } = await meshIn('APP_LABEL_AND_NAMESPACE');
      const graph = await graphOf(reader, mesh);
      // The window is 10 s, so a rate is requests / 10. Latency quantiles interpolate within the
      // Envoy buckets (…, 1, 5, 10, 25, 50, 100, 250, 500, 1000, …), access-log durations first.
      expect(graph.edges).toEqual([
        {
          // p1–p4: gateway entry (30 ms) + productpage inbound entry (28 ms, mTLS) + client span, one x-request-id each.
          // 8 durations in [25, 50): p50 = 25 + 25 · 4/8, p99 = 25 + 25 · 7.92/8.
          id: 'istio-ingressgateway.istio-system->productpage.bookinfo', source: 'istio-ingressgateway.istio-system', target: 'productpage.bookinfo',
          protocol: 'http', requests: 4, errors: 0, requestRate: 0.4, errorRate: 0, responseCodes: { '2xx': 4 }, p50Ms: 37.5, p99Ms: 49.75,
          bytesSent: 0, bytesReceived: 0, mtlsShare: 1, health: 'healthy', seenIn: ['traces', 'accesslogs'],
        },
        {
          // Traced only: 4 client spans of 12 ms in [10, 25): p50 = 10 + 15 · 2/4, p99 = 10 + 15 · 3.96/4.
          id: 'productpage.bookinfo->details.bookinfo', source: 'productpage.bookinfo', target: 'details.bookinfo',
          protocol: 'http', requests: 4, errors: 0, requestRate: 0.4, errorRate: 0, responseCodes: { '2xx': 4 }, p50Ms: 17.5, p99Ms: 24.85,
          bytesSent: 0, bytesReceived: 0, mtlsShare: null, health: 'healthy', seenIn: ['traces'],
        },
        {
          // 4 calls (p4: 503 UF, only productpage's entry and span); mTLS on 2 of the 3 inbound entries.
          // Entries: 2 ms | 20, 20, 18, 18 | 40, 38 → 7; p50 rank 3.5 in [10, 25): 10 + 15 · 2.5/4;
          // p99 rank 6.93 in [25, 50): 25 + 25 · 1.93/2. 25 % errors ≥ 10 % → failing.
          id: 'productpage.bookinfo->reviews.bookinfo', source: 'productpage.bookinfo', target: 'reviews.bookinfo',
          protocol: 'http', requests: 4, errors: 1, requestRate: 0.4, errorRate: 0.25, responseCodes: { '2xx': 3, '5xx': 1 }, p50Ms: 19.375, p99Ms: 49.125,
          bytesSent: 0, bytesReceived: 0, mtlsShare: 0.666667, health: 'failing', seenIn: ['traces', 'accesslogs'],
        },
        {
          // One TCP connection logged by both sidecars: counted once; bytes of the caller's entry; mTLS from the callee's.
          // 600 / 599 ms in [500, 1000): p50 = 750, p99 = 500 + 500 · 1.98/2.
          id: 'ratings.bookinfo->mysqldb.bookinfo', source: 'ratings.bookinfo', target: 'mysqldb.bookinfo',
          protocol: 'tcp', requests: 1, errors: 0, requestRate: 0.1, errorRate: 0, responseCodes: {}, p50Ms: 750, p99Ms: 995,
          bytesSent: 1532, bytesReceived: 4210, mtlsShare: 1, health: 'healthy', seenIn: ['accesslogs'],
        },
        {
          // ServiceEntry host: the callee keeps its host name; 80 ms in [50, 100).
          id: 'reviews.bookinfo->api.example.com', source: 'reviews.bookinfo', target: 'api.example.com',
          protocol: 'http', requests: 1, errors: 0, requestRate: 0.1, errorRate: 0, responseCodes: { '2xx': 1 }, p50Ms: 75, p99Ms: 99.5,
          bytesSent: 0, bytesReceived: 0, mtlsShare: null, health: 'healthy', seenIn: ['accesslogs'],
        },
        {
          // reviews-v2 (200) and reviews-v3 (500) → ratings, both sidecars logging: 6, 5, 6, 5 ms in [5, 10).
          id: 'reviews.bookinfo->ratings.bookinfo', source: 'reviews.bookinfo', target: 'ratings.bookinfo',
          protocol: 'http', requests: 2, errors: 1, requestRate: 0.2, errorRate: 0.5, responseCodes: { '2xx': 1, '5xx': 1 }, p50Ms: 7.5, p99Ms: 9.95,
          bytesSent: 0, bytesReceived: 0, mtlsShare: 1, health: 'failing', seenIn: ['accesslogs'],
        },
        {
          // No sidecar, no peer metadata: the caller is `unknown`; plain text → mTLS share 0. 3 ms in [1, 5).
          id: 'unknown->productpage.bookinfo', source: 'unknown', target: 'productpage.bookinfo',
          protocol: 'http', requests: 1, errors: 0, requestRate: 0.1, errorRate: 0, responseCodes: { '2xx': 1 }, p50Ms: 3, p99Ms: 4.96,
          bytesSent: 0, bytesReceived: 0, mtlsShare: 0, health: 'healthy', seenIn: ['accesslogs'],
        },
      ]);

      const node = (id: string) => graph.nodes.find((n) => n.id === id);
      expect(nodeIds(graph)).toEqual([
        'api.example.com', 'details.bookinfo', 'istio-ingressgateway.istio-system', 'mysqldb.bookinfo',
        'productpage.bookinfo', 'ratings.bookinfo', 'reviews.bookinfo', 'unknown',
      ]);
      expect(graph.nodes.map((n) => [n.id, n.kind])).toEqual([
        ['api.example.com', 'external'], ['details.bookinfo', 'service'], ['istio-ingressgateway.istio-system', 'gateway'],
        ['mysqldb.bookinfo', 'database'], ['productpage.bookinfo', 'service'], ['ratings.bookinfo', 'service'],
        ['reviews.bookinfo', 'service'], ['unknown', 'unknown'],
      ]);
      // productpage receives 4 page loads and the direct call: 5 requests, none failed.
      expect(node('productpage.bookinfo')).toMatchObject({
        name: 'productpage', namespace: 'bookinfo', requests: 5, errors: 0, requestRate: 0.5, errorRate: 0, health: 'healthy', seenIn: ['traces', 'accesslogs'],
      });
      expect(node('reviews.bookinfo')).toMatchObject({ requests: 4, errors: 1, errorRate: 0.25, health: 'failing', p50Ms: 19.375, p99Ms: 49.125 });
      expect(node('ratings.bookinfo')).toMatchObject({ requests: 2, errors: 1, health: 'failing', seenIn: ['accesslogs'] });
      expect(node('details.bookinfo')).toMatchObject({ requests: 4, seenIn: ['traces'] });
      // Nothing calls the gateway: it shows what it sends.
      expect(node('istio-ingressgateway.istio-system')).toMatchObject({ name: 'istio-ingressgateway', namespace: 'istio-system', requests: 4 });
      expect(node('unknown')).toMatchObject({ namespace: null, requests: 1 });
    });

    for (const [naming, ids] of [
      ['CANONICAL_NAME_ONLY', ['istio-ingressgateway->productpage', 'productpage->details', 'productpage->reviews', 'ratings->mysqldb', 'reviews->api.example.com', 'reviews->ratings', 'unknown->productpage']],
      ['CANONICAL_NAME_AND_NAMESPACE', [
        'istio-ingressgateway.istio-system->productpage.bookinfo', 'productpage.bookinfo->details.bookinfo', 'productpage.bookinfo->reviews.bookinfo',
        'ratings.bookinfo->mysqldb.bookinfo', 'reviews.bookinfo->api.example.com', 'reviews.bookinfo->ratings.bookinfo', 'unknown->productpage.bookinfo',
      ]],
    ] as const) {
      it(`names nodes as the tracer does with ${naming}, so traces and access logs still meet`, async () => {
        const { mesh, reader } = await meshIn(naming);
        const graph = await graphOf(reader, mesh);
        expect(edgeIds(graph)).toEqual(ids);
        const reviews = graph.edges.find((e) => e.target.startsWith('reviews') && e.source.startsWith('productpage'));
        expect(reviews).toMatchObject({ requests: 4, errors: 1, seenIn: ['traces', 'accesslogs'] });
      });
    }

    it('draws workloads from access logs at level=workload', async () => {
      const { mesh, reader } = await meshIn('APP_LABEL_AND_NAMESPACE');
      const graph = await graphOf(reader, mesh, { level: 'workload' });
      expect(graph.edges.map((e) => [e.id, e.requests, e.errors])).toEqual([
        ['istio-ingressgateway.istio-system->productpage-v1.bookinfo', 4, 0],
        ['productpage-v1.bookinfo->reviews-v1.bookinfo', 1, 0],
        ['productpage-v1.bookinfo->reviews-v2.bookinfo', 1, 0],
        ['productpage-v1.bookinfo->reviews-v3.bookinfo', 1, 0],
        // p4 reached no workload: the service it was sent to stands in.
        ['productpage-v1.bookinfo->reviews.bookinfo', 1, 1],
        ['ratings-v1.bookinfo->mysqldb-v1.bookinfo', 1, 0],
        ['reviews-v2.bookinfo->ratings-v1.bookinfo', 1, 0],
        ['reviews-v3.bookinfo->api.example.com', 1, 0],
        ['reviews-v3.bookinfo->ratings-v1.bookinfo', 1, 1],
        ['unknown->productpage-v1.bookinfo', 1, 0],
      ]);
      expect(graph.nodes.find((n) => n.id === 'reviews-v1.bookinfo')).toMatchObject({ kind: 'workload', name: 'reviews-v1', namespace: 'bookinfo' });
      expect(graph.edges.every((e) => e.seenIn.length === 1 && e.seenIn[0] === 'accesslogs')).toBe(true);
    });

    it('keeps the edges touching a namespace when one is asked for', async () => {
      const { mesh, reader } = await meshIn('APP_LABEL_AND_NAMESPACE');
      const graph = await graphOf(reader, mesh, { namespace: 'istio-system' });
      expect(edgeIds(graph)).toEqual(['istio-ingressgateway.istio-system->productpage.bookinfo']);
      expect(nodeIds(graph)).toEqual(['istio-ingressgateway.istio-system', 'productpage.bookinfo']);
      expect(await graphOf(reader, mesh, { namespace: 'nowhere' })).toEqual({ nodes: [], edges: [] });
    });

    it('leaves out what started outside the window', async () => {
      const { mesh, reader } = await meshIn('APP_LABEL_AND_NAMESPACE');
      // p1 and p2 start at +1 s and +2 s (their calls within the next 30 ms): a window from +3 s keeps p3, p4, u1, TCP.
      const graph = await graphOf(reader, mesh, { startUs: mesh.startUs + 3_000_000 });
      expect(graph.edges.find((e) => e.id === 'productpage.bookinfo->reviews.bookinfo')).toMatchObject({ requests: 2, errors: 1 });
      expect(graph.edges.find((e) => e.id === 'reviews.bookinfo->ratings.bookinfo')).toMatchObject({ requests: 1, errors: 1 });
    });

    it('answers an edge time series per step, with the graph counting rules', async () => {
      const { mesh, reader } = await meshIn('APP_LABEL_AND_NAMESPACE');
      const points = await reader.getEdgeTimeseries({
        startUs: mesh.startUs, endUs: mesh.startUs + 5_999_999, stepUs: 1_000_000, level: 'service',
        source: 'productpage.bookinfo', target: 'reviews.bookinfo',
      });
      // Page load i calls reviews at +i s + 15 ms; p4 failed after 2 ms (its only duration, in [1, 5)).
      expect(points.map((p) => [(p.timeUs - mesh.startUs) / 1e6, p.requests, p.errors])).toEqual([
        [0, 0, 0], [1, 1, 0], [2, 1, 0], [3, 1, 0], [4, 1, 1], [5, 0, 0],
      ]);
      expect(points[0]!.p99Ms).toBeNull();
      expect(points[4]!.p99Ms).toBe(4.96);
    });
  });
}
