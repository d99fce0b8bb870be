/**
 * The security settings as a user sets them, on a real `meshtel all-in-one` process: TLS with a
 * client CA and a bearer token on the receivers, TLS and basic auth on the query API, a token on
 * the admin port, multi-tenancy — an SDK exporter gets its spans in and reads them back only as
 * its tenant. And a wrong combination stops start-up with exit code 2 naming the settings.
 */
import * as grpc from '@grpc/grpc-js';
import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import bcrypt from 'bcryptjs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportWith, sdkSpans } from '../support/receivers-harness.js';
import { TestPki, type CertFiles } from '../support/certs.js';
import { basicAuth, httpsCall } from '../support/https-client.js';
import { eventually, startMeshtel, type MeshtelProcess } from '../support/meshtel-process.js';

let pki: TestPki;
let ca: CertFiles;
let client: CertFiles;
let meshtel: MeshtelProcess;
const TOKEN = 'e2e-receiver-token';

beforeAll(async () => {
  pki = new TestPki();
  ca = pki.ca('e2e-ca');
  const server = pki.leaf(ca, 'e2e-server');
  client = pki.leaf(ca, 'e2e-client');
  const env = {
    MESHTEL_RECEIVER_TLS_CERT_FILE: server.certFile,
    MESHTEL_RECEIVER_TLS_KEY_FILE: server.keyFile,
    MESHTEL_RECEIVER_TLS_CLIENT_CA_FILE: ca.certFile,
    MESHTEL_RECEIVER_AUTH_TOKENS_FILE: pki.file('receiver.tokens', `${TOKEN}\n`),
    MESHTEL_QUERY_TLS_CERT_FILE: server.certFile,
    MESHTEL_QUERY_TLS_KEY_FILE: server.keyFile,
    MESHTEL_QUERY_AUTH_BASIC_FILE: pki.file('query.htpasswd', `grafana:${bcrypt.hashSync('s3cret', 4)}\n`),
    MESHTEL_ADMIN_AUTH_TOKENS_FILE: pki.file('admin.tokens', 'scraper\n'),
    MESHTEL_MULTITENANCY_ENABLED: 'true',
  };
  meshtel = await startMeshtel('all-in-one', ['--metrics-port', '0'], env);
});

afterAll(async () => {
  await meshtel?.stop();
  pki?.cleanup();
});

const port = (endpoint: string) => meshtel.endpoints[endpoint]!.split(':').pop();

describe('all-in-one with TLS, authentication and tenants', () => {
  it('takes spans from an exporter with a client certificate, the token and a tenant, and shows them to that tenant only', async () => {
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${TOKEN}`);
    md.set('x-scope-orgid', 'acme');
    const exporter = new OtlpGrpcExporter({
      url: `https://localhost:${port('otlpGrpc')}`, credentials: grpc.credentials.createSsl(ca.cert, client.key, client.cert), metadata: md,
    });
    const spans = sdkSpans('e2e-secure');
    expect((await exportWith(exporter, spans)).code).toBe(0);
    await exporter.shutdown();

    const query = (tenant: string, auth = basicAuth('grafana', 's3cret')) =>
      httpsCall(`https://localhost:${port('query')}/api/traces/${spans[0]!.spanContext().traceId}`, {
        ca: ca.cert, headers: { authorization: auth, 'x-scope-orgid': tenant },
      });
    const found = await eventually(async () => {
      const a = await query('acme');
      return a.status === 200 ? a : undefined;
    }, 30_000);
    expect(JSON.parse(found.body).data[0].spans).toHaveLength(2);
    expect((await query('globex')).status).toBe(404);
    expect((await query('acme', basicAuth('grafana', 'wrong'))).status).toBe(401);
  });

  it('refuses the exporter without the token', async () => {
    const md = new grpc.Metadata();
    md.set('x-scope-orgid', 'acme');
    const exporter = new OtlpGrpcExporter({
      url: `https://localhost:${port('otlpGrpc')}`, credentials: grpc.credentials.createSsl(ca.cert, client.key, client.cert), metadata: md,
    });
    expect((await exportWith(exporter, sdkSpans('e2e-no-token'))).code).toBe(1);
    await exporter.shutdown();
  });

  it('guards the admin port with its own token', async () => {
    const url = `http://127.0.0.1:${port('admin')}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer scraper' } })).status).toBe(200);
  });
});

describe('start-up with security settings that cannot work', () => {
  const start = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'services/cli.ts', 'all-in-one'], {
      cwd: fileURLToPath(new URL('../../', import.meta.url)), env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000,
    });

  it('exits with code 2 naming an unreadable file\'s setting', () => {
    const run = start({ MESHTEL_RECEIVER_AUTH_TOKENS_FILE: '/nonexistent/tokens' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/MESHTEL_RECEIVER_AUTH_TOKENS_FILE \/ --receiver-auth-tokens-file = "\/nonexistent\/tokens".*ENOENT/);
  });

  it('exits with code 2 for a key without its certificate', () => {
    const run = start({ MESHTEL_QUERY_TLS_KEY_FILE: client.keyFile });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('MESHTEL_QUERY_TLS_KEY_FILE is set without MESHTEL_QUERY_TLS_CERT_FILE');
  });
});
