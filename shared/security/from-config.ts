/** From MESHTEL_<GROUP>_* settings to each listener group's ListenerSecurity. */
import type { MeshtelConfig } from '../config/settings.js';
import type { Logger } from '../telemetry/logger.js';
import { buildListenerSecurity, type ListenerGroup, type ListenerSecurity } from './listener-security.js';

type GroupKeys<G extends string> = `${G}TlsCertFile` | `${G}TlsKeyFile` | `${G}TlsClientCaFile` | `${G}AuthTokensFile` | `${G}AuthBasicFile`;
export type ListenerSecurityConfig = Pick<MeshtelConfig, GroupKeys<ListenerGroup> | 'multitenancyEnabled'>;

/**
 * The group's security. Receivers and the query API honour multi-tenancy; the admin port never
 * serves tenant data, so it never asks for a tenant.
 */
export function listenerSecurityFromConfig(config: ListenerSecurityConfig, group: ListenerGroup, logger: Logger): ListenerSecurity {
  return buildListenerSecurity(
    group,
    {
      tlsCertFile: config[`${group}TlsCertFile`],
      tlsKeyFile: config[`${group}TlsKeyFile`],
      tlsClientCaFile: config[`${group}TlsClientCaFile`],
      authTokensFile: config[`${group}AuthTokensFile`],
      authBasicFile: config[`${group}AuthBasicFile`],
      tenancy: group !== 'admin' && config.multitenancyEnabled,
    },
    { logger },
  );
}
