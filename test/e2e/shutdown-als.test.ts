/**
 * SIGTERM while Envoy ALS streams are open: Envoy never half-closes its streams, so shutdown must
 * end them itself (after taking what arrived) and exit 0, instead of waiting for the shutdown
 * timeout and exiting 1 ("shutdown timed out").
 */
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ALS_STREAM_GRPC_PATH } from '../../services/collector/receivers/envoy-als/envoy-als.js';
import { encodeAlsMessage, productpageOutboundStream } from '../fixtures/als.js';
import { eventually, startMeshtel } from '../support/meshtel-process.js';

describe('shutdown with Envoy ALS streams open', () => {
  it('answers all 10 streams OK, keeps what arrived, and exits 0 well within the shutdown timeout', async () => {
    // A long timeout: exit code 0 then means the streams were ended, not cut at the deadline.
    const meshtel = await startMeshtel('all-in-one', [], { MESHTEL_SHUTDOWN_TIMEOUT_MS: '60000' });
    const client = new grpc.Client(meshtel.endpoints.otlpGrpc!, grpc.credentials.createInsecure());
    try {
      const replies = Array.from({ length: 10 }, () => {
        let settle: (outcome: string) => void = () => {};
        const done = new Promise<string>((resolve) => (settle = resolve));
        const call = client.makeClientStreamRequest(ALS_STREAM_GRPC_PATH, (b: Buffer) => b, (b: Buffer) => b, (err: grpc.ServiceError | null) =>
          settle(err ? `error ${err.code}` : 'ok'),
        );
        call.write(Buffer.from(encodeAlsMessage(productpageOutboundStream[0]!)));
        return done; // never ended by this client, as Envoy does not
      });
      const received = async () => {
        const text = await (await fetch(meshtel.url('admin', '/metrics'))).text();
        const m = /meshtel_receiver_accesslogs_accepted_total\{[^}]*transport="als"[^}]*\} (\d+)/.exec(text);
        return m && Number(m[1]) >= 10 ? Number(m[1]) : undefined;
      };
      await eventually(received, 30_000, 200);

      const started = Date.now();
      const code = await meshtel.stop('SIGTERM');
      const tookMs = Date.now() - started;
      expect(code).toBe(0);
      expect(await Promise.all(replies)).toEqual(Array(10).fill('ok'));
      expect(meshtel.logs.some((l) => l.msg === 'shutdown complete')).toBe(true);
      console.info(`shutdown-als: SIGTERM with 10 ALS streams open → exit 0 in ${tookMs} ms`);
    } finally {
      client.close();
      await meshtel.stop();
    }
  }, 120_000);
});
