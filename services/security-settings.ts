/**
 * The security part of the settings table (settings.ts spreads it in): per listener group
 * (RECEIVER = OTLP/Zipkin/ALS/access-log lines, QUERY = Jaeger, Tempo, access logs, graph, ADMIN =
 * /metrics, /healthz, /readyz) TLS files and credential files; multi-tenancy and CORS; and TLS
 * or credentials for the outbound connections to Kafka, Elasticsearch and remote-write. Schemas
 * and defaults are the components' own (listener-security.ts, kafka-security.ts, the
 * Elasticsearch and remote-write settings, the query settings).
 *
 * securitySettingsProblems checks, for the settings the starting role reads, that each file can
 * be read and loads (a wrong path or PEM stops start-up naming the setting) and how settings
 * combine (a key without its certificate...). Only the role's own: a collector's certificate need
 * not be mounted where the ingester runs, though both may share one set of environment variables.
 */
import { accessSync, constants } from 'node:fs';
import { kafkaSecuritySettings as kafkaSecurity } from '../shared/buffer/kafka/kafka-security.js';
import { settingsTable } from '../shared/config/table.js';
import { remoteWriteSettings as remoteWrite } from '../shared/metrics/remote-write/settings.js';
import { readCredentialFiles } from '../shared/security/credentials.js';
import { SecurityConfigError } from '../shared/security/errors.js';
import { listenerSecuritySettings as listener, listenerSettingsProblems, type ListenerGroup } from '../shared/security/listener-security.js';
import { readServerTlsMaterial } from '../shared/security/server-tls.js';
import { elasticsearchSpanStoreSettings as elasticsearch } from '../shared/storage/elasticsearch/options.js';
import { querySettings } from './query/query-settings.js';

const RECEIVER_ROLES = ['collector', 'all-in-one'];
const QUERY_ROLES = ['query', 'all-in-one'];
const KAFKA_ROLES = ['collector', 'ingester'];
const ES_ROLES = ['ingester', 'query'];
const REMOTE_WRITE_ROLES = ['ingester', 'all-in-one'];

type FileField = 'tlsCertFile' | 'tlsKeyFile' | 'tlsClientCaFile' | 'authTokensFile' | 'authBasicFile';
type GroupKey<G extends string> = `${G}${Capitalize<FileField>}`;

/** The five file settings of one listener group. */
function listenerGroupSettings<G extends ListenerGroup>(group: G, roles: readonly string[], what: string) {
  const ENV = `MESHTEL_${group.toUpperCase()}`;
  const file = (field: FileField, env: string, flagName: string, help: string) => ({
    env: `${ENV}_${env}`, flag: `--${group}-${flagName}`, roles, field: listener.shape[field], help,
  });
  return {
    [`${group}TlsCertFile`]: file('tlsCertFile', 'TLS_CERT_FILE', 'tls-cert-file', `${what}: PEM certificate chain; set with the key file to serve TLS (reloaded when the file changes). Empty = plain text.`),
    [`${group}TlsKeyFile`]: file('tlsKeyFile', 'TLS_KEY_FILE', 'tls-key-file', `${what}: PEM private key of the TLS certificate (reloaded when the file changes).`),
    [`${group}TlsClientCaFile`]: file('tlsClientCaFile', 'TLS_CLIENT_CA_FILE', 'tls-client-ca-file', `${what}: PEM CA bundle; when set, clients must present a certificate it signed (mTLS).`),
    [`${group}AuthTokensFile`]: file('authTokensFile', 'AUTH_TOKENS_FILE', 'auth-tokens-file', `${what}: file of bearer tokens, one a line; when set (or a basic-auth file), requests need Authorization (else 401 / UNAUTHENTICATED).`),
    [`${group}AuthBasicFile`]: file('authBasicFile', 'AUTH_BASIC_FILE', 'auth-basic-file', `${what}: htpasswd-style file of user:bcrypt-hash lines (htpasswd -B); when set, HTTP basic auth is accepted.`),
  } as Record<GroupKey<G>, ReturnType<typeof file>>;
}

