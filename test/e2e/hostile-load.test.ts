/**
 * A hostile client against a real all-in-one process, bounded in count and time, on loopback:
 * concurrent gzip bombs over OTLP/HTTP and OTLP/gRPC, uploads stalled just short of their end,
 * gRPC messages stalled inside a large frame, a body trickled byte by byte. Each burst must be
 * refused (never all held), the process must stay up and keep taking good data, and its peak
 * RSS (VmHWM) must stay under the ceiling README documents for the default limits.
 *
 * Settings are given as MESHTEL_* variables so the same test runs against builds that predate
 * them (they are then ignored), which is how it showed the findings before they were fixed.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startMeshtel, type MeshtelProcess } from '../support/meshtel-process.js';
import { grpcFrame, grpcSession, rawGrpcCall } from '../support/raw-grpc.js';

/** README, "Limits": peak RSS of all-in-one under this test with the default limits. */
const RSS_CEILING_BYTES = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;
const TRACE_EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const BODY_TIMEOUT_MS = 4000;

let meshtel: MeshtelProcess;

function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** 16 KiB of gzip that inflates to 16 MiB + 1 KiB: just over the default decompressed limit. */
const bomb = gzipSync(Buffer.alloc(16 * MiB + 1024));

function goodSpanJson(traceId: string): string {
  const now = BigInt(Date.now()) * 1_000_000n;
  return JSON.stringify({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'hostile-load-survivor' } }] },
      scopeSpans: [{
        spans: [{
          traceId, spanId: '0102030405060708', name: 'still-here', kind: 2,
          startTimeUnixNano: String(now - 1_000_000n), endTimeUnixNano: String(now),
        }],
      }],
    }],
  });
}

async function expectStillTakingData(label: string): Promise<void> {
  expect(meshtel.child.exitCode, `${label}: process exited`).toBeNull();
  const traceId = Buffer.from(`${label}`.padEnd(16, '.').slice(0, 16)).toString('hex');
  const res = await fetch(meshtel.url('otlpHttp', '/v1/traces'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: goodSpanJson(traceId),
  });
  expect(res.status, `${label}: good export after the burst`).toBe(200);
  await eventually(async () => {
    const found = await fetch(meshtel.url('query', `/api/traces/${traceId}`));
    return found.status === 200 ? true : undefined;
  }, 30_000, 250);
}

beforeAll(async () => {
  meshtel = await startMeshtel('all-in-one', [], { MESHTEL_RECEIVER_BODY_TIMEOUT_MS: String(BODY_TIMEOUT_MS) });
}, 120_000);

afterAll(async () => {
  // The figure README's "Limits" quotes: peak RSS over the whole file.
  if (meshtel?.child.exitCode === null) console.info(`hostile-load: all-in-one peak RSS ${(memoryOf(meshtel.child.pid!).peak / 1024 / 1024).toFixed(0)} MiB`);
  await meshtel?.stop();
});

