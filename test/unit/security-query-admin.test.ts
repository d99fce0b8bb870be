/**
 * TLS, authentication and CORS on the query API and the admin port; certificate reload on the
 * receivers (HTTP and gRPC) when the files are replaced.
 */
import * as grpc from '@grpc/grpc-js';
import bcrypt from 'bcryptjs';
import { copyFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '../../services/collector/collector.js';
import { QueryService } from '../../services/query/query-service.js';
import { buildListenerSecurity } from '../../shared/security/listener-security.js';
import { MemorySpanStore } from '../../shared/storage/memory/memory-span-store.js';
import { AdminServer } from '../../services/admin-server.js';
import { createMetrics } from '../support/metrics.js';
import { span } from '../fixtures/spans.js';
import { TestPki, type CertFiles } from '../support/certs.js';
import { basicAuth, httpsCall } from '../support/https-client.js';
import { RecordingBuffer } from '../support/recording-buffer.js';
import { testConfig } from '../support/receivers-harness.js';

const logger = pino({ level: 'silent' });
const NO_FILES = { tlsCertFile: '', tlsKeyFile: '', tlsClientCaFile: '', authTokensFile: '', authBasicFile: '' };

let pki: TestPki;
let ca: CertFiles;
let server: CertFiles;

beforeAll(() => {
  pki = new TestPki();
  ca = pki.ca('query-ca');
  server = pki.leaf(ca, 'query-server');
});
afterAll(() => pki?.cleanup());

describe('query API over TLS with basic auth and CORS', () => {
  let query: QueryService;
  let base: string;
  const GRAFANA = 'https://grafana.example.com';

  beforeAll(async () => {
    const store = new MemorySpanStore({ maxSpans: 100, maxBytes: 1e6 });
    await store.writeSpans([span({ service: 'frontend' })]);
    const security = buildListenerSecurity(
      'query',
      { ...NO_FILES, tlsCertFile: server.certFile, tlsKeyFile: server.keyFile, authBasicFile: pki.file('query-htpasswd', `grafana:${bcrypt.hashSync('s3cret', 4)}\n`) },
      { logger },
    );
    query = new QueryService({
      host: '127.0.0.1', port: 0, reader: store, defaultLimit: 20, maxLimit: 100, logger, security, corsAllowedOrigins: `${GRAFANA}, https://other.example`,
    });
    await query.start();
    base = `https://localhost:${query.port}`;
  });
  afterAll(() => query?.stop());

  it('serves the Jaeger API to a user with the right password', async () => {
    const a = await httpsCall(`${base}/api/services`, { ca: ca.cert, headers: { authorization: basicAuth('grafana', 's3cret') } });
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body).data).toEqual(['frontend']);
  });

  it('answers 401 in the Jaeger envelope, naming nothing about what was wrong', async () => {
    const missing = await httpsCall(`${base}/api/services`, { ca: ca.cert });
    const wrong = await httpsCall(`${base}/api/services`, { ca: ca.cert, headers: { authorization: basicAuth('grafana', 'nope') } });
    expect(missing.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(wrong.body).toBe(missing.body);
    expect(JSON.parse(missing.body)).toEqual({ data: null, total: 0, limit: 0, offset: 0, errors: [{ code: 401, msg: 'unauthenticated' }] });
    expect(missing.headers['www-authenticate']).toBe('Basic realm="meshtel"');
  });

  it('answers a CORS preflight from an allowed origin without credentials, and not from others', async () => {
    const preflight = (origin: string) =>
      httpsCall(`${base}/api/traces`, {
        method: 'OPTIONS',
        ca: ca.cert,
        headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization,x-scope-orgid' },
      });
    const allowed = await preflight(GRAFANA);
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe(GRAFANA);
    expect(String(allowed.headers['access-control-allow-headers'])).toMatch(/authorization/);
    const other = await preflight('https://evil.example');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('puts CORS headers on answers, a 401 included, so a browser can read them', async () => {
    const ok = await httpsCall(`${base}/api/services`, { ca: ca.cert, headers: { origin: GRAFANA, authorization: basicAuth('grafana', 's3cret') } });
    expect(ok.headers['access-control-allow-origin']).toBe(GRAFANA);
    const refused = await httpsCall(`${base}/api/services`, { ca: ca.cert, headers: { origin: GRAFANA } });
    expect(refused.status).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe(GRAFANA);
  });

  it('sends no CORS headers when no origin is configured (the default)', async () => {
    const store = new MemorySpanStore({ maxSpans: 10, maxBytes: 1e5 });
    const plain = new QueryService({ host: '127.0.0.1', port: 0, reader: store, defaultLimit: 20, maxLimit: 100, logger });
    await plain.start();
    try {
      const res = await fetch(`http://127.0.0.1:${plain.port}/api/services`, { headers: { origin: GRAFANA } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await plain.stop();
    }
  });
});

describe('admin port over TLS with a token', () => {
  it('serves /metrics and /healthz only with the token', async () => {
    const security = buildListenerSecurity(
      'admin',
      { ...NO_FILES, tlsCertFile: server.certFile, tlsKeyFile: server.keyFile, authTokensFile: pki.file('admin-tokens', 'scrape-token\n') },
      { logger },
    );
    const admin = new AdminServer({ host: '127.0.0.1', port: 0, registry: new Registry(), logger, checks: () => [], security });
    await admin.start();
    try {
      const url = `https://localhost:${admin.port}`;
      expect((await httpsCall(`${url}/healthz`, { ca: ca.cert })).status).toBe(401);
      expect((await httpsCall(`${url}/metrics`, { ca: ca.cert, headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await httpsCall(`${url}/healthz`, { ca: ca.cert, headers: { authorization: 'Bearer scrape-token' } })).status).toBe(200);
      expect((await httpsCall(`${url}/metrics`, { ca: ca.cert, headers: { authorization: 'Bearer scrape-token' } })).status).toBe(200);
    } finally {
      await admin.stop();
    }
  });
});

/** The issuer CN of the certificate a TLS server presents (any CA accepted: we only look). */
function presentedIssuer(port: number, alpn?: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false, ALPNProtocols: alpn }, () => {
      const issuer = socket.getPeerCertificate().issuer?.CN ?? '';
      socket.end();
      resolve(String(issuer));
    });
    socket.on('error', reject);
  });
}

async function until<T>(what: string, probe: () => Promise<T>, done: (v: T) => boolean, deadlineMs = 30_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await probe();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last: ${String(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('certificate reload', () => {
  it('serves a replaced certificate on OTLP/HTTP and gRPC without a restart, and keeps the old one while the new files do not load', async () => {
    const caNext = pki.ca('next-ca');
    const first = pki.leaf(ca, 'rotating-first');
    const next = pki.leaf(caNext, 'rotating-next');
    const certFile = pki.file('live.crt', first.cert.toString());
    const keyFile = pki.file('live.key', first.key.toString());
    const security = buildListenerSecurity('receiver', { ...NO_FILES, tlsCertFile: certFile, tlsKeyFile: keyFile }, { logger, reloadIntervalMs: 100 });
    const collector = new Collector({ config: testConfig, buffer: new RecordingBuffer(), metrics: createMetrics(), logger, security });
    await collector.start();
    try {
      const { otlpHttp, otlpGrpc } = collector.addresses();
      expect(await presentedIssuer(otlpHttp.port)).toBe('query-ca');
      expect(await presentedIssuer(otlpGrpc.port, ['h2'])).toBe('query-ca');

      // A certificate without its key does not load: the old pair stays in use (reloaded here
      // at once rather than waiting for the poll, so the check cannot pass by being early).
      pki.file('live.crt', next.cert.toString());
      security.tls!.reload();
      expect(await presentedIssuer(otlpHttp.port)).toBe('query-ca');

      copyFileSync(next.keyFile, keyFile);
      await until('HTTP to present the new certificate', () => presentedIssuer(otlpHttp.port), (cn) => cn === 'next-ca');
      await until('gRPC to present the new certificate', () => presentedIssuer(otlpGrpc.port, ['h2']), (cn) => cn === 'next-ca');

      // A client trusting only the new CA gets through on gRPC.
      const client = new grpc.Client(`localhost:${otlpGrpc.port}`, grpc.credentials.createSsl(caNext.cert));
      await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 20_000, (err) => (err ? reject(err) : resolve())));
      client.close();
    } finally {
      await collector.stop();
    }
  });
});
