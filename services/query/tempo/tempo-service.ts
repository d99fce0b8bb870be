/**
 * The Tempo API's own HTTP server (port 3200 by default, as Tempo), so a Grafana Tempo data
 * source takes `http://<host>:3200` unchanged. It reads through the store it is given: the
 * Elasticsearch store in the query role, the memory store in all-in-one.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Component } from '../../../shared/model/component.js';
import { guardHttpRoutes, httpsServerOption } from '../../../shared/security/http-listener.js';
import type { ListenerSecurity } from '../../../shared/security/listener-security.js';
import type { SpanReader, TraceqlReader } from '../../../shared/storage/spanstore.js';
import type { Logger } from '../../../shared/telemetry/logger.js';
import { tempoApi } from './tempo-api.js';

export interface TempoServiceOptions {
  readonly host: string;
  /** 0 picks a free port; read {@link TempoService.port} after start(). */
  readonly port: number;
  readonly reader: SpanReader & TraceqlReader;
  readonly isReady?: () => Promise<boolean>;
  readonly logger: Logger;
  /** The query listener group's TLS, authentication and tenancy (MESHTEL_QUERY_*); open when absent. */
  readonly security?: ListenerSecurity;
}

export class TempoService implements Component {
  readonly name = 'tempo';
  private readonly app: FastifyInstance;
  private boundPort: number | undefined;

  constructor(private readonly options: TempoServiceOptions) {
    this.app = Fastify({ loggerInstance: options.logger as FastifyBaseLogger, ...httpsServerOption(options.security) });
    guardHttpRoutes(this.app, options.security);
    void this.app.register(tempoApi, {
      reader: options.reader,
      tenancy: options.security?.tenancy === true,
      ...(options.isReady && { isReady: options.isReady }),
    });
  }

  /** The bound port; throws before start(). */
  get port(): number {
    if (this.boundPort === undefined) throw new Error('tempo service not started');
    return this.boundPort;
  }

  async start(): Promise<void> {
    await this.app.listen({ host: this.options.host, port: this.options.port });
    const address = this.app.server.address();
    this.boundPort = typeof address === 'object' && address !== null ? address.port : this.options.port;
  }

  /** Stops accepting connections and lets in-flight requests finish. */
  async stop(): Promise<void> {
    await this.app.close();
    this.boundPort = undefined;
  }
}
