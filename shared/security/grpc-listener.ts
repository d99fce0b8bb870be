/**
 * Guards a grpc-js server with a group's ListenerSecurity:
 *
 *   new grpc.Server({ interceptors: grpcGuardInterceptors(security) });
 *   server.bindAsync(address, grpcServerCredentials(security), ...);
 *
 * Credentials reload: grpc-js lets credentials push new secure-context options to the servers
 * bound with them; ours do so whenever the group's files change, watching them only while bound.
 * Auth and tenancy: calls without valid credentials (or tenant) end with UNAUTHENTICATED before
 * the handler runs, with the same message whatever was wrong. Handlers learn the tenant from
 * tenantOfMetadata, which knows only what the guard admitted: without multi-tenancy a client's
 * own x-scope-orgid is never seen, and no interceptor runs at all.
 */
import * as grpc from '@grpc/grpc-js';
import type { SecureContextOptions } from 'node:tls';
import { TENANT_HEADER, isValidTenantId } from '../model/tenant.js';
import type { ListenerSecurity } from './listener-security.js';
import { contextOptions, type ServerTls } from './server-tls.js';

class ReloadingServerCredentials extends grpc.ServerCredentials {
  readonly #tls: ServerTls;
  readonly #unsubscribe = new Map<(context: SecureContextOptions | null) => void, () => void>();

  constructor(tls: ServerTls) {
    super(
      // rejectUnauthorized only matters with requestCert: then a client without a valid
      // certificate signed by the client CA fails the handshake.
      { requestCert: tls.requiresClientCertificate, rejectUnauthorized: tls.requiresClientCertificate },
      contextOptions(tls.material),
    );
    this.#tls = tls;
  }

  override _addWatcher(watcher: (context: SecureContextOptions | null) => void): void {
    super._addWatcher(watcher);
    this.#unsubscribe.set(watcher, this.#tls.subscribe((material) => this.updateSecureContextOptions(contextOptions(material))));
  }

  override _removeWatcher(watcher: (context: SecureContextOptions | null) => void): void {
    super._removeWatcher(watcher);
    this.#unsubscribe.get(watcher)?.();
    this.#unsubscribe.delete(watcher);
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

export function grpcServerCredentials(security: ListenerSecurity | undefined): grpc.ServerCredentials {
  return security?.tls ? new ReloadingServerCredentials(security.tls) : grpc.ServerCredentials.createInsecure();
}

/**
 * Tenants the guard admitted calls for, keyed by the call's metadata object (grpc-js hands the
 * handler the same object its interceptors passed on).
 */
const admittedTenants = new WeakMap<grpc.Metadata, string>();

/** Interceptors for the server's constructor option `interceptors` ([] when nothing to check). */
export function grpcGuardInterceptors(security: ListenerSecurity | undefined): grpc.ServerInterceptor[] {
  if (!security || (!security.credentials && !security.tenancy)) return [];
  const { credentials, tenancy } = security;
  const problem = async (metadata: grpc.Metadata): Promise<string | undefined> => {
    if (credentials) {
      const [authorization] = metadata.get('authorization');
      if (!(await credentials.verify(typeof authorization === 'string' ? authorization : undefined))) return 'unauthenticated';
    }
    if (tenancy) {
      const tenant = headerTenant(metadata);
      if (tenant === undefined || !isValidTenantId(tenant)) return 'a valid x-scope-orgid metadata entry (tenant id) is required';
    }
    return undefined;
  };
  const interceptor: grpc.ServerInterceptor = (_method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            problem(metadata).then(
              (message) => {
                if (message !== undefined) {
                  call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: message, metadata: new grpc.Metadata() });
                  return;
                }
                const tenant = tenancy ? headerTenant(metadata) : undefined;
                if (tenant !== undefined) admittedTenants.set(metadata, tenant);
                pass(metadata);
              },
              () => call.sendStatus({ code: grpc.status.INTERNAL, details: 'authentication failed', metadata: new grpc.Metadata() }),
            );
          },
        }),
    });
  return [interceptor];
}

/** The tenant the guard admitted the call for (multi-tenancy on), else undefined. */
export function tenantOfMetadata(metadata: grpc.Metadata): string | undefined {
  return admittedTenants.get(metadata);
}

function headerTenant(metadata: grpc.Metadata): string | undefined {
  const [value] = metadata.get(TENANT_HEADER);
  return typeof value === 'string' ? value : undefined;
}
