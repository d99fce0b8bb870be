/**
 * Outbound TLS that can be checked without reconfiguring the shared servers: remote-write to an
 * HTTPS endpoint whose certificate is signed by a CA only the configured file holds.
 * (Kafka and Elasticsearch run without TLS here; their option mapping is checked in
 * test/unit/security-settings.test.ts.)
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatcherTrusting, postWriteRequest } from '../../shared/metrics/remote-write/send.js';
import { TestPki, type CertFiles } from '../support/certs.js';

let pki: TestPki;
let ca: CertFiles;
let server: https.Server;
let url: string;
const received: Buffer[] = [];

beforeAll(async () => {
  pki = new TestPki();
  ca = pki.ca('remote-write-ca');
  const leaf = pki.leaf(ca, 'remote-write-server');
  server = https.createServer({ cert: leaf.cert, key: leaf.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(Buffer.concat(chunks));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://localhost:${(server.address() as AddressInfo).port}/api/v1/write`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  pki?.cleanup();
});

describe('remote-write over TLS with a configured CA', () => {
  const body = new Uint8Array([1, 2, 3]);
  const headers = { 'content-type': 'application/x-protobuf' };

  it('delivers to an endpoint signed by the configured CA', async () => {
    const outcome = await postWriteRequest({ url, headers, timeoutMs: 10_000, dispatcher: dispatcherTrusting(ca.cert) }, body, new AbortController().signal);
    expect(outcome).toEqual({ kind: 'ok', status: 204 });
    expect(received.at(-1)).toEqual(Buffer.from(body));
  });

  it('does not trust that endpoint without the CA (retried as a network failure, nothing delivered)', async () => {
    const before = received.length;
    const outcome = await postWriteRequest({ url, headers, timeoutMs: 10_000 }, body, new AbortController().signal);
    expect(outcome.kind).toBe('retry');
    expect(outcome.kind === 'retry' && outcome.detail).toMatch(/certificate/i);
    expect(received.length).toBe(before);
  });
});
