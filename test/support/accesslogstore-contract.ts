/**
 * The access-log store contract (shared/storage/accesslogstore.ts), as one suite every
 * implementation runs: `describeAccessLogStoreContract('memory', async () => new
 * MemoryAccessLogStore(...))`. Each test gets a fresh, EMPTY store from `makeStore` (answers are
 * checked exactly) and stops it afterwards. Stores that make writes visible to search only after
 * a refresh (Elasticsearch) expose `flushForTests()`, which the suite calls after every write.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccessLogRecord } from '../../shared/model/access-log.js';
import type { AccessLogEdge, AccessLogQuery, AccessLogStore } from '../../shared/storage/accesslogstore.js';
import { accessLog, destinationTwin, type AccessLogOptions } from '../fixtures/access-logs.js';

export type ContractAccessLogStore = AccessLogStore & { flushForTests?(): Promise<void> };

/** Recent (an hour ago, whole seconds) so time-partitioned stores write to today's indices. */
const T = Math.floor(Date.now() / 1000 - 3600) * 1_000_000;
const T_MS = T / 1000;
const SECOND_US = 1_000_000;
const MINUTE_US = 60 * SECOND_US;

const sortedEdges = (edges: readonly AccessLogEdge[]) =>
  [...edges].sort((a, b) => (a.parent + '\u0000' + a.child < b.parent + '\u0000' + b.child ? -1 : 1));

