/**
 * The admin port every role serves (Jaeger's default 14269): `/metrics` (prom-client text),
 * `/healthz` (the process is up) and `/readyz` (every dependency check passes — an orchestrator
 * should route traffic only then).
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Component, ReadinessCheck } from '../shared/model/component.js';
import { guardHttpRoutes, httpsServerOption } from '../shared/security/http-listener.js';
import type { ListenerSecurity } from '../shared/security/listener-security.js';
import type { Logger } from '../shared/telemetry/logger.js';

export interface AdminServerOptions {
  readonly host: string;
  readonly port: number;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly checks: () => readonly ReadinessCheck[];
  /** TLS and credentials of the admin port; plain and open when absent. */
  readonly security?: ListenerSecurity;
}

export class AdminServer implements Component {
  readonly name = 'admin';
  private readonly app: FastifyInstance;
  private boundPort = 0;
  /** Set by the role once every component started; until then /readyz says not ready. */
  started = false;

  constructor(private readonly options: AdminServerOptions) {
    // Typed as fastify's logger interface so the instance keeps fastify's default generics.
    const loggerInstance: FastifyBaseLogger = options.logger.child({ component: 'admin' });
    this.app = Fastify({ loggerInstance, disableRequestLogging: true, ...httpsServerOption(options.security) });
    guardHttpRoutes(this.app, options.security);
    this.app.get('/metrics', async (_req, reply) => {
      reply.header('content-type', options.registry.contentType);
      return options.registry.metrics();
    });
    this.app.get('/healthz', async () => ({ status: 'ok' }));
    this.app.get('/readyz', async (_req, reply) => {
      const results: Record<string, boolean> = { started: this.started };
      await Promise.all(
        options.checks().map(async (c) => {
          results[c.name] = await c.check().catch(() => false);
        }),
      );
      const ready = Object.values(results).every(Boolean);
      reply.code(ready ? 200 : 503);
      return { status: ready ? 'ready' : 'not ready', checks: results };
    });
  }

  async start(): Promise<void> {
    await this.app.listen({ host: this.options.host, port: this.options.port });
    const address = this.app.server.address();
    this.boundPort = typeof address === 'object' && address ? address.port : this.options.port;
  }

  get port(): number {
    return this.boundPort;
  }

  async stop(): Promise<void> {
    await this.app.close();
  }
}
