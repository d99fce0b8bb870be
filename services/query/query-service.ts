/**
 * The query role's HTTP server: a fastify instance on host:port serving the Jaeger API (v1,
 * api_v3, Monitor metrics, transform). It reads
 * through the SpanReader it is given, so the same component serves the Elasticsearch store (query
 * role) and the memory store (all-in-one).
 */
import cors from '@fastify/cors';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { guardHttpRoutes, httpsServerOption } from '../../shared/security/http-listener.js';
import type { ListenerSecurity } from '../../shared/security/listener-security.js';
import type { Component } from '../../shared/model/component.js';
import type { JobStatus } from '../../shared/jobs/scheduler.js';
import type { SpanReader } from '../../shared/storage/spanstore.js';
import type { Logger } from '../../shared/telemetry/logger.js';
import type { AccessLogReader } from '../../shared/storage/accesslogstore.js';
import { accessLogApi } from './accesslogs/accesslog-api.js';
import { jaegerClientErrorHandler } from './client-error.js';
import { archiveApi } from './archive-api.js';
import { jobsApi } from './jobs-api.js';
import { withAccessLogEdges } from './dependencies.js';
import { jaegerApi } from './jaeger/jaeger-api.js';
import { jaegerV3Api } from './jaeger-v3/jaeger-v3-api.js';
import { monitorApi } from './monitor/monitor-api.js';
import { transformApi } from './transform/transform-api.js';
import { QUERY_DEFAULTS } from './query-settings.js';
import type { HealthThresholds } from '../../shared/graph/model.js';
import type { GraphReader } from '../../shared/storage/graphstore.js';
import type { MeshServiceNaming } from '../../shared/istio/service-naming.js';
import { graphApi } from './graph/graph-api.js';
import { withGraphEdges } from './graph/graph-dependencies.js';
import { nodeGraphApi } from './graph/nodegraph-api.js';

export interface QueryServiceOptions {
  readonly host: string;
  /** 0 picks a free port; read {@link QueryService.port} after start(). Defaults: {@link QUERY_DEFAULTS}. */
  readonly port?: number;
  readonly reader: SpanReader;
  /**
   * When set: /api/v1/accesslogs and /api/traces/{id}/accesslogs are served, and
   * /api/dependencies adds the edges seen only in access logs.
   */
  readonly accessLogReader?: AccessLogReader;
  readonly defaultLimit?: number;
  readonly maxLimit?: number;
  /** Largest clock-skew correction of a shown span; 0 (default, as Jaeger) only warns. */
  readonly maxClockSkewAdjustMs?: number;
  /** Prometheus holding the span metrics, for the Monitor tab's /api/metrics/*; '' / absent → 501. */
  readonly prometheusUrl?: string;
  /**
   * When set: /api/v1/graph (+ edge time series) and the Grafana Node Graph API under /nodegraph
   * are served, and /api/dependencies adds the graph's edges (same node ids) instead of the raw
   * access-log edges.
   */
  readonly graph?: { readonly reader: GraphReader; readonly health: HealthThresholds };
  /** How node ids are named (MESHTEL_MESH_SERVICE_NAMING), for access-log filters by node id. */
  readonly serviceNaming?: MeshServiceNaming;
  /** Largest access-log search response (MESHTEL_QUERY_MAX_RESPONSE_BYTES). */
  readonly maxResponseBytes?: number;
  /** When set, POST /api/archive/{traceID} is served and queues the trace's archiving with it. */
  readonly enqueueArchive?: (traceId: string) => Promise<void>;
  /** When set, GET /api/v1/jobs lists the background jobs with it. */
  readonly jobStatus?: () => Promise<JobStatus[]>;
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

/** Largest OTLP/JSON file POST /api/transform reads. */
const TRANSFORM_MAX_BODY_BYTES = 32 * 1024 * 1024;

export class QueryService implements Component {
  readonly name = 'query';
  private readonly app: FastifyInstance;
  private boundPort: number | undefined;
  private readonly configuredPort: number;

