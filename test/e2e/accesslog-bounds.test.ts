/**
 * Access logs cannot grow memory without bound (issue: 400 ALS entries with a 1 MiB path held
 * 1 GB and a limit=400 search built a 420 MB answer): every field is cut at
 * MESHTEL_MAX_ATTRIBUTE_VALUE_LENGTH whatever the input, the memory store evicts the oldest past
 * MESHTEL_MEMORY_MAX_ACCESSLOG_BYTES, and a search answer stops at MESHTEL_QUERY_MAX_RESPONSE_BYTES.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALS_STREAM_GRPC_PATH } from '../../services/collector/receivers/envoy-als/envoy-als.js';
import { PRODUCTPAGE_NODE, encodeAlsMessage, outboundReviewsEntry, timestamp, type Msg } from '../fixtures/als.js';
import { eventually, startMeshtel, type MeshtelProcess } from '../support/meshtel-process.js';

const MiB = 1024 * 1024;
const ENTRIES = 100;
const MAX_VALUE = 16384;
let meshtel: MeshtelProcess;

beforeAll(async () => {
  meshtel = await startMeshtel('all-in-one', [], {
    MESHTEL_MEMORY_MAX_ACCESSLOG_BYTES: String(1 * MiB),
    MESHTEL_QUERY_MAX_RESPONSE_BYTES: String(256 * 1024),
    MESHTEL_MAX_ATTRIBUTE_VALUE_LENGTH: String(MAX_VALUE),
  });
}, 120_000);

afterAll(async () => {
  await meshtel?.stop();
});

async function metric(name: string): Promise<number> {
  const text = await (await fetch(meshtel.url('admin', '/metrics'))).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

describe('access logs with huge fields', () => {
  it('cuts ALS fields, evicts past the byte cap, and caps the search answer', async () => {
    const client = new grpc.Client(meshtel.endpoints.otlpGrpc!, grpc.credentials.createInsecure());
    const now = new Date().toISOString();
    const common = outboundReviewsEntry.commonProperties as Msg;
    const request = outboundReviewsEntry.request as Msg;
    try {
      await new Promise<void>((resolve, reject) => {
        const call = client.makeClientStreamRequest(ALS_STREAM_GRPC_PATH, (b: Buffer) => b, (b: Buffer) => b, (err: grpc.ServiceError | null) =>
          err ? reject(err) : resolve(),
        );
        for (let i = 0; i < ENTRIES; i++) {
          const entry: Msg = {
            ...outboundReviewsEntry,
            commonProperties: { ...common, startTime: timestamp(now, i) },
            request: { ...request, path: `/${String(i).padStart(4, '0')}/${'p'.repeat(MiB)}`, requestId: `req-${i}` },
          };
          const message: Msg = { httpLogs: { logEntry: [entry] } };
          if (i === 0) message.identifier = { node: PRODUCTPAGE_NODE, logName: 'http_envoy_accesslog' };
          call.write(Buffer.from(encodeAlsMessage(message)));
        }
        call.end();
      });
    } finally {
      client.close();
    }
    await eventually(async () => ((await metric('meshtel_store_accesslogs_written_total')) >= ENTRIES ? true : undefined), 60_000, 250);
    expect(await metric('meshtel_receiver_attribute_values_truncated_total')).toBeGreaterThanOrEqual(ENTRIES);
    expect(await metric('meshtel_store_accesslogs_evicted_total')).toBeGreaterThan(0);

    const startUs = (Date.parse(now) - 60_000) * 1000;
    const res = await fetch(meshtel.url('query', `/api/v1/accesslogs?limit=${ENTRIES}&start=${startUs}&end=${startUs + 600_000_000}`));
    const text = await res.text();
    expect(res.status).toBe(200);
    const body = JSON.parse(text) as { data: Array<{ path?: string; request?: { path?: string } }>; truncated?: boolean };
    expect(text.length).toBeLessThan(512 * 1024);
    expect(body.data.length).toBeGreaterThan(0);
    expect(body.truncated).toBe(true);
    for (const record of body.data) {
      const path = record.path ?? record.request?.path ?? '';
      expect(path.length).toBeLessThanOrEqual(MAX_VALUE);
    }
  }, 180_000);
});
