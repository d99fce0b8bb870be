/**
 * Access logs end to end, for every deployment shape: Istio TEXT lines on /v1/accesslogs, Envoy ALS
 * streams on the OTLP gRPC port and an envoyOtelAls OTLP logs export all become searchable through
 * /api/v1/accesslogs, tie to their trace, and feed /api/dependencies.
 */
import * as grpc from '@grpc/grpc-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALS_STREAM_GRPC_PATH } from '../../services/collector/receivers/envoy-als/envoy-als.js';
import { encodeAlsMessage, productpageOutboundStream, reviewsInboundStream, TRACEPARENT, type Msg } from '../fixtures/als.js';
import { CONNECTION_FAILURE_LINE, INBOUND_LINE, NO_HEALTHY_UPSTREAM_LINE, OUTBOUND_LINE, TCP_LINE } from '../fixtures/istio-lines.js';
import { envoyOtelAlsRequest } from '../fixtures/otlp-logs.js';
import { eventually } from './meshtel-process.js';

export interface AccessLogSuiteTarget {
  readonly queryUrl: string;
  readonly otlpHttpUrl: string;
  /** host:port of the OTLP gRPC port, where the Envoy ALS service listens too. */
  readonly otlpGrpcAddress: string;
}

interface AccessLogJson {
  id: string;
  kind: string;
  input: string;
  responseCode?: number;
  responseFlags: string[];
  reporter: string;
  traceId?: string;
  source: { workload?: string };
  destination: { serviceName?: string; workload?: string };
}
interface Page { data: AccessLogJson[]; total: number; errors: Array<{ msg: string }> | null }

// The fixtures' entries were written on 2026-08-21 between 10:15 and 10:18 UTC.
const WINDOW = `start=${Date.parse('2026-08-21T00:00:00Z') * 1000}&end=${Date.parse('2026-08-22T00:00:00Z') * 1000}`;
const TRACE_ID = TRACEPARENT.split('-')[1]!;

/** Sends one ALS stream (one gRPC client stream) and waits for the server to close it. */
export async function streamAls(address: string, messages: readonly Msg[]): Promise<void> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  try {
    await new Promise<void>((resolve, reject) => {
      const call = client.makeClientStreamRequest(
        ALS_STREAM_GRPC_PATH,
        (b: Buffer) => b,
        (b: Buffer) => b,
        (err: grpc.ServiceError | null) => (err ? reject(err) : resolve()),
      );
      for (const m of messages) call.write(Buffer.from(encodeAlsMessage(m)));
      call.end();
    });
  } finally {
    client.close();
  }
}

export function describeAccessLogBehaviour(name: string, target: () => AccessLogSuiteTarget): void {
  describe(`${name}: access logs from lines, Envoy ALS and envoyOtelAls`, () => {
    let t: AccessLogSuiteTarget;
    const search = async (query: string): Promise<Page> => {
      const res = await fetch(`${t.queryUrl}/api/v1/accesslogs?${WINDOW}&limit=200&${query}`);
      const body = (await res.json()) as Page;
      expect(res.status, JSON.stringify(body.errors)).toBe(200);
      return body;
    };

    beforeAll(async () => {
      t = target();
    });

    it('keeps the good lines of a batch and reports the malformed one', async () => {
      const body = [OUTBOUND_LINE, INBOUND_LINE.trimEnd(), CONNECTION_FAILURE_LINE, 'this is not an access log', TCP_LINE].join('\n');
      const res = await fetch(`${t.otlpHttpUrl}/v1/accesslogs`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
      const answer = (await res.json()) as { accepted: number; rejected: number; errors: Array<{ line: number; message: string }> };
      expect(res.status).toBe(200);
      expect(answer).toMatchObject({ accepted: 4, rejected: 1 });
      expect(answer.errors[0]!.line).toBe(4);
    });

    it('takes Envoy ALS streams and an envoyOtelAls export', async () => {
      await streamAls(t.otlpGrpcAddress, productpageOutboundStream);
      await streamAls(t.otlpGrpcAddress, reviewsInboundStream);
      const res = await fetch(`${t.otlpHttpUrl}/v1/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: Buffer.from(envoyOtelAlsRequest([{ line: NO_HEALTHY_UPSTREAM_LINE }])),
      });
      expect(res.status).toBe(200);
    });

    it('finds them by input, response class, flag, destination service and trace id', async () => {
      const all = await eventually(async () => {
        const page = await search('');
        const inputs = new Set(page.data.map((r) => r.input));
        return inputs.has('lines') && inputs.has('als') && inputs.has('otlp') ? page : undefined;
      }, 60_000, 500);
      expect(all.data.filter((r) => r.input === 'lines')).toHaveLength(4);

      const failures = await search('responseCode=5xx');
      expect(failures.data.length).toBeGreaterThan(0);
      expect(failures.data.every((r) => r.responseCode! >= 500 && r.responseCode! < 600)).toBe(true);

      const noHealthy = await search('responseFlags=UH');
      expect(noHealthy.data.map((r) => r.input)).toContain('otlp');
      expect(noHealthy.data.every((r) => r.responseFlags.includes('UH'))).toBe(true);

      const tcp = await search('kind=tcp&destinationService=postgres');
      expect(tcp.data.some((r) => r.input === 'lines' && r.kind === 'tcp')).toBe(true);

      const reviews = await search('destinationService=reviews&reporter=destination');
      expect(reviews.data.length).toBeGreaterThan(0);
      expect(reviews.data.every((r) => r.reporter === 'destination' && r.destination.serviceName === 'reviews')).toBe(true);

      const traced = await search(`traceID=${TRACE_ID}`);
      expect(traced.data.length).toBeGreaterThan(0);
      expect(traced.data.every((r) => r.traceId === TRACE_ID)).toBe(true);
      const ofTrace = await fetch(`${t.queryUrl}/api/traces/${TRACE_ID}/accesslogs?start=${Date.parse('2026-08-21T10:15:00Z') * 1000}`);
      expect(((await ofTrace.json()) as Page).data.map((r) => r.id).sort()).toEqual(traced.data.map((r) => r.id).sort());

      const bad = await fetch(`${t.queryUrl}/api/v1/accesslogs?responseCode=9xx`);
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as Page).errors![0]!.msg).toContain('responseCode');
    });

    it('adds the calls seen only in access logs to the dependency edges', async () => {
      const endTs = Date.parse('2026-08-22T00:00:00Z');
      const edges = await eventually(async () => {
        const res = await fetch(`${t.queryUrl}/api/dependencies?endTs=${endTs}&lookback=${2 * 86_400_000}`);
        const body = (await res.json()) as { data: Array<{ parent: string; child: string; callCount: number }> };
        return body.data.some((d) => d.child === 'reviews.default') ? body.data : undefined;
      }, 30_000, 500);
      // Named as the mesh's tracer names services (<app>.<namespace>), at both ends.
      expect(edges).toContainEqual(expect.objectContaining({ parent: 'productpage.default', child: 'reviews.default' }));
    });
  });
}