export const SECURITY_SETTINGS = settingsTable({
  ...listenerGroupSettings('receiver', RECEIVER_ROLES, 'Receivers (OTLP gRPC/HTTP, Zipkin, Envoy ALS, access-log lines)'),
  ...listenerGroupSettings('query', QUERY_ROLES, 'Query API (Jaeger, access logs, graph, Tempo)'),
  ...listenerGroupSettings('admin', ['*'], 'Admin port (/metrics, /healthz, /readyz)'),
  multitenancyEnabled: {
    env: 'MESHTEL_MULTITENANCY_ENABLED', flag: '--multitenancy-enabled', roles: ['collector', 'query', 'all-in-one'], field: listener.shape.tenancy,
    help: 'Multi-tenancy (as Tempo/Mimir): receivers and the query API require an X-Scope-OrgID header; records carry that tenant and reads only see their own tenant\'s data.',
  },
  queryCorsAllowedOrigins: {
    env: 'MESHTEL_QUERY_CORS_ALLOWED_ORIGINS', flag: '--query-cors-allowed-origins', roles: QUERY_ROLES, field: querySettings.shape.corsAllowedOrigins,
    help: 'Origins browsers may call the query API from (CORS), comma-separated, or * for any; empty = no CORS headers (same-origin only).',
  },
  kafkaTlsEnabled: {
    env: 'MESHTEL_KAFKA_TLS_ENABLED', flag: '--kafka-tls-enabled', roles: KAFKA_ROLES, field: kafkaSecurity.shape.tlsEnabled,
    help: 'Connect to Kafka over TLS (implied by a Kafka CA, certificate or key file).',
  },
  kafkaTlsCaFile: {
    env: 'MESHTEL_KAFKA_TLS_CA_FILE', flag: '--kafka-tls-ca-file', roles: KAFKA_ROLES, field: kafkaSecurity.shape.tlsCaFile,
    help: 'PEM CA bundle the Kafka brokers\' certificates are checked against; empty = the system CAs.',
  },
  kafkaTlsCertFile: {
    env: 'MESHTEL_KAFKA_TLS_CERT_FILE', flag: '--kafka-tls-cert-file', roles: KAFKA_ROLES, field: kafkaSecurity.shape.tlsCertFile,
    help: 'PEM client certificate for brokers that require mTLS (with --kafka-tls-key-file).',
  },
  kafkaTlsKeyFile: {
    env: 'MESHTEL_KAFKA_TLS_KEY_FILE', flag: '--kafka-tls-key-file', roles: KAFKA_ROLES, field: kafkaSecurity.shape.tlsKeyFile,
    help: 'PEM private key of the Kafka client certificate.',
  },
  kafkaSaslMechanism: {
    env: 'MESHTEL_KAFKA_SASL_MECHANISM', flag: '--kafka-sasl-mechanism', roles: KAFKA_ROLES, field: kafkaSecurity.shape.saslMechanism,
    help: 'Kafka SASL authentication: none, plain, scram-sha-256 or scram-sha-512 (use with TLS: plain sends the password as is).',
  },
  kafkaSaslUsername: {
    env: 'MESHTEL_KAFKA_SASL_USERNAME', flag: '--kafka-sasl-username', roles: KAFKA_ROLES, field: kafkaSecurity.shape.saslUsername,
    help: 'Kafka SASL user name.',
  },
  kafkaSaslPassword: {
    env: 'MESHTEL_KAFKA_SASL_PASSWORD', flag: '--kafka-sasl-password', roles: KAFKA_ROLES, field: kafkaSecurity.shape.saslPassword,
    help: 'Kafka SASL password.',
  },
  esTlsCaFile: {
    env: 'MESHTEL_ES_TLS_CA_FILE', flag: '--es-tls-ca-file', roles: ES_ROLES, field: elasticsearch.shape.tlsCaFile,
    help: 'PEM CA bundle the Elasticsearch certificate is checked against (https:// URLs); empty = the system CAs.',
  },
  esApiKey: {
    env: 'MESHTEL_ES_API_KEY', flag: '--es-api-key', roles: ES_ROLES, field: elasticsearch.shape.apiKey,
    help: 'Elasticsearch API key (the base64 "encoded" value); takes the place of user name and password.',
  },
  remoteWriteTlsCaFile: {
    env: 'MESHTEL_REMOTE_WRITE_TLS_CA_FILE', flag: '--remote-write-tls-ca-file', roles: REMOTE_WRITE_ROLES, field: remoteWrite.shape.tlsCaFile,
    help: 'PEM CA bundle the remote-write endpoint\'s certificate is checked against (https:// URLs); empty = the system CAs.',
  },
});

type SecurityKey = keyof typeof SECURITY_SETTINGS;
/** The settings the checks read (the security ones, plus the URLs and user names they go with). */
type CheckedConfig = { readonly [K in SecurityKey]: string | boolean } & { esUrl: string; esUsername: string; remoteWriteUrl: string };

