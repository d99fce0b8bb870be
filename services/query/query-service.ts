/**
 * The query role's HTTP server: a fastify instance on host:port serving the Jaeger API. It reads
 * through the SpanReader it is given, so the same component serves the Elasticsearch store (query
 * role) and the memory store (all-in-one).
 */
import cors from '@fastify/cors';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { guardHttpRoutes, httpsServerOption } from '../../shared/security/http-listener.js';
import type { ListenerSecurity } from '../../shared/security/listener-security.js';
import type { Component } from '../../shared/model/component.js';
import type { SpanReader } from '../../shared/storage/spanstore.js';
import type { Logger } from '../../shared/telemetry/logger.js';
import type { AccessLogReader } from '../../shared/storage/accesslogstore.js';
import { accessLogApi } from './accesslogs/accesslog-api.js';
import { withAccessLogEdges } from './dependencies.js';
import { jaegerApi } from './jaeger/jaeger-api.js';

export interface QueryServiceOptions {
  readonly host: string;
  /** 0 picks a free port; read {@link QueryService.port} after start(). */
  readonly port: number;
  readonly reader: SpanReader;
  /**
   * When set: /api/v1/accesslogs and /api/traces/{id}/accesslogs are served, and
   * /api/dependencies adds the edges seen only in access logs.
   */
  readonly accessLogReader?: AccessLogReader;
  readonly defaultLimit: number;
  readonly maxLimit: number;
  readonly logger: Logger;
  /** TLS, credentials and tenancy of the query listeners; plain and open when absent. */
  readonly security?: ListenerSecurity;
  /** Origins allowed by CORS (MESHTEL_QUERY_CORS_ALLOWED_ORIGINS): a comma-separated list or `*`; empty = no CORS. */
  readonly corsAllowedOrigins?: string;
}

/** The @fastify/cors origin option for the setting, or undefined when CORS is off. */
export function corsOrigin(setting: string | undefined): string | string[] | undefined {
  const origins = (setting ?? '').split(',').map((o) => o.trim()).filter((o) => o !== '');
  if (origins.length === 0) return undefined;
  return origins.includes('*') ? '*' : origins;
}

export class QueryService implements Component {
  readonly name = 'query';
  private readonly app: FastifyInstance;
  private boundPort: number | undefined;

  constructor(private readonly options: QueryServiceOptions) {
    if (!Number.isInteger(options.defaultLimit) || options.defaultLimit < 1) {
      throw new RangeError(`defaultLimit must be a positive integer, got ${options.defaultLimit}`);
    }
    if (!Number.isInteger(options.maxLimit) || options.maxLimit < options.defaultLimit) {
      throw new RangeError(`maxLimit must be an integer ≥ defaultLimit (${options.defaultLimit}), got ${options.maxLimit}`);
    }
    this.app = Fastify({ loggerInstance: options.logger as FastifyBaseLogger, ...httpsServerOption(options.security) });
    const origin = corsOrigin(options.corsAllowedOrigins);
    // Before the guard, so refusals carry CORS headers too (a browser can then read the 401).
    if (origin !== undefined) void this.app.register(cors, { origin, exposedHeaders: ['www-authenticate'] });
    guardHttpRoutes(this.app, options.security, {
      unauthorizedBody: (msg) => ({ data: null, total: 0, limit: 0, offset: 0, errors: [{ code: 401, msg }] }),
    });
    const { accessLogReader, defaultLimit, maxLimit } = options;
    const reader = accessLogReader ? withAccessLogEdges(options.reader, accessLogReader) : options.reader;
    void this.app.register(jaegerApi, { reader, defaultLimit, maxLimit });
    if (accessLogReader) void this.app.register(accessLogApi, { reader: accessLogReader, defaultLimit, maxLimit });
  }

  /** The bound port; throws before start(). */
  get port(): number {
    if (this.boundPort === undefined) throw new Error('query service not started');
    return this.boundPort;
  }

  async start(): Promise<void> {
    await this.app.listen({ host: this.options.host, port: this.options.port });
    const address = this.app.server.address();
    this.boundPort = typeof address === 'object' && address !== null ? address.port : this.options.port;
  }

  /** Stops accepting connections and lets in-flight requests finish (fastify's close). */
  async stop(): Promise<void> {
    await this.app.close();
    this.boundPort = undefined;
  }
}
