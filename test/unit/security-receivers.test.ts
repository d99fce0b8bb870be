/**
 * TLS, mTLS and authentication on the collector's listeners, with certificates made at test
 * time and the OpenTelemetry SDK's own exporters as clients.
 */
import * as grpc from '@grpc/grpc-js';
import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import bcrypt from 'bcryptjs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '../../services/collector/collector.js';
import { buildListenerSecurity, type ListenerSecurity } from '../../shared/security/listener-security.js';
import { createMetrics } from '../support/metrics.js';
import { TestPki, type CertFiles } from '../support/certs.js';
import { basicAuth, httpsCall } from '../support/https-client.js';
import { RecordingBuffer } from '../support/recording-buffer.js';
import { exportWith, sdkSpans, testConfig } from '../support/receivers-harness.js';
import { ExportTraceServiceRequest } from '../support/proto-root.js';
import { TENANT_ATTRIBUTE, tenantOfResource } from '../../shared/model/tenant.js';

const TOKEN = 'token-for-the-mesh-7f3a';
const logger = pino({ level: 'silent' });

let pki: TestPki;
let caA: CertFiles;
let caB: CertFiles;
let clientA: CertFiles;
let clientB: CertFiles;
let security: ListenerSecurity;
let buffer: RecordingBuffer;
let collector: Collector;
let grpcTarget: string;
let httpUrl: string;
let zipkinUrl: string;

beforeAll(async () => {
  pki = new TestPki();
  caA = pki.ca('ca-a');
  caB = pki.ca('ca-b');
  const server = pki.leaf(caA, 'server');
  clientA = pki.leaf(caA, 'client-a');
  clientB = pki.leaf(caB, 'client-b');
  security = buildListenerSecurity(
    'receiver',
    {
      tlsCertFile: server.certFile,
      tlsKeyFile: server.keyFile,
      tlsClientCaFile: caA.certFile,
      authTokensFile: pki.file('tokens', `# receivers\n${TOKEN}\n\nanother-token\n`),
      authBasicFile: pki.file('htpasswd', `alice:${bcrypt.hashSync('wonderland', 4)}\n`),
    },
    { logger },
  );
  buffer = new RecordingBuffer();
  collector = new Collector({ config: testConfig, buffer, metrics: createMetrics(), logger, security });
  await collector.start();
  const a = collector.addresses();
  grpcTarget = `localhost:${a.otlpGrpc.port}`;
  httpUrl = `https://localhost:${a.otlpHttp.port}`;
  zipkinUrl = `https://localhost:${a.zipkin.port}`;
});

afterAll(async () => {
  await collector?.stop();
  pki?.cleanup();
});

function grpcExporter(client: CertFiles, token?: string): OtlpGrpcExporter {
  const metadata = new grpc.Metadata();
  if (token) metadata.set('authorization', `Bearer ${token}`);
  return new OtlpGrpcExporter({
    url: `https://${grpcTarget}`,
    credentials: grpc.credentials.createSsl(caA.cert, client.key, client.cert),
    metadata,
  });
}

/** One raw unary Export call, to see the exact gRPC status. */
function rawExport(client: CertFiles, metadata: grpc.Metadata): Promise<grpc.ServiceError | undefined> {
  const c = new grpc.Client(grpcTarget, grpc.credentials.createSsl(caA.cert, client.key, client.cert));
  const body = Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.create({ resourceSpans: [] })).finish());
  return new Promise((resolve) => {
    c.makeUnaryRequest(
      '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      metadata,
      { deadline: Date.now() + 20_000 },
      (err) => {
        c.close();
        resolve(err ?? undefined);
      },
    );
  });
}