describe('all-in-one under hostile load', () => {
  it('refuses 150 concurrent OTLP/HTTP gzip bombs with 413 or 503 + Retry-After', async () => {
    const answers = await Promise.all(
      Array.from({ length: 150 }, async () => {
        const res = await fetch(meshtel.url('otlpHttp', '/v1/traces'), {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
          body: bomb,
        });
        await res.arrayBuffer();
        return { status: res.status, retryAfter: res.headers.get('retry-after') };
      }),
    );
    for (const a of answers) {
      expect([413, 503]).toContain(a.status);
      if (a.status === 503) expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    await expectStillTakingData('http-bombs');
    expect(memoryOf(meshtel.child.pid!).peak).toBeLessThan(RSS_CEILING_BYTES);
  }, 180_000);

  it('refuses 150 concurrent gzip bombs over OTLP/gRPC with RESOURCE_EXHAUSTED', async () => {
    const session = grpcSession(meshtel.endpoints.otlpGrpc!);
    try {
      const frame = grpcFrame(bomb, true);
      const outcomes = await Promise.all(
        Array.from({ length: 150 }, () => rawGrpcCall(session, TRACE_EXPORT, frame, { encoding: 'gzip' })),
      );
      // RESOURCE_EXHAUSTED each, or — once a connection has had ~100 calls refused — the whole
      // connection closed by Node's HTTP/2 flood guard (ENHANCE_YOUR_CALM, which gRPC clients
      // also report as RESOURCE_EXHAUSTED).
      for (const o of outcomes) expect(o.status === 8 || /ENHANCE_YOUR_CALM/.test(o.reset ?? ''), JSON.stringify(o)).toBe(true);
      // Those refused for the shared budget (not for their own size) say when to come back.
      const busy = outcomes.filter((o) => /MESHTEL_MAX_BODY_BYTES_IN_FLIGHT/.test(o.message ?? ''));
      for (const o of busy) expect(o.retryInfo).toBe(true);
    } finally {
      session.close();
    }
    await expectStillTakingData('grpc-bombs');
    expect(memoryOf(meshtel.child.pid!).peak).toBeLessThan(RSS_CEILING_BYTES);
  }, 180_000);

  it('cuts 100 HTTP uploads stalled at 3.9 of 4 MB and does not hold them all', async () => {
    const declared = 4 * 1000 * 1000;
    const sent = Buffer.alloc(3.9 * 1000 * 1000, 1);
    const [host, port] = meshtel.endpoints.otlpHttp!.split(':');
    const outcomes = await Promise.all(
      Array.from({ length: 100 }, () =>
        new Promise<string>((resolve) => {
          const socket = net.connect({ host, port: Number(port) });
          let reply = '';
          const timer = setTimeout(() => {
            socket.destroy();
            resolve('still open after 60 s');
          }, 60_000);
          socket.on('connect', () => {
            socket.write(`POST /v1/traces HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-protobuf\r\ncontent-length: ${declared}\r\n\r\n`);
            socket.write(sent);
          });
          socket.on('data', (d: Buffer) => (reply += d.toString('latin1')));
          socket.on('error', () => {});
          socket.on('close', () => {
            clearTimeout(timer);
            resolve(reply.split('\r\n', 1)[0] || 'closed without answer');
          });
        }),
      ),
    );
    // Each one ends: refused as busy at once, or cut at the body timeout (408, or closed).
    for (const o of outcomes) expect(o).not.toBe('still open after 60 s');
    expect(outcomes.some((o) => /^HTTP\/1.1 503/.test(o))).toBe(true);
    await expectStillTakingData('stalled-http');
    expect(memoryOf(meshtel.child.pid!).peak).toBeLessThan(RSS_CEILING_BYTES);
  }, 180_000);

  it('ends 300 gRPC calls stalled inside 16 MB messages (288 MB sent in all)', async () => {
    const sessions = Array.from({ length: 10 }, () => grpcSession(meshtel.endpoints.otlpGrpc!));
    try {
      // 960 KiB each: within a stream's flow-control window, so this client is never blocked
      // itself and sees every answer; together more than the default budget.
      const partial = grpcFrame(Buffer.alloc(960 * 1024, 1), false, 16 * 1000 * 1000);
      const outcomes = await Promise.all(
        Array.from({ length: 300 }, (_, i) => rawGrpcCall(sessions[i % 10]!, TRACE_EXPORT, partial, { stall: true, timeoutMs: 60_000 })),
      );
      // Refused for the budget (RESOURCE_EXHAUSTED) or at the message timeout (DEADLINE_EXCEEDED),
      // or with its connection when that had too many calls refused (ENHANCE_YOUR_CALM).
      for (const o of outcomes) expect(o.status === 4 || o.status === 8 || /ENHANCE_YOUR_CALM/.test(o.reset ?? ''), JSON.stringify(o)).toBe(true);
    } finally {
      for (const s of sessions) s.close();
    }
    await expectStillTakingData('stalled-grpc');
    expect(memoryOf(meshtel.child.pid!).peak).toBeLessThan(RSS_CEILING_BYTES);
  }, 180_000);

  it('closes a body trickled one byte a second at the body timeout', async () => {
    const [host, port] = meshtel.endpoints.otlpHttp!.split(':');
    const closedAfterMs = await new Promise<number>((resolve) => {
      const started = Date.now();
      const socket = net.connect({ host, port: Number(port) });
      let ticker: NodeJS.Timeout | undefined;
      const limit = setTimeout(() => socket.destroy(), 60_000);
      socket.on('connect', () => {
        socket.write('POST /v1/traces HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-protobuf\r\ncontent-length: 1000\r\n\r\n');
        ticker = setInterval(() => socket.write('\x00'), 1000);
      });
      socket.on('data', () => {});
      socket.on('error', () => {});
      socket.on('close', () => {
        clearInterval(ticker);
        clearTimeout(limit);
        resolve(Date.now() - started);
      });
    });
    // Closed by the server, well before the client's own 60 s limit (the 1000-byte body would take 1000 s).
    expect(closedAfterMs).toBeLessThan(55_000);
  }, 90_000);

  it('announces the concurrent-stream cap to gRPC clients', async () => {
    const session = grpcSession(meshtel.endpoints.otlpGrpc!);
    try {
      const settings = await new Promise<{ maxConcurrentStreams?: number }>((resolve) => session.once('remoteSettings', resolve));
      expect(settings.maxConcurrentStreams).toBe(100);
    } finally {
      session.close();
    }
  });
});
