/**
 * The security settings fail start-up with a message naming the setting when they cannot work,
 * and map to the clients' options (Kafka ssl/sasl, Elasticsearch CA/API key) as documented.
 */
import { chmodSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaBufferOptionsSchema } from '../../shared/buffer/kafka/kafka-options.js';
import { ConfigError } from '../../shared/config/load.js';
import { elasticsearchClientOptions } from '../../shared/storage/elasticsearch/client.js';
import { elasticsearchSpanStoreSettings } from '../../shared/storage/elasticsearch/options.js';
import { elasticsearchOptionsFromConfig, kafkaBufferOptionsFromConfig, kafkaSecurityFromConfig } from '../../services/component-options.js';
import { loadConfig } from '../../services/settings.js';
import { TestPki, type CertFiles } from '../support/certs.js';

let pki: TestPki;
let ca: CertFiles;
let leaf: CertFiles;

beforeAll(() => {
  pki = new TestPki();
  ca = pki.ca('settings-ca');
  leaf = pki.leaf(ca, 'settings-leaf');
});
afterAll(() => pki?.cleanup());

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(new Map(), env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('listener security settings', () => {
  it('are off by default: plain listeners, no credentials, no tenancy, no CORS', () => {
    const c = loadConfig(new Map(), {});
    expect([c.receiverTlsCertFile, c.queryAuthTokensFile, c.adminAuthBasicFile, c.queryCorsAllowedOrigins]).toEqual(['', '', '', '']);
    expect(c.multitenancyEnabled).toBe(false);
  });

  it('accept a certificate, key, client CA and credential files of one group, by env or flag', () => {
    const tokens = pki.file('ok-tokens', 'abc\n');
    const c = loadConfig(new Map([['--receiver-auth-tokens-file', tokens]]), {
      MESHTEL_RECEIVER_TLS_CERT_FILE: leaf.certFile,
      MESHTEL_RECEIVER_TLS_KEY_FILE: leaf.keyFile,
      MESHTEL_RECEIVER_TLS_CLIENT_CA_FILE: ca.certFile,
      MESHTEL_MULTITENANCY_ENABLED: 'true',
    });
    expect(c.receiverTlsCertFile).toBe(leaf.certFile);
    expect(c.receiverAuthTokensFile).toBe(tokens);
    expect(c.multitenancyEnabled).toBe(true);
  });

  it('refuse a key without a certificate, a certificate without a key, and a client CA alone', () => {
    expect(problemsOf({ MESHTEL_QUERY_TLS_KEY_FILE: leaf.keyFile })).toEqual(['MESHTEL_QUERY_TLS_KEY_FILE is set without MESHTEL_QUERY_TLS_CERT_FILE']);
    expect(problemsOf({ MESHTEL_ADMIN_TLS_CERT_FILE: leaf.certFile })).toEqual(['MESHTEL_ADMIN_TLS_CERT_FILE is set without MESHTEL_ADMIN_TLS_KEY_FILE']);
    expect(problemsOf({ MESHTEL_RECEIVER_TLS_CLIENT_CA_FILE: ca.certFile })).toEqual([
      'MESHTEL_RECEIVER_TLS_CLIENT_CA_FILE (mTLS) needs MESHTEL_RECEIVER_TLS_CERT_FILE and MESHTEL_RECEIVER_TLS_KEY_FILE',
    ]);
  });

  it('name the setting and the path of a file that cannot be read', () => {
    const [problem] = problemsOf({ MESHTEL_QUERY_TLS_CERT_FILE: '/nonexistent/cert.pem', MESHTEL_QUERY_TLS_KEY_FILE: leaf.keyFile });
    expect(problem).toMatch(/^MESHTEL_QUERY_TLS_CERT_FILE \/ --query-tls-cert-file = "\/nonexistent\/cert.pem".*cannot read \/nonexistent\/cert.pem \(ENOENT\)/);
    const unreadable = pki.file('unreadable-tokens', 'abc\n');
    chmodSync(unreadable, 0o000);
    // root reads any file; the check only applies to other users.
    if (process.getuid?.() !== 0) expect(problemsOf({ MESHTEL_RECEIVER_AUTH_TOKENS_FILE: unreadable })[0]).toMatch(/EACCES/);
  });

  it('refuse a certificate that does not match its key, and files that are not PEM', () => {
    const other = pki.leaf(ca, 'settings-other');
    const [mismatch] = problemsOf({ MESHTEL_RECEIVER_TLS_CERT_FILE: leaf.certFile, MESHTEL_RECEIVER_TLS_KEY_FILE: other.keyFile });
    expect(mismatch).toMatch(/^MESHTEL_RECEIVER TLS: .*settings-leaf.crt and .*settings-other.key do not load/);
    const garbage = pki.file('garbage.pem', 'not a certificate');
    expect(problemsOf({ MESHTEL_ADMIN_TLS_CERT_FILE: garbage, MESHTEL_ADMIN_TLS_KEY_FILE: leaf.keyFile })[0]).toMatch(/do not load/);
  });

  it('name the line of a malformed basic-auth file without showing it, and refuse empty credential files', () => {
    const htpasswd = pki.file('bad-htpasswd', '# users\nalice:$2b$04$abcdefghijklmnopqrstuuJ0wJ9Kzq3Y0mQ3o0y6YV8s6nL2yW6lC\nbob:plaintext-secret\n');
    const [problem] = problemsOf({ MESHTEL_QUERY_AUTH_BASIC_FILE: htpasswd });
    expect(problem).toBe(`MESHTEL_QUERY auth basic-auth file ${htpasswd} line 3: expected user:bcrypt-hash (htpasswd -B)`);
    expect(problem).not.toContain('plaintext-secret');
    const empty = pki.file('empty-tokens', '# nobody yet\n\n');
    expect(problemsOf({ MESHTEL_RECEIVER_AUTH_TOKENS_FILE: empty })).toEqual([`MESHTEL_RECEIVER auth tokens file ${empty} holds no token`]);
  });

  it('accept only origins or * for CORS', () => {
    expect(loadConfig(new Map(), { MESHTEL_QUERY_CORS_ALLOWED_ORIGINS: 'https://grafana.example.com, http://localhost:3000' }).queryCorsAllowedOrigins)
      .toBe('https://grafana.example.com, http://localhost:3000');
    expect(problemsOf({ MESHTEL_QUERY_CORS_ALLOWED_ORIGINS: 'grafana.example.com' })[0]).toMatch(/comma-separated list of origins/);
  });
});

describe('outbound security settings', () => {
  it('refuse SASL without user and password, an API key with a user name, and CA files for plain http URLs', () => {
    expect(problemsOf({ MESHTEL_KAFKA_SASL_MECHANISM: 'scram-sha-512', MESHTEL_KAFKA_SASL_USERNAME: 'meshtel' })).toEqual([
      'MESHTEL_KAFKA_SASL_MECHANISM=scram-sha-512 needs MESHTEL_KAFKA_SASL_USERNAME and MESHTEL_KAFKA_SASL_PASSWORD',
    ]);
    expect(problemsOf({ MESHTEL_ES_API_KEY: 'a2V5', MESHTEL_ES_USERNAME: 'elastic' })).toEqual(['set either MESHTEL_ES_API_KEY or MESHTEL_ES_USERNAME, not both']);
    expect(problemsOf({ MESHTEL_ES_TLS_CA_FILE: ca.certFile })).toEqual(['MESHTEL_ES_TLS_CA_FILE is set but MESHTEL_ES_URL is not https://']);
    expect(problemsOf({ MESHTEL_REMOTE_WRITE_TLS_CA_FILE: ca.certFile, MESHTEL_REMOTE_WRITE_URL: 'http://prom:9090/api/v1/write' })).toEqual([
      'MESHTEL_REMOTE_WRITE_TLS_CA_FILE is set but MESHTEL_REMOTE_WRITE_URL is not https://',
    ]);
    expect(problemsOf({ MESHTEL_KAFKA_TLS_CERT_FILE: leaf.certFile })).toEqual([
      'MESHTEL_KAFKA_TLS_CERT_FILE and MESHTEL_KAFKA_TLS_KEY_FILE go together (client certificate and its key)',
    ]);
  });

  it('map Kafka TLS and SASL to the kafkajs ssl and sasl options', () => {
    expect(kafkaSecurityFromConfig(loadConfig(new Map(), {}))).toEqual({});
    expect(kafkaSecurityFromConfig(loadConfig(new Map(), { MESHTEL_KAFKA_TLS_ENABLED: 'true' }))).toEqual({ ssl: true });
    const config = loadConfig(new Map(), {
      MESHTEL_KAFKA_TLS_CA_FILE: ca.certFile,
      MESHTEL_KAFKA_TLS_CERT_FILE: leaf.certFile,
      MESHTEL_KAFKA_TLS_KEY_FILE: leaf.keyFile,
      MESHTEL_KAFKA_SASL_MECHANISM: 'scram-sha-256',
      MESHTEL_KAFKA_SASL_USERNAME: 'meshtel',
      MESHTEL_KAFKA_SASL_PASSWORD: 'pw',
    });
    expect(kafkaSecurityFromConfig(config)).toEqual({
      ssl: { ca: [ca.cert], cert: leaf.cert, key: leaf.key },
      sasl: { mechanism: 'scram-sha-256', username: 'meshtel', password: 'pw' },
    });
    const options = kafkaBufferOptionsSchema.parse(kafkaBufferOptionsFromConfig(config));
    expect(options.ssl).toEqual({ ca: [ca.cert], cert: leaf.cert, key: leaf.key });
    expect(options.sasl).toEqual({ mechanism: 'scram-sha-256', username: 'meshtel', password: 'pw' });
    const plain = loadConfig(new Map(), { MESHTEL_KAFKA_SASL_MECHANISM: 'plain', MESHTEL_KAFKA_SASL_USERNAME: 'u', MESHTEL_KAFKA_SASL_PASSWORD: 'p' });
    expect(kafkaSecurityFromConfig(plain)).toEqual({ sasl: { mechanism: 'plain', username: 'u', password: 'p' } });
  });

  it('map the Elasticsearch API key and CA to the client options', () => {
    const config = loadConfig(new Map(), { MESHTEL_ES_URL: 'https://es.example:9200', MESHTEL_ES_API_KEY: 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==', MESHTEL_ES_TLS_CA_FILE: ca.certFile });
    const options = elasticsearchClientOptions(elasticsearchSpanStoreSettings.parse(elasticsearchOptionsFromConfig(config)));
    expect(options.auth).toEqual({ apiKey: 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==' });
    expect(options.tls).toEqual({ ca: ca.cert });
    const basic = elasticsearchClientOptions(elasticsearchSpanStoreSettings.parse(elasticsearchOptionsFromConfig(
      loadConfig(new Map(), { MESHTEL_ES_USERNAME: 'elastic', MESHTEL_ES_PASSWORD: 'pw' }),
    )));
    expect(basic.auth).toEqual({ username: 'elastic', password: 'pw' });
    expect(basic.tls).toBeUndefined();
  });
});

describe('security settings per role', () => {
  it('check only the files the starting role reads, so roles can share one environment', () => {
    const env = { MESHTEL_RECEIVER_TLS_CERT_FILE: '/only/on/collectors.crt', MESHTEL_RECEIVER_TLS_KEY_FILE: '/only/on/collectors.key' };
    expect(loadConfig(new Map(), env, 'ingester').receiverTlsCertFile).toBe('/only/on/collectors.crt');
    expect(loadConfig(new Map(), env, 'query').receiverTlsCertFile).toBe('/only/on/collectors.crt');
    expect(() => loadConfig(new Map(), env, 'collector')).toThrow(/MESHTEL_RECEIVER_TLS_CERT_FILE .*cannot read \/only\/on\/collectors.crt/);
    expect(() => loadConfig(new Map(), env, 'all-in-one')).toThrow(ConfigError);
  });
});
