/**
 * The query role's HTTP server: a fastify instance on host:port serving the Jaeger API. It reads
 * through the SpanReader it is given, so the same component serves the Elasticsearch store (query
 * role) and the memory store (all-in-one).
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Component } from '../../shared/model/component.js';
import type { JobStatus } from '../../shared/jobs/scheduler.js';
import type { SpanReader } from '../../shared/storage/spanstore.js';
import type { Logger } from '../../shared/telemetry/logger.js';
import type { AccessLogReader } from '../../shared/storage/accesslogstore.js';
import { accessLogApi } from './accesslog-api.js';
import { archiveApi } from './archive-api.js';
import { jobsApi } from './jobs-api.js';
import { withAccessLogEdges } from './dependencies.js';
import { jaegerApi } from './jaeger-api.js';

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
  /** When set, POST /api/archive/{traceID} is served and queues the trace's archiving with it. */
  readonly enqueueArchive?: (traceId: string) => Promise<void>;
  /** When set, GET /api/v1/jobs lists the background jobs with it. */
  readonly jobStatus?: () => Promise<JobStatus[]>;
  readonly defaultLimit: number;
  readonly maxLimit: number;
  readonly logger: Logger;
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
    this.app = Fastify({ loggerInstance: options.logger as FastifyBaseLogger });
    const { accessLogReader, defaultLimit, maxLimit } = options;
    const reader = accessLogReader ? withAccessLogEdges(options.reader, accessLogReader) : options.reader;
    void this.app.register(jaegerApi, { reader, defaultLimit, maxLimit });
    if (accessLogReader) void this.app.register(accessLogApi, { reader: accessLogReader, defaultLimit, maxLimit });
    if (options.enqueueArchive) void this.app.register(archiveApi, { enqueueArchive: options.enqueueArchive });
    if (options.jobStatus) void this.app.register(jobsApi, { jobStatus: options.jobStatus });
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
