/**
 * Guards a fastify server with a group's ListenerSecurity, for any HTTP API (receivers, Jaeger,
 * Tempo, admin):
 *
 *   const app = Fastify({ ...otherOptions, ...httpsServerOption(security) });
 *   guardHttpRoutes(app, security, { unauthorizedBody: (message) => ... });
 *
 * TLS: the server is created by node:https with the group's material and takes new material
 * on reload (setSecureContext), so a rotated certificate is served without a restart; with a
 * client CA, clients without a certificate it signed fail the handshake.
 * Auth: every request (except a CORS preflight, which browsers send without credentials) must
 * carry a valid Authorization header, else 401 with WWW-Authenticate — the same answer whatever
 * was wrong. Tenancy: the request must carry a valid X-Scope-OrgID; tenantOfRequest() gives it
 * to the routes.
 */
import http from 'node:http';
import https from 'node:https';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerFactory } from 'fastify';
import { TENANT_HEADER, isValidTenantId } from '../model/tenant.js';
import type { ListenerSecurity } from './listener-security.js';
import { contextOptions } from './server-tls.js';

const tenants = new WeakMap<object, string>();

/** Fastify's serverFactory option creating an HTTPS server when the group has TLS (else {}). */
export function httpsServerOption(security: ListenerSecurity | undefined): { serverFactory?: FastifyServerFactory } {
  const tls = security?.tls;
  if (!tls) return {};
  const serverFactory: FastifyServerFactory = (handler) => {
    const server = https.createServer(
      {
        ...contextOptions(tls.material),
        // With a client CA: ask for a certificate and refuse the handshake without a valid one.
        requestCert: tls.requiresClientCertificate,
        rejectUnauthorized: tls.requiresClientCertificate,
      },
      handler,
    );
    let unsubscribe: (() => void) | undefined;
    server.on('listening', () => {
      unsubscribe ??= tls.subscribe((material) => server.setSecureContext(contextOptions(material)));
    });
    server.on('close', () => {
      unsubscribe?.();
      unsubscribe = undefined;
    });
    // https.Server is an http.Server for everything fastify uses (request handling, address, close).
    return server as unknown as http.Server;
  };
  return { serverFactory };
}

export interface GuardOptions {
  /** The body of a 401, in the API's own error shape (default `{ "message": … }`). */
  readonly unauthorizedBody?: (message: string) => unknown;
}

/**
 * Adds the group's authentication and tenant checks to every route of `app`. The hooks are
 * added by a plugin registered now, so they run after those of plugins registered before (CORS:
 * a 401 then still carries the CORS headers a browser needs to read it).
 */
export function guardHttpRoutes(app: FastifyInstance, security: ListenerSecurity | undefined, opts: GuardOptions = {}): void {
  if (!security || (!security.credentials && !security.tenancy)) return;
  // skip-override (what fastify-plugin sets): the hooks apply to the whole server, not a child context.
  const plugin = Object.assign(async (instance: FastifyInstance) => addGuardHooks(instance, security, opts), {
    [Symbol.for('skip-override')]: true,
  });
  void app.register(plugin);
}

function addGuardHooks(app: FastifyInstance, security: ListenerSecurity, opts: GuardOptions): void {
  const { credentials, tenancy } = security;
  const body = opts.unauthorizedBody ?? ((message: string) => ({ message }));
  const refuse = (reply: FastifyReply, message: string): FastifyReply => {
    reply.code(401);
    if (credentials) reply.header('www-authenticate', credentials.schemes.map((s) => `${s} realm="meshtel"`).join(', '));
    return reply.send(body(message));
  };
  if (credentials) {
    let release: (() => void) | undefined;
    app.addHook('onReady', async () => {
      release = credentials.watch();
    });
    app.addHook('onClose', async () => release?.());
  }
  app.addHook('onRequest', async (request, reply) => {
    if (isCorsPreflight(request)) return;
    // One message for every credential failure: a client learns nothing about which part was wrong.
    if (credentials && !(await credentials.verify(request.headers.authorization))) return refuse(reply, 'unauthenticated');
    if (tenancy) {
      const tenant = request.headers[TENANT_HEADER];
      if (typeof tenant !== 'string' || !isValidTenantId(tenant)) {
        return refuse(reply, 'a valid X-Scope-OrgID header (tenant id) is required');
      }
      tenants.set(request.raw, tenant);
    }
  });
}

/** The tenant the request was admitted for (multi-tenancy on), else undefined. */
export function tenantOfRequest(request: Pick<FastifyRequest, 'raw'>): string | undefined {
  return tenants.get(request.raw);
}

function isCorsPreflight(request: FastifyRequest): boolean {
  return request.method === 'OPTIONS' && request.headers.origin !== undefined && request.headers['access-control-request-method'] !== undefined;
}