  constructor(private readonly options: QueryServiceOptions) {
    const { defaultLimit = QUERY_DEFAULTS.defaultLimit, maxLimit = QUERY_DEFAULTS.maxLimit } = options;
    if (!Number.isInteger(defaultLimit) || defaultLimit < 1) {
      throw new RangeError(`defaultLimit must be a positive integer, got ${defaultLimit}`);
    }
    if (!Number.isInteger(maxLimit) || maxLimit < defaultLimit) {
      throw new RangeError(`maxLimit must be an integer ≥ defaultLimit (${defaultLimit}), got ${maxLimit}`);
    }
    this.configuredPort = options.port ?? QUERY_DEFAULTS.port;
    this.app = Fastify({
      loggerInstance: options.logger as FastifyBaseLogger,
      clientErrorHandler: jaegerClientErrorHandler,
      ...httpsServerOption(options.security),
    });
    const origin = corsOrigin(options.corsAllowedOrigins);
    // Before the guard, so refusals carry CORS headers too (a browser can then read the 401).
    if (origin !== undefined) void this.app.register(cors, { origin, exposedHeaders: ['www-authenticate'] });
    guardHttpRoutes(this.app, options.security, {
      unauthorizedBody: (msg) => ({ data: null, total: 0, limit: 0, offset: 0, errors: [{ code: 401, msg }] }),
    });
    const { accessLogReader } = options;
    // The graph's store queries know no tenant yet: with multi-tenancy they are not served (and
    // /api/dependencies keeps to the tenant-scoped span and access-log edges) rather than
    // showing one tenant another's services.
    const tenancy = options.security?.tenancy === true;
    const graph = tenancy ? undefined : options.graph;
    if (tenancy && options.graph) {
      const notServed = async (_request: FastifyRequest, reply: FastifyReply) =>
        reply.code(501).send({ errors: [{ code: 501, msg: 'the mesh graph is not available with multi-tenancy (MESHTEL_MULTITENANCY_ENABLED) yet' }] });
      this.app.get('/api/v1/graph', notServed);
      this.app.get('/api/v1/graph/*', notServed);
      this.app.get('/nodegraph/*', notServed);
    }
    const reader = graph
      ? withGraphEdges(options.reader, graph.reader)
      : accessLogReader
        ? withAccessLogEdges(options.reader, accessLogReader)
        : options.reader;
    const traceView = { maxClockSkewAdjustNanos: BigInt(options.maxClockSkewAdjustMs ?? 0) * 1_000_000n };
    void this.app.register(jaegerApi, { reader, defaultLimit, maxLimit, traceView });
    void this.app.register(jaegerV3Api, { reader, defaultLimit, maxLimit, traceView });
    void this.app.register(monitorApi, { prometheusUrl: options.prometheusUrl ?? '' });
    void this.app.register(transformApi, { maxBodyBytes: TRANSFORM_MAX_BODY_BYTES });
    if (accessLogReader) {
      void this.app.register(accessLogApi, {
        reader: accessLogReader, defaultLimit, maxLimit, serviceNaming: options.serviceNaming, maxResponseBytes: options.maxResponseBytes,
      });
    }
    if (options.enqueueArchive) void this.app.register(archiveApi, { enqueueArchive: options.enqueueArchive });
    if (options.jobStatus) void this.app.register(jobsApi, { jobStatus: options.jobStatus });
    if (graph) {
      void this.app.register(graphApi, graph);
      void this.app.register(nodeGraphApi, { ...graph, prefix: '/nodegraph' });
    }
  }

  /** The bound port; throws before start(). */
  get port(): number {
    if (this.boundPort === undefined) throw new Error('query service not started');
    return this.boundPort;
  }

  async start(): Promise<void> {
    await this.app.listen({ host: this.options.host, port: this.configuredPort });
    const address = this.app.server.address();
    this.boundPort = typeof address === 'object' && address !== null ? address.port : this.configuredPort;
  }

  /** Stops accepting connections and lets in-flight requests finish (fastify's close). */
  async stop(): Promise<void> {
    await this.app.close();
    this.boundPort = undefined;
  }
}