describe('OTLP/gRPC over mTLS with a bearer token', () => {
  it('takes spans from the SDK exporter presenting a client certificate and the token', async () => {
    buffer.clear();
    const exporter = grpcExporter(clientA, TOKEN);
    const spans = sdkSpans('grpc-tls');
    const result = await exportWith(exporter, spans);
    await exporter.shutdown();
    expect(result.code).toBe(0);
    expect(buffer.spans().map((s) => s.serviceName)).toEqual(['grpc-tls', 'grpc-tls']);
  });

  it('refuses a call without the token with UNAUTHENTICATED, buffering nothing', async () => {
    buffer.clear();
    const exporter = grpcExporter(clientA);
    const result = await exportWith(exporter, sdkSpans('no-token'));
    await exporter.shutdown();
    expect(result.code).toBe(1);
    expect(buffer.records).toHaveLength(0);
    expect((await rawExport(clientA, new grpc.Metadata()))?.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('answers a wrong token exactly as a missing one', async () => {
    const wrong = new grpc.Metadata();
    wrong.set('authorization', 'Bearer not-the-token');
    const missing = await rawExport(clientA, new grpc.Metadata());
    const bad = await rawExport(clientA, wrong);
    expect(bad?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(bad?.details).toBe(missing?.details);
    expect(bad?.details).not.toMatch(/token|password|user/i);
  });

  it('accepts basic auth on gRPC too', async () => {
    const md = new grpc.Metadata();
    md.set('authorization', basicAuth('alice', 'wonderland'));
    expect(await rawExport(clientA, md)).toBeUndefined();
  });

  it('refuses a client certificate signed by another CA at the handshake', async () => {
    buffer.clear();
    const exporter = grpcExporter(clientB, TOKEN);
    const result = await exportWith(exporter, sdkSpans('other-ca'));
    await exporter.shutdown();
    expect(result.code).toBe(1);
    expect(buffer.records).toHaveLength(0);
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${TOKEN}`);
    expect((await rawExport(clientB, md))?.code).toBe(grpc.status.UNAVAILABLE);
  });
});

/** An Envoy ALS stream (on the same gRPC server) that sends nothing and ends: its final status. */
function alsStream(metadata: grpc.Metadata): Promise<grpc.ServiceError | undefined> {
  const c = new grpc.Client(grpcTarget, grpc.credentials.createSsl(caA.cert, clientA.key, clientA.cert));
  return new Promise((resolve) => {
    const call = c.makeClientStreamRequest(
      '/envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs',
      (b: Buffer) => b,
      (b: Buffer) => b,
      metadata,
      { deadline: Date.now() + 20_000 },
      (err) => {
        c.close();
        resolve(err ?? undefined);
      },
    );
    call.end();
  });
}

describe('Envoy ALS on the guarded gRPC server', () => {
  it('ends a stream without credentials with UNAUTHENTICATED and takes one with the token', async () => {
    expect((await alsStream(new grpc.Metadata()))?.code).toBe(grpc.status.UNAUTHENTICATED);
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${TOKEN}`);
    expect(await alsStream(md)).toBeUndefined();
  });
});

describe('OTLP/HTTP and Zipkin over mTLS with credentials', () => {
  it('takes spans from the SDK HTTP exporter with the token', async () => {
    buffer.clear();
    const exporter = new OtlpProtoExporter({
      url: `${httpUrl}/v1/traces`,
      headers: { authorization: `Bearer ${TOKEN}` },
      httpAgentOptions: { ca: caA.cert, cert: clientA.cert, key: clientA.key },
    });
    const spans = sdkSpans('http-tls');
    const result = await exportWith(exporter, spans);
    await exporter.shutdown();
    expect(result.code).toBe(0);
    expect(buffer.spans().map((s) => s.serviceName)).toEqual(['http-tls', 'http-tls']);
  });

  it('answers 401 with WWW-Authenticate, the same for a missing token, a wrong token and a wrong password', async () => {
    buffer.clear();
    const post = (authorization?: string) =>
      httpsCall(`${httpUrl}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: '{"resourceSpans":[]}',
        ca: caA.cert, cert: clientA.cert, key: clientA.key,
      });
    const answers = await Promise.all([post(), post('Bearer wrong'), post(basicAuth('alice', 'wrong')), post(basicAuth('bob', 'wonderland'))]);
    for (const a of answers) {
      expect(a.status).toBe(401);
      expect(a.body).toBe(answers[0]!.body);
      expect(a.headers['www-authenticate']).toBe('Bearer realm="meshtel", Basic realm="meshtel"');
    }
    expect(JSON.parse(answers[0]!.body)).toEqual({ code: 16, message: 'unauthenticated' });
    expect((await post(basicAuth('alice', 'wonderland'))).status).toBe(200);
    expect((await post(`Bearer ${TOKEN}`)).status).toBe(200);
    // Every route of the listener: logs, metrics and access-log lines too.
    for (const path of ['/v1/logs', '/v1/metrics', '/v1/accesslogs']) {
      const a = await httpsCall(`${httpUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', ca: caA.cert, cert: clientA.cert, key: clientA.key });
      expect(a.status, path).toBe(401);
    }
  });

  it('guards Zipkin the same way', async () => {
    buffer.clear();
    const post = (authorization?: string) =>
      httpsCall(`${zipkinUrl}/api/v2/spans`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify([{ traceId: 'a'.repeat(32), id: 'b'.repeat(16), name: 'get', timestamp: Date.now() * 1000, duration: 10, localEndpoint: { serviceName: 'zipkin-tls' } }]),
        ca: caA.cert, cert: clientA.cert, key: clientA.key,
      });
    expect((await post()).status).toBe(401);
    expect(buffer.records).toHaveLength(0);
    expect((await post(`Bearer ${TOKEN}`)).status).toBe(202);
    expect(buffer.spans().map((s) => s.serviceName)).toEqual(['zipkin-tls']);
  });

  it('refuses an HTTPS client without a certificate at the handshake', async () => {
    await expect(httpsCall(`${httpUrl}/v1/traces`, { method: 'POST', ca: caA.cert, headers: { authorization: `Bearer ${TOKEN}` } })).rejects.toThrow();
  });
});

describe('without multi-tenancy', () => {
  it('ignores a tenant header or metadata entry a sender adds, and drops a tenant attribute it claims', async () => {
    buffer.clear();
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${TOKEN}`);
    md.set('x-scope-orgid', 'acme');
    const exporter = new OtlpGrpcExporter({
      url: `https://${grpcTarget}`, credentials: grpc.credentials.createSsl(caA.cert, clientA.key, clientA.cert), metadata: md,
    });
    expect((await exportWith(exporter, sdkSpans('grpc-claims'))).code).toBe(0);
    await exporter.shutdown();
    const body = JSON.stringify({ resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'http-claims' } }, { key: TENANT_ATTRIBUTE, value: { stringValue: 'acme' } }] },
      scopeSpans: [{ spans: [{ traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), name: 'x', kind: 2, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000000001000' }] }],
    }] });
    const answer = await httpsCall(`${httpUrl}/v1/traces`, {
      method: 'POST', body, headers: { 'content-type': 'application/json', 'x-scope-orgid': 'acme', authorization: `Bearer ${TOKEN}` },
      ca: caA.cert, cert: clientA.cert, key: clientA.key,
    });
    expect(answer.status).toBe(200);
    const spans = buffer.spans();
    expect(new Set(spans.map((s) => s.serviceName))).toEqual(new Set(['grpc-claims', 'http-claims']));
    expect(spans.map((s) => tenantOfResource(s.resource))).toEqual(spans.map(() => undefined));
  });
});
