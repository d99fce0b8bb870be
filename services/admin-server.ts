/**
 * The admin port every role serves (Jaeger's default 14269): `/metrics` (prom-client text),
 * `/healthz` (the process is up) and `/readyz` (every dependency check passes — an orchestrator
 * should route traffic only then).
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Component, ReadinessCheck } from '../shared/model/component.js';
import { guardHttpRoutes, httpsServerOption } from '../shared/security/http-listener.js';
import type { ListenerSecurity } from '../shared/security/listener-security.js';
import type { Logger } from '../shared/telemetry/logger.js';

/** What /metrics serves: a prom-client registry, or the cluster primary's aggregate of its workers'. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/** /readyz's answer: every check by name, and whether all passed. */
export interface Readiness {
  readonly ready: boolean;
  readonly checks: Record<string, boolean>;
}

/** Runs the checks (a failing or throwing one counts as not ready); `started` is one of them. */
export async function readinessOf(started: boolean, checks: readonly ReadinessCheck[]): Promise<Readiness> {
  const results: Record<string, boolean> = { started };
  await Promise.all(
    checks.map(async (c) => {
      results[c.name] = await c.check().catch(() => false);
    }),
  );
  return { ready: Object.values(results).every(Boolean), checks: results };
}

export interface AdminServerOptions {
  readonly host: string;
  readonly port: number;
  readonly registry: MetricsSource;
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
      const { ready, checks } = await readinessOf(this.started, options.checks());
      reply.code(ready ? 200 : 503);
      return { status: ready ? 'ready' : 'not ready', checks };
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