export function describeAccessLogStoreContract(name: string, makeStore: () => Promise<ContractAccessLogStore>): void {
  describe(`access-log store contract: ${name}`, () => {
    let store: ContractAccessLogStore;

    beforeEach(async () => {
      store = await makeStore();
      await store.start();
    });
    afterEach(async () => {
      await store.stop();
    });

    async function write(records: readonly AccessLogRecord[]): Promise<void> {
      expect(await store.writeAccessLogs(records)).toEqual([]);
      await store.flushForTests?.();
    }

    /** A record at T (+ offsetUs) unless the options say otherwise. */
    const log = (options: AccessLogOptions = {}) => accessLog({ startUs: T, ...options });

    const query = (q: Partial<AccessLogQuery> = {}): AccessLogQuery => ({
      startTimeMinUs: T - 60 * MINUTE_US,
      startTimeMaxUs: T + 60 * MINUTE_US,
      limit: 100,
      offset: 0,
      ...q,
    });

    /** Ids found by a query, in the order the store answered. */
    const found = async (q: Partial<AccessLogQuery>) => (await store.findAccessLogs(query(q))).records.map((r) => r.id);
    const idsOf = (...records: AccessLogRecord[]) => records.map((r) => r.id);

    describe('an empty store', () => {
      it('finds nothing and has no edges', async () => {
        expect(await store.findAccessLogs(query())).toEqual({ records: [], total: 0 });
        expect(await store.getAccessLogEdges(T_MS + 60_000, 24 * 3600_000)).toEqual([]);
      });
    });

    describe('writeAccessLogs and findAccessLogs', () => {
      it('returns a record exactly as written, every field included', async () => {
        const rich = log({
          kind: 'http',
          input: 'als',
          startTimeUnixNano: BigInt(T) * 1000n + 123n,
          durationUs: 15_250,
          reporter: 'destination',
          method: 'POST',
          path: '/api/v1/cart?item=42',
          authority: 'cart.shop:8080',
          scheme: 'https',
          protocol: 'HTTP/2',
          userAgent: 'curl/8.5.0',
          requestId: 'a3f1c2d4-5b6e-4f70-8a9b-0c1d2e3f4a5b',
          forwardedFor: '10.0.0.1',
          responseCode: 503,
          responseFlags: ['UF', 'URX'],
          responseCodeDetails: 'upstream_reset_before_response_started{connection_failure}',
          connectionTerminationDetails: 'idle timeout',
          upstreamTransportFailureReason: 'TLS error: 268435581',
          grpcStatus: 'Unavailable',
          upstreamServiceTimeMs: 12,
          bytesReceived: 512,
          bytesSent: 9_007_199_254,
          upstreamCluster: 'inbound|8080||',
          upstreamHost: '10.1.2.3:8080',
          upstreamLocalAddress: '127.0.0.6:41234',
          downstreamLocalAddress: '10.1.2.3:8080',
          downstreamRemoteAddress: '10.1.9.9:53422',
          requestedServerName: 'outbound_.8080_._.cart.shop.svc.cluster.local',
          routeName: 'default',
          mtls: true,
          source: {
            workload: 'frontend',
            namespace: 'web',
            canonicalService: 'frontend',
            canonicalRevision: 'v3',
            app: 'frontend',
            version: 'v3',
            cluster: 'Kubernetes',
            principal: 'spiffe://cluster.local/ns/web/sa/frontend',
          },
          destination: {
            workload: 'cart-v2',
            namespace: 'shop',
            canonicalService: 'cart',
            canonicalRevision: 'v2',
            service: 'cart.shop.svc.cluster.local',
            serviceName: 'cart',
            serviceNamespace: 'shop',
            principal: 'spiffe://cluster.local/ns/shop/sa/cart',
          },
          proxyNodeId: 'sidecar~10.1.2.3~cart-v2-7d9f.shop~shop.svc.cluster.local',
          logName: 'envoy.access_loggers.http_grpc',
          traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
          spanId: '00f067aa0ba902b7',
          attributes: { 'custom.tag': 'x', 'ünïcode': '✓' },
        });
        const tcp = log({
          kind: 'tcp',
          method: undefined,
          path: undefined,
          protocol: undefined,
          responseCode: undefined,
          mtls: false,
          bytesReceived: 0,
          bytesSent: 77,
          startUs: T - SECOND_US,
          destination: { workload: 'mysqldb-v1', service: 'mysqldb.default.svc.cluster.local', serviceName: 'mysqldb' },
        });
        const plain = log({ kind: 'log', input: 'otlp', body: 'cache warmed', severityText: 'INFO', responseCode: undefined, startUs: T - 2 * SECOND_US });
        await write([rich, tcp, plain]);

        const page = await store.findAccessLogs(query({ kinds: ['http', 'tcp', 'log'] }));
        expect(page.total).toBe(3);
        expect(page.records).toEqual([rich, tcp, plain]);
      });

      it('keeps one copy when a record is written again, and the later write wins', async () => {
        const a = log({ responseCode: 200 });
        const b = log({ startUs: T + 1 });
        await write([a, b]);
        await write([a, b]);
        const rewritten: AccessLogRecord = { ...a, responseCode: 504, responseFlags: ['UT'] };
        await write([rewritten]);
        const page = await store.findAccessLogs(query());
        expect(page.total).toBe(2);
        expect(page.records).toEqual([b, rewritten]);
      });
    });

    describe('filters', () => {
      it('keeps records that started within the time range, bounds included', async () => {
        const before = log({ startUs: T - 2 * MINUTE_US });
        const atMin = log({ startUs: T - MINUTE_US });
        const inside = log({ startUs: T });
        const atMax = log({ startTimeUnixNano: BigInt(T + MINUTE_US) * 1000n + 999n });
        const after = log({ startUs: T + MINUTE_US + 1 });
        await write([before, atMin, inside, atMax, after]);
        expect(await found({ startTimeMinUs: T - MINUTE_US, startTimeMaxUs: T + MINUTE_US })).toEqual(idsOf(atMax, inside, atMin));
      });

      it('finds http and tcp records by default and plain logs only when asked', async () => {
        const http = log({ startUs: T + 3 });
        const tcp = log({ kind: 'tcp', startUs: T + 2 });
        const plain = log({ kind: 'log', startUs: T + 1 });
        await write([http, tcp, plain]);
        expect(await found({})).toEqual(idsOf(http, tcp));
        expect(await found({ kinds: ['log'] })).toEqual(idsOf(plain));
        expect(await found({ kinds: ['tcp', 'log'] })).toEqual(idsOf(tcp, plain));
      });

      it('filters by source and destination workload and namespace', async () => {
        const a = log({ startUs: T + 4, source: { workload: 'productpage-v1', namespace: 'default' } });
        const b = log({ startUs: T + 3, source: { workload: 'productpage-v1', namespace: 'staging' } });
        const c = log({ startUs: T + 2, destination: { workload: 'ratings-v1', namespace: 'default' } });
        const d = log({ startUs: T + 1, destination: { workload: 'reviews-v1', namespace: 'other' } });
        await write([a, b, c, d]);
        expect(await found({ sourceWorkload: 'productpage-v1' })).toEqual(idsOf(a, b, c, d));
        expect(await found({ sourceNamespace: 'staging' })).toEqual(idsOf(b));
        expect(await found({ sourceWorkload: 'productpage-v1', sourceNamespace: 'default' })).toEqual(idsOf(a, c, d));
        expect(await found({ destinationWorkload: 'ratings-v1' })).toEqual(idsOf(c));
        expect(await found({ destinationNamespace: 'other' })).toEqual(idsOf(d));
        expect(await found({ destinationWorkload: 'reviews-v1', destinationNamespace: 'default' })).toEqual(idsOf(a, b));
        expect(await found({ sourceWorkload: 'nobody' })).toEqual([]);
      });

      it('matches the destination service by host or by short name', async () => {
        const full = log({ startUs: T + 3 });
        const hostOnly = log({ startUs: T + 2, destination: { service: 'reviews.default.svc.cluster.local', serviceName: undefined } });
        const other = log({
          startUs: T + 1,
          destination: { workload: 'ratings-v1', service: 'ratings.default.svc.cluster.local', serviceName: 'ratings' },
        });
        await write([full, hostOnly, other]);
        expect(await found({ destinationService: 'reviews.default.svc.cluster.local' })).toEqual(idsOf(full, hostOnly));
        expect(await found({ destinationService: 'reviews' })).toEqual(idsOf(full, hostOnly));
        expect(await found({ destinationService: 'ratings' })).toEqual(idsOf(other));
        expect(await found({ destinationService: 'reviews.default' })).toEqual([]);
      });

      it('finds records by request id, by mesh node id at either end, and by protocol', async () => {
        const app = (a: string) => ({ app: a, canonicalService: a });
        const call = log({
          startUs: T + 3, requestId: 'req-1',
          source: app('productpage'), destination: { ...app('reviews'), workload: 'reviews-v1' },
        });
        const grpc = log({ startUs: T + 2, requestId: 'req-2', grpcStatus: '0', source: app('productpage'), destination: app('ratings') });
        const tcp = log({ startUs: T + 1, kind: 'tcp', source: { workload: 'unknown', namespace: undefined }, destination: app('mysqldb') });
        await write([call, grpc, tcp]);
        expect(await found({ requestId: 'req-1' })).toEqual(idsOf(call));
        expect(await found({ requestId: 'req' })).toEqual([]);
        // Node ids as the mesh's tracer names services (default: <app>.<namespace>).
        expect(await found({ sourceService: 'productpage.default' })).toEqual(idsOf(call, grpc));
        expect(await found({ sourceService: 'unknown' })).toEqual(idsOf(tcp));
        expect(await found({ destinationService: 'reviews.default' })).toEqual(idsOf(call));
        expect(await found({ destinationService: 'mysqldb.default' })).toEqual(idsOf(tcp));
        expect(await found({ protocol: 'grpc' })).toEqual(idsOf(grpc));
        expect(await found({ protocol: 'tcp' })).toEqual(idsOf(tcp));
        expect(await found({ protocol: 'http' })).toEqual(idsOf(call));
      });

      it('filters by exact response code and by code class', async () => {
        const ok = log({ startUs: T + 6, responseCode: 200 });
        const notFound = log({ startUs: T + 5, responseCode: 404 });
        const e500 = log({ startUs: T + 4, responseCode: 500 });
        const e503 = log({ startUs: T + 3, responseCode: 503 });
        const e599 = log({ startUs: T + 2, responseCode: 599 });
        const none = log({ startUs: T + 1, kind: 'tcp', responseCode: undefined });
        await write([ok, notFound, e500, e503, e599, none]);
        expect(await found({ responseCode: 503 })).toEqual(idsOf(e503));
        expect(await found({ responseCodeClass: 5 })).toEqual(idsOf(e500, e503, e599));
        expect(await found({ responseCodeClass: 4 })).toEqual(idsOf(notFound));
        expect(await found({ responseCodeClass: 2 })).toEqual(idsOf(ok));
        expect(await found({ responseCodeClass: 5, responseCode: 500 })).toEqual(idsOf(e500));
      });

      it('finds records carrying a response flag among others', async () => {
        const uh = log({ startUs: T + 4, responseFlags: ['UH'] });
        const both = log({ startUs: T + 3, responseFlags: ['URX', 'UH'] });
        const uf = log({ startUs: T + 2, responseFlags: ['UF'] });
        const none = log({ startUs: T + 1, responseFlags: [] });
        await write([uh, both, uf, none]);
        expect(await found({ responseFlag: 'UH' })).toEqual(idsOf(uh, both));
        expect(await found({ responseFlag: 'URX' })).toEqual(idsOf(both));
        expect(await found({ responseFlag: 'NR' })).toEqual([]);
        expect(none.responseFlags).toEqual([]);
      });

      it('keeps records at least as long as the minimum duration', async () => {
        const fast = log({ startUs: T + 4, durationUs: 999 });
        const exact = log({ startUs: T + 3, durationUs: 1000 });
        const slow = log({ startUs: T + 2, durationUs: 250_000 });
        const unknown = log({ startUs: T + 1, durationUs: undefined });
        await write([fast, exact, slow, unknown]);
        expect(await found({ minDurationUs: 1000 })).toEqual(idsOf(exact, slow));
        expect(await found({ minDurationUs: 0 })).toEqual(idsOf(fast, exact, slow));
      });

      it('filters by trace id and by reporter', async () => {
        const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
        const out = log({ startUs: T + 3, traceId, reporter: 'source' });
        const inb = log({ startUs: T + 2, traceId, reporter: 'destination' });
        const other = log({ startUs: T + 1, traceId: '0af7651916cd43dd8448eb211c80319c', reporter: 'destination' });
        await write([out, inb, other, log({ startUs: T, traceId: undefined })]);
        expect(await found({ traceId })).toEqual(idsOf(out, inb));
        expect(await found({ reporter: 'destination' })).toEqual(idsOf(inb, other));
        expect(await found({ traceId, reporter: 'destination' })).toEqual(idsOf(inb));
      });
    });

    describe('order and paging', () => {
      it('answers newest first, to the nanosecond, then by id', async () => {
        const base = BigInt(T) * 1000n;
        const a = log({ id: 'bb', startTimeUnixNano: base + 1n });
        const b = log({ id: 'aa', startTimeUnixNano: base + 1n });
        const c = log({ id: 'cc', startTimeUnixNano: base + 2n });
        const d = log({ id: '00', startTimeUnixNano: base - 1000n });
        await write([a, b, c, d]);
        expect(await found({})).toEqual(['cc', 'aa', 'bb', '00']);
      });

      it('pages with limit and offset and counts every match in total', async () => {
        const records = [0, 1, 2, 3, 4].map((i) => log({ startUs: T + i }));
        await write([...records, log({ startUs: T, responseCode: 404 })]);
        const newest = idsOf(...records.reverse());
        const page = (limit: number, offset: number) => store.findAccessLogs(query({ responseCode: 200, limit, offset }));
        expect(await page(2, 0)).toMatchObject({ total: 5 });
        expect((await page(2, 0)).records.map((r) => r.id)).toEqual(newest.slice(0, 2));
        expect((await page(2, 2)).records.map((r) => r.id)).toEqual(newest.slice(2, 4));
        expect((await page(2, 4)).records.map((r) => r.id)).toEqual(newest.slice(4));
        expect(await page(2, 5)).toEqual({ records: [], total: 5 });
        expect(await page(0, 0)).toEqual({ records: [], total: 5 });
      });
    });

    describe('getAccessLogEdges', () => {
      const edges = async (endMs = T_MS + 60_000, lookbackMs = 3600_000) => sortedEdges(await store.getAccessLogEdges(endMs, lookbackMs));

      it('counts a request logged by both sidecars once, by its request id', async () => {
        const r1 = log({ requestId: 'req-1' });
        const r2 = log({ requestId: 'req-2', startUs: T + 5 });
        await write([r1, destinationTwin(r1), r2, destinationTwin(r2), destinationTwin(r2)]);
        expect(await edges()).toEqual([{ parent: 'productpage-v1', child: 'reviews', callCount: 2 }]);
      });

      it('counts a TCP connection without request id once, from the source sidecar', async () => {
        const tcp = (startUs: number) =>
          log({ kind: 'tcp', startUs, destination: { workload: 'mysqldb-v1', service: 'mysqldb.default.svc.cluster.local', serviceName: 'mysqldb' } });
        const c1 = tcp(T);
        const c2 = tcp(T + 1);
        await write([c1, destinationTwin(c1), c2, destinationTwin(c2)]);
        expect(await edges()).toEqual([{ parent: 'productpage-v1', child: 'mysqldb', callCount: 2 }]);
      });

      it('counts destination-reported entries whose caller is unknown (no sidecar) under "unknown"', async () => {
        const external = (startUs: number) => log({ reporter: 'destination', startUs, source: { workload: undefined, namespace: undefined } });
        // An inbound entry from a known source without request id has a source-side twin: not counted again.
        const twinOnly = log({ reporter: 'destination', startUs: T + 9, destination: { workload: 'details-v1', service: undefined, serviceName: undefined } });
        await write([external(T), external(T + 1), external(T + 2), twinOnly]);
        expect(await edges()).toEqual([{ parent: 'unknown', child: 'reviews', callCount: 3 }]);
      });

      it('names the child by short service name, else by workload, else "unknown"', async () => {
        await write([
          log({ requestId: 'r1', destination: { service: 'ratings.default.svc.cluster.local', serviceName: undefined, workload: 'ratings-v1' } }),
          log({ requestId: 'r2', destination: { service: undefined, serviceName: undefined, workload: 'details-v1' } }),
          log({ requestId: 'r3', destination: { service: undefined, serviceName: undefined, workload: undefined } }),
        ]);
        expect(await edges()).toEqual([
          { parent: 'productpage-v1', child: 'details-v1', callCount: 1 },
          { parent: 'productpage-v1', child: 'ratings', callCount: 1 },
          { parent: 'productpage-v1', child: 'unknown', callCount: 1 },
        ]);
      });

      it('counts the same request id on different edges separately', async () => {
        await write([
          log({ requestId: 'shared' }),
          log({ requestId: 'shared', source: { workload: 'reviews-v1' }, destination: { service: 'ratings.default.svc.cluster.local', serviceName: 'ratings' } }),
        ]);
        expect(await edges()).toEqual([
          { parent: 'productpage-v1', child: 'reviews', callCount: 1 },
          { parent: 'reviews-v1', child: 'ratings', callCount: 1 },
        ]);
      });

      it('counts only http and tcp records that started within the window', async () => {
        await write([
          log({ requestId: 'in-1', startUs: T - 30 * MINUTE_US }),
          log({ requestId: 'in-2', startUs: T }),
          log({ requestId: 'old', startUs: T - 90 * MINUTE_US }),
          log({ requestId: 'late', startUs: T + 2 * MINUTE_US }),
          log({ kind: 'log', requestId: 'plain', startUs: T }),
        ]);
        expect(await edges(T_MS + 60_000, 3600_000)).toEqual([{ parent: 'productpage-v1', child: 'reviews', callCount: 2 }]);
        expect(await edges(T_MS - 100 * 60_000, 3600_000)).toEqual([]);
      });
    });
  });
}
