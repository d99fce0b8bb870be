/**
 * Receiver limits that bound memory and time across requests (issue: hostile clients): the shared
 * byte budget (HTTP 503 / gRPC RESOURCE_EXHAUSTED with a retry delay), the gRPC message timeout,
 * compressed frames without grpc-encoding, and the clock-skew window. In-process collector with a
 * recording buffer; the whole-process RSS figures are in test/e2e/hostile-load.test.ts.
 */
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { grpcFrame, grpcSession, rawGrpcCall } from '../support/raw-grpc.js';
import { MiB, startCollector, type RunningCollector } from '../support/receivers-harness.js';
import { counterValue } from '../support/self-metrics.js';

const TRACE_EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
let running: RunningCollector | undefined;

afterEach(async () => {
  await running?.collector.stop();
  running = undefined;
});

function spanJson(traceId: string, startNs: bigint): string {
  return JSON.stringify({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'limits' } }] },
      scopeSpans: [{ spans: [{ traceId, spanId: '0102030405060708', name: 'op', startTimeUnixNano: String(startNs), endTimeUnixNano: String(startNs + 1000n) }] }],
    }],
  });
}

describe('receiver byte budget', () => {
  it('answers HTTP 503 with Retry-After once concurrent inflations would pass the budget, and frees it after', async () => {
    running = await startCollector({ maxBodyBytesInFlight: 8 * MiB, maxDecompressedBodyBytes: 4 * MiB });
    const bomb = gzipSync(Buffer.alloc(4 * MiB + 1024));
    const answers = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const res = await fetch(`${running!.httpUrl}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
          body: bomb,
        });
        return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
      }),
    );
    const busy = answers.filter((a) => a.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    for (const a of busy) {
      expect(a.retryAfter).toBe('1');
      expect(a.body).toMatch(/MESHTEL_MAX_BODY_BYTES_IN_FLIGHT/);
    }
    for (const a of answers) expect([413, 503]).toContain(a.status);
    expect(running.collector.budget.peak).toBeLessThanOrEqual(8 * MiB);
    await expect.poll(() => running!.collector.budget.used).toBe(0);
    expect(await counterValue(running.metrics, 'requestsRefused', { reason: 'receiver_busy' })).toBe(busy.length);
    // Good data still gets in.
    const ok = await fetch(`${running.httpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: spanJson('0af7651916cd43dd8448eb211c80319c', BigInt(Date.now()) * 1_000_000n),
    });
    expect(ok.status).toBe(200);
  });

  it('refuses gRPC gzip bombs past the budget with RESOURCE_EXHAUSTED and RetryInfo', async () => {
    running = await startCollector({ maxBodyBytesInFlight: 8 * MiB, maxDecompressedBodyBytes: 4 * MiB });
    const session = grpcSession(running.grpcTarget);
    try {
      const frame = grpcFrame(gzipSync(Buffer.alloc(4 * MiB + 1024)), true);
      const outcomes = await Promise.all(Array.from({ length: 12 }, () => rawGrpcCall(session, TRACE_EXPORT, frame, { encoding: 'gzip', timeoutMs: 20_000 })));
      for (const o of outcomes) expect(o.status, JSON.stringify(o)).toBe(8);
      const busy = outcomes.filter((o) => /MESHTEL_MAX_BODY_BYTES_IN_FLIGHT/.test(o.message ?? ''));
      expect(busy.length).toBeGreaterThan(0);
      for (const o of busy) expect(o.retryInfo).toBe(true);
    } finally {
      session.close();
    }
    expect(running.collector.budget.peak).toBeLessThanOrEqual(8 * MiB);
    await expect.poll(() => running!.collector.budget.used).toBe(0);
  });

  it('ends a gRPC message stalled mid-frame at the body timeout with DEADLINE_EXCEEDED', async () => {
    running = await startCollector({ receiverBodyTimeoutMs: 500 });
    const session = grpcSession(running.grpcTarget);
    try {
      const partial = grpcFrame(Buffer.alloc(64 * 1024, 1), false, 1024 * 1024);
      const outcome = await rawGrpcCall(session, TRACE_EXPORT, partial, { stall: true, timeoutMs: 30_000 });
      expect(outcome.status, JSON.stringify(outcome)).toBe(4);
      expect(outcome.message).toMatch(/MESHTEL_RECEIVER_BODY_TIMEOUT_MS/);
    } finally {
      session.close();
    }
    await expect.poll(() => running!.collector.budget.used).toBe(0);
  });

  it('ends every one of many gRPC calls stalled inside large messages, by budget or by timeout', async () => {
    running = await startCollector({ maxBodyBytesInFlight: 8 * MiB, maxDecompressedBodyBytes: 8 * MiB, receiverBodyTimeoutMs: 1000 });
    const sessions = [grpcSession(running.grpcTarget), grpcSession(running.grpcTarget)];
    try {
      // Each stays within its stream's flow-control window (1 MiB), so the client is never
      // blocked itself and sees the server's answer.
      const partial = grpcFrame(Buffer.alloc(900 * 1024, 1), false, 4 * MiB);
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => rawGrpcCall(sessions[i % 2]!, TRACE_EXPORT, partial, { stall: true, timeoutMs: 30_000 })),
      );
      for (const o of outcomes) expect([4, 8], JSON.stringify(o)).toContain(o.status);
    } finally {
      for (const s of sessions) s.close();
    }
    expect(running.collector.budget.peak).toBeLessThanOrEqual(8 * MiB);
    await expect.poll(() => running!.collector.budget.used).toBe(0);
  });

  it('refuses a compressed gRPC frame on a call without grpc-encoding', async () => {
    running = await startCollector();
    const session = grpcSession(running.grpcTarget);
    try {
      const frame = grpcFrame(Buffer.from([0x0a, 0x00]), true);
      const outcome = await rawGrpcCall(session, TRACE_EXPORT, frame, { timeoutMs: 20_000 });
      expect(outcome.status, JSON.stringify(outcome)).toBe(13); // INTERNAL, as the gRPC protocol asks
      expect(outcome.message).toMatch(/grpc-encoding/);
    } finally {
      session.close();
    }
    expect(running.buffer.records).toHaveLength(0);
  });
});

describe('clock skew', () => {
  it('rejects spans outside now ± MESHTEL_MAX_CLOCK_SKEW as partial success and keeps the rest', async () => {
    running = await startCollector({ maxClockSkew: '1h' });
    const now = BigInt(Date.now()) * 1_000_000n;
    const body = JSON.parse(spanJson('0af7651916cd43dd8448eb211c80319c', now)) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: unknown[] }> }> };
    const spans = body.resourceSpans[0]!.scopeSpans[0]!.spans;
    const at = (ns: bigint, id: string) => ({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: id, name: 'op', startTimeUnixNano: String(ns), endTimeUnixNano: String(ns) });
    spans.push(at(1n, '0000000000000002'), at(2n ** 64n - 1n, '0000000000000003'));
    const res = await fetch(`${running.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { partialSuccess?: { rejectedSpans?: string | number; errorMessage?: string } };
    expect(Number(answer.partialSuccess?.rejectedSpans)).toBe(2);
    expect(answer.partialSuccess?.errorMessage).toMatch(/MESHTEL_MAX_CLOCK_SKEW/);
    expect(running.buffer.spans()).toHaveLength(1);
    expect(await counterValue(running.metrics, 'spansRefused', { reason: 'clock_skew' })).toBe(2);
  });
});
