/**
 * What guards one listener group (receivers, query, admin): TLS (mTLS with a client CA),
 * credentials, and whether requests must name a tenant. Built once per group from the
 * MESHTEL_<GROUP>_* settings and handed to every server of that group, whatever its transport:
 * fastify servers take it through http-listener.ts, gRPC servers through grpc-listener.ts.
 */
import { z } from 'zod';
import type { Logger } from '../telemetry/logger.js';
import { Credentials } from './credentials.js';
import { SecurityConfigError } from './errors.js';
import { ServerTls } from './server-tls.js';

export type ListenerGroup = 'receiver' | 'query' | 'admin';

export interface ListenerSecurity {
  readonly group: ListenerGroup;
  readonly tls?: ServerTls;
  readonly credentials?: Credentials;
  /** Requests must carry a valid X-Scope-OrgID; it is stamped on what they write and scopes what they read. */
  readonly tenancy: boolean;
}

/** The settings of one group, as files (empty string = not set, as settings default). */
/** One listener group's security settings, with their defaults (nothing set: plain text, open). */
export const listenerSecuritySettings = z.object({
  /** PEM certificate chain and key; both set → TLS (reloaded when the files change). */
  tlsCertFile: z.string().default(''),
  tlsKeyFile: z.string().default(''),
  /** PEM CA bundle; set → clients must present a certificate it signed (mTLS). */
  tlsClientCaFile: z.string().default(''),
  /** Bearer tokens, one a line; and htpasswd-style user:bcrypt lines. Either set → auth required. */
  authTokensFile: z.string().default(''),
  authBasicFile: z.string().default(''),
  /** Multi-tenancy: require X-Scope-OrgID (never on the admin port). */
  tenancy: z.boolean().default(false),
});

export type ListenerSecuritySettings = z.input<typeof listenerSecuritySettings>;

/** A group with nothing set: plain, open listeners (the default). */
export const OPEN_LISTENER = (group: ListenerGroup): ListenerSecurity => ({ group, tenancy: false });

const ENV_GROUP: Record<ListenerGroup, string> = { receiver: 'RECEIVER', query: 'QUERY', admin: 'ADMIN' };

/**
 * Checks how the settings combine (a key needs a certificate, a client CA needs both) — the
 * per-file checks are the settings schema's. Returns the problems, each naming the settings.
 */
export function listenerSettingsProblems(group: ListenerGroup, s: ListenerSecuritySettings): string[] {
  const env = (name: string) => `MESHTEL_${ENV_GROUP[group]}_${name}`;
  const problems: string[] = [];
  if (s.tlsKeyFile && !s.tlsCertFile) problems.push(`${env('TLS_KEY_FILE')} is set without ${env('TLS_CERT_FILE')}`);
  if (s.tlsCertFile && !s.tlsKeyFile) problems.push(`${env('TLS_CERT_FILE')} is set without ${env('TLS_KEY_FILE')}`);
  if (s.tlsClientCaFile && !(s.tlsCertFile && s.tlsKeyFile)) {
    problems.push(`${env('TLS_CLIENT_CA_FILE')} (mTLS) needs ${env('TLS_CERT_FILE')} and ${env('TLS_KEY_FILE')}`);
  }
  return problems;
}

/** Reads the group's files; throws SecurityConfigError saying which setting does not work. */
export function buildListenerSecurity(
  group: ListenerGroup,
  input: ListenerSecuritySettings,
  opts: { logger: Logger; reloadIntervalMs?: number },
): ListenerSecurity {
  const s = listenerSecuritySettings.parse(input);
  const problems = listenerSettingsProblems(group, s);
  if (problems.length > 0) throw new SecurityConfigError(problems.join('; '));
  const label = `MESHTEL_${ENV_GROUP[group]}`;
  const logger = opts.logger.child({ listeners: group });
  const tls = s.tlsCertFile
    ? new ServerTls(
        { certFile: s.tlsCertFile, keyFile: s.tlsKeyFile, ...(s.tlsClientCaFile ? { clientCaFile: s.tlsClientCaFile } : {}) },
        { logger, label: `${label} TLS`, reloadIntervalMs: opts.reloadIntervalMs },
      )
    : undefined;
  const credentials =
    s.authTokensFile || s.authBasicFile
      ? new Credentials(
          { ...(s.authTokensFile ? { tokensFile: s.authTokensFile } : {}), ...(s.authBasicFile ? { basicFile: s.authBasicFile } : {}) },
          { logger, label: `${label} auth`, reloadIntervalMs: opts.reloadIntervalMs },
        )
      : undefined;
  return { group, tls, credentials, tenancy: s.tenancy ?? false };
}