const readsSetting = (roles: readonly string[], role: string | undefined) => role === undefined || roles.includes('*') || roles.includes(role);
const isFileSetting = (key: string) => key.endsWith('File');

/**
 * Problems with the security settings `role` reads (every role's when undefined), each naming the
 * settings: files that cannot be read or do not load, and settings that only work together.
 */
export function securitySettingsProblems(c: CheckedConfig, role?: string): string[] {
  const problems: string[] = [];
  for (const [key, spec] of Object.entries(SECURITY_SETTINGS) as Array<[SecurityKey, (typeof SECURITY_SETTINGS)[SecurityKey]]>) {
    const path = c[key];
    if (!isFileSetting(key) || typeof path !== 'string' || path === '' || !readsSetting(spec.roles, role)) continue;
    try {
      accessSync(path, constants.R_OK);
    } catch (err) {
      problems.push(`${spec.env} / ${spec.flag} = ${JSON.stringify(path)}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (problems.length > 0) return problems;
  const groups = (['receiver', 'query', 'admin'] as ListenerGroup[]).filter((g) => readsSetting(SECURITY_SETTINGS[`${g}TlsCertFile`].roles, role));
  for (const g of groups) {
    const text = (k: SecurityKey) => String(c[k]);
    const s = {
      tlsCertFile: text(`${g}TlsCertFile`), tlsKeyFile: text(`${g}TlsKeyFile`), tlsClientCaFile: text(`${g}TlsClientCaFile`),
      authTokensFile: text(`${g}AuthTokensFile`), authBasicFile: text(`${g}AuthBasicFile`),
    };
    const combination = listenerSettingsProblems(g, s);
    problems.push(...combination);
    if (combination.length > 0) continue;
    // Load what is set now, so a wrong PEM or credential line stops start-up with exit code 2.
    const label = `MESHTEL_${g.toUpperCase()}`;
    try {
      if (s.tlsCertFile) {
        readServerTlsMaterial({ certFile: s.tlsCertFile, keyFile: s.tlsKeyFile, ...(s.tlsClientCaFile ? { clientCaFile: s.tlsClientCaFile } : {}) }, `${label} TLS`);
      }
      if (s.authTokensFile || s.authBasicFile) {
        readCredentialFiles({ ...(s.authTokensFile ? { tokensFile: s.authTokensFile } : {}), ...(s.authBasicFile ? { basicFile: s.authBasicFile } : {}) }, `${label} auth`);
      }
    } catch (err) {
      if (!(err instanceof SecurityConfigError)) throw err;
      problems.push(err.message);
    }
  }
  return problems.concat(outboundProblems(c, role));
}

function outboundProblems(c: CheckedConfig, role: string | undefined): string[] {
  const problems: string[] = [];
  if (readsSetting(KAFKA_ROLES, role)) {
    if (Boolean(c.kafkaTlsCertFile) !== Boolean(c.kafkaTlsKeyFile)) {
      problems.push('MESHTEL_KAFKA_TLS_CERT_FILE and MESHTEL_KAFKA_TLS_KEY_FILE go together (client certificate and its key)');
    }
    if (c.kafkaSaslMechanism !== 'none' && (c.kafkaSaslUsername === '' || c.kafkaSaslPassword === '')) {
      problems.push(`MESHTEL_KAFKA_SASL_MECHANISM=${String(c.kafkaSaslMechanism)} needs MESHTEL_KAFKA_SASL_USERNAME and MESHTEL_KAFKA_SASL_PASSWORD`);
    }
  }
  if (readsSetting(ES_ROLES, role)) {
    if (c.esApiKey !== '' && c.esUsername !== '') problems.push('set either MESHTEL_ES_API_KEY or MESHTEL_ES_USERNAME, not both');
    if (c.esTlsCaFile !== '' && !c.esUrl.startsWith('https:')) problems.push('MESHTEL_ES_TLS_CA_FILE is set but MESHTEL_ES_URL is not https://');
  }
  if (readsSetting(REMOTE_WRITE_ROLES, role) && c.remoteWriteTlsCaFile !== '' && !c.remoteWriteUrl.startsWith('https:')) {
    problems.push('MESHTEL_REMOTE_WRITE_TLS_CA_FILE is set but MESHTEL_REMOTE_WRITE_URL is not https://');
  }
  return problems;
}
