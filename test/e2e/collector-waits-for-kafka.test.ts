/**
 * A collector started while Kafka is unreachable stays up and says so: /readyz 503, exports
 * refused with 503 + Retry-After (the sender keeps its data), and once Kafka answers it becomes
 * ready by itself — as the query role waits for Elasticsearch — instead of exiting 1.
 *
 * The Kafka that appears later is a PRIVATE broker started by deploy/local on its own ports and
 * run dir (the shared one on 9092 is never touched), stopped and removed at the end.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { eventually, startMeshtel } from '../support/meshtel-process.js';

const run = promisify(execFile);
const KAFKA_PORT = 19192;
const CONTROLLER_PORT = 19193;

describe('collector started before Kafka', () => {
  it('starts not ready, refuses with 503 + Retry-After, and becomes ready once Kafka answers', async () => {
    const runDir = mkdtempSync(path.join(tmpdir(), 'meshtel-private-kafka-'));
    const localEnv = {
      ...process.env,
      MESHTEL_LOCAL_RUN: runDir,
      MESHTEL_LOCAL_KAFKA_PORT: String(KAFKA_PORT),
      MESHTEL_LOCAL_KAFKA_CONTROLLER_PORT: String(CONTROLLER_PORT),
    };
    const collector = await startMeshtel('collector', [], {
      MESHTEL_KAFKA_BROKERS: `127.0.0.1:${KAFKA_PORT}`,
      MESHTEL_KAFKA_TOPIC_PREFIX: `waits-${process.pid}`,
      MESHTEL_KAFKA_PUBLISH_TIMEOUT_MS: '2000',
    });
    try {
      expect(collector.child.exitCode).toBeNull();
      expect((await fetch(collector.url('admin', '/readyz'))).status).toBe(503);
      const refused = await fetch(collector.url('otlpHttp', '/v1/traces'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ resourceSpans: [] }),
      });
      // An empty export has nothing to buffer; a real one must be refused as retryable.
      expect([200, 503]).toContain(refused.status);
      const span = {
        resourceSpans: [{ scopeSpans: [{ spans: [{
          traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', name: 'op',
          startTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n), endTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
        }] }] }],
      };
      const res = await fetch(collector.url('otlpHttp', '/v1/traces'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(span) });
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      await eventually(async () => (collector.logs.some((l) => String(l.msg).includes('cannot start yet')) ? true : undefined), 30_000);

      await run(path.resolve('deploy/local/up'), ['kafka'], { env: localEnv, timeout: 240_000 });
      await eventually(async () => ((await fetch(collector.url('admin', '/readyz'))).status === 200 ? true : undefined), 120_000, 500);
      const accepted = await fetch(collector.url('otlpHttp', '/v1/traces'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(span) });
      expect(accepted.status).toBe(200);
    } finally {
      expect(await collector.stop()).toBe(0);
      await run(path.resolve('deploy/local/down'), ['kafka'], { env: localEnv, timeout: 120_000 }).catch(() => undefined);
      rmSync(runDir, { recursive: true, force: true });
    }
  }, 420_000);
});
