/**
 * The collector's receivers as one Component, in front of the buffer:
 * - spans: OTLP/HTTP /v1/traces (otlpHttpPort), OTLP/gRPC TraceService (otlpGrpcPort) and Zipkin v2
 *   (zipkinPort), all through one TraceIntake;
 * - access logs and logs: OTLP/HTTP /v1/logs and /v1/accesslogs (otlpHttpPort), OTLP/gRPC
 *   LogsService and Envoy's AccessLogService (otlpGrpcPort), all through one AccessLogIntake;
 * - metrics: OTLP/HTTP /v1/metrics and OTLP/gRPC MetricsService, through one MetricsIntake.
 * The buffer itself is a separate component the role starts before this one and stops after it.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { TelemetryBuffer } from '../../shared/buffer/buffer.js';
import type { Component } from '../../shared/model/component.js';
import { guardHttpRoutes, httpsServerOption } from '../../shared/security/http-listener.js';
import type { ListenerSecurity } from '../../shared/security/listener-security.js';
import type { Logger } from '../../shared/telemetry/logger.js';
import type { ReceiverMetrics } from './receiver-metrics.js';
import { ByteBudget } from './transport/byte-budget.js';
import { GrpcServer } from './transport/grpc-server.js';
import { httpListenerOptions } from './transport/http-listener.js';
import { addOtlpTraceService } from './receivers/otlp/otlp-grpc.js';
import { otlpHttpTraces } from './receivers/otlp/otlp-http.js';
import { compileEnvoyFormat } from '../../shared/accesslog/envoy-format.js';
import { AccessLogIntake } from './intake/access-log-intake.js';
import { accessLogLines } from './receivers/accesslog-lines/accesslog-lines.js';
import { addEnvoyAlsService } from './receivers/envoy-als/envoy-als.js';
import { addOtlpLogsService } from './receivers/otlp/otlp-logs-grpc.js';
import { otlpHttpLogs } from './receivers/otlp/otlp-logs-http.js';
import { MetricsIntake } from './intake/metrics-intake.js';
import { addOtlpMetricsService } from './receivers/otlp/otlp-metrics-grpc.js';
import { otlpHttpMetrics } from './receivers/otlp/otlp-metrics-http.js';
import { TraceIntake } from './intake/trace-intake.js';
import { zipkinHttp } from './receivers/zipkin/zipkin-http.js';
import { durationMs } from '../../shared/config/duration-setting.js';
import { collectorSettings, type CollectorConfig, type CollectorSettings } from './collector-settings.js';
import type { RoleSettings } from '../role-settings.js';

export type { CollectorConfig } from './collector-settings.js';

export interface CollectorOptions {
  readonly config: CollectorConfig;
  readonly buffer: TelemetryBuffer;
  readonly metrics: ReceiverMetrics;
  readonly logger: Logger;
  /** TLS, credentials and tenancy of every receiver listener; plain and open when absent. */
  readonly security?: ListenerSecurity;
}

export interface BoundAddress {
  readonly host: string;
  readonly port: number;
}

export interface CollectorAddresses {
  readonly otlpHttp: BoundAddress;
  readonly otlpGrpc: BoundAddress;
  readonly zipkin: BoundAddress;
}

export class Collector implements Component {
  readonly name = 'collector';
  /** Register further HTTP receivers (e.g. /v1/logs) here before start(). */
  readonly http: FastifyInstance;
  /** Add further gRPC services (OTLP logs, Envoy ALS) here before start(). */
  readonly grpc: GrpcServer;
  /** Zipkin v2 on its own port, as Zipkin senders (Envoy's zipkin tracer) expect :9411. */
  readonly zipkin: FastifyInstance;
  readonly intake: TraceIntake;
  readonly accessLogIntake: AccessLogIntake;
  readonly metricsIntake: MetricsIntake;
  /** Request bytes held at once across every receiver (MESHTEL_MAX_BODY_BYTES_IN_FLIGHT). */
  readonly budget: ByteBudget;
  readonly #config: CollectorSettings & Pick<RoleSettings, 'host' | 'shutdownTimeoutMs'>;
  readonly #logger: Logger;
  #addresses: CollectorAddresses | undefined;
  #stopping = false;
  readonly #security: ListenerSecurity | undefined;

  constructor(opts: CollectorOptions) {
    const { buffer, metrics, logger } = opts;
    // Settings left out take the collector's defaults; the role's basics are passed as they are.
    const config = { ...collectorSettings.parse(opts.config), host: opts.config.host, shutdownTimeoutMs: opts.config.shutdownTimeoutMs };
    this.#config = config;
    this.#logger = logger;
    this.#security = opts.security;
    this.intake = new TraceIntake({
      buffer,
      metrics,
      logger,
      limits: {
        maxSpansPerRequest: config.maxSpansPerRequest,
        maxAttributesPerSpan: config.maxAttributesPerSpan,
        maxAttributeValueLength: config.maxAttributeValueLength,
      },
      maxClockSkewMs: durationMs(config.maxClockSkew),
    });

    this.budget = new ByteBudget(config.maxBodyBytesInFlight);
    const limits = {
      maxRequestBodyBytes: config.maxRequestBodyBytes,
      maxDecompressedBodyBytes: config.maxDecompressedBodyBytes,
      budget: this.budget,
    };
    this.accessLogIntake = new AccessLogIntake({ buffer, metrics, logger, maxFieldLength: config.maxAttributeValueLength });
    this.metricsIntake = new MetricsIntake({ buffer, limits: { maxDataPointsPerRequest: config.maxDataPointsPerRequest }, logger });
    const logLimits = {
      maxLogRecordsPerRequest: config.maxLogRecordsPerRequest,
      maxAttributesPerLogRecord: config.maxAttributesPerSpan,
      maxAttributeValueLength: config.maxAttributeValueLength,
    };

    this.http = this.#httpServer(logger.child({ component: 'otlp-http' }), config.maxRequestBodyBytes);
    void this.http.register(otlpHttpTraces, { intake: this.intake, metrics, limits });
    void this.http.register(otlpHttpLogs, { intake: this.accessLogIntake, metrics, limits: { ...limits, ...logLimits } });
    void this.http.register(otlpHttpMetrics, { intake: this.metricsIntake, metrics, limits });
    void this.http.register(accessLogLines, {
      intake: this.accessLogIntake,
      metrics,
      limits: { ...limits, maxLineBytes: config.maxAccessLogLineBytes, maxLinesPerRequest: config.maxAccessLogLinesPerRequest },
      // Validated by collectorSettings above, so compiling here cannot fail.
      format: config.accessLogFormat.trim() ? compileEnvoyFormat(config.accessLogFormat) : undefined,
    });

    this.zipkin = this.#httpServer(logger.child({ component: 'zipkin' }), config.maxRequestBodyBytes);
    void this.zipkin.register(zipkinHttp, { intake: this.intake, metrics, limits });

    this.grpc = new GrpcServer({
      host: config.host,
      port: config.otlpGrpcPort,
      // grpc-js applies one limit to the frame and to its decompressed content; the
      // decompressed limit is the one that protects memory, and is never the smaller one.
      maxReceiveMessageBytes: Math.max(config.maxDecompressedBodyBytes, config.maxRequestBodyBytes),
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      logger: logger.child({ component: 'otlp-grpc' }),
      security: opts.security,
      connections: {
        maxConnections: config.receiverMaxConnections,
        maxConcurrentStreams: config.grpcMaxConcurrentStreams,
        keepaliveTimeMs: config.grpcKeepaliveTimeMs,
        keepaliveTimeoutMs: config.grpcKeepaliveTimeoutMs,
        idleTimeoutMs: config.receiverIdleTimeoutMs,
      },
      guard: {
        budget: this.budget,
        maxDecompressedBytes: config.maxDecompressedBodyBytes,
        messageTimeoutMs: config.receiverBodyTimeoutMs,
        onRefused: (reason) => metrics.requestsRefused.inc({ transport: 'otlp_grpc', reason: reason === 'message_timeout' ? 'body_timeout' : reason }),
      },
    });
    const grpcLogger = logger.child({ component: 'otlp-grpc' });
    addOtlpTraceService(this.grpc, { intake: this.intake, metrics, logger: grpcLogger });
    addOtlpLogsService(this.grpc, { intake: this.accessLogIntake, metrics, logger: grpcLogger, limits: logLimits });
    addOtlpMetricsService(this.grpc, { intake: this.metricsIntake, metrics, logger: grpcLogger });
    addEnvoyAlsService(this.grpc, { intake: this.accessLogIntake, metrics, logger: logger.child({ component: 'envoy-als' }) });
  }

  #httpServer(httpLogger: FastifyBaseLogger, bodyLimit: number): FastifyInstance {
    const app = Fastify({
      loggerInstance: httpLogger,
      // One log line per export request would drown everything else at mesh traffic rates;
      // refusals are logged by the receiver itself.
      logController: new LogController({ disableRequestLogging: true }),
      bodyLimit,
      ...httpsServerOption(this.#security),
      ...httpListenerOptions(this.#config),
    });
    // google.rpc.Status JSON with code 16 (UNAUTHENTICATED), the OTLP/HTTP error shape.
    guardHttpRoutes(app, this.#security, { unauthorizedBody: (message) => ({ code: 16, message }) });
    // While stopping, a keep-alive connection would keep close() waiting after its in-flight
    // request was answered; asking the client to close it lets stop() finish as soon as the
    // last answer is out.
    app.addHook('onSend', async (_request, reply) => {
      if (this.#stopping) reply.header('connection', 'close');
    });
    return app;
  }

  async start(): Promise<void> {
    const host = this.#config.host;
    try {
      await this.http.listen({ host, port: this.#config.otlpHttpPort });
      await this.zipkin.listen({ host, port: this.#config.zipkinPort });
      this.http.server.maxConnections = this.#config.receiverMaxConnections;
      this.zipkin.server.maxConnections = this.#config.receiverMaxConnections;
      const grpcPort = await this.grpc.start();
      this.#addresses = {
        otlpHttp: { host, port: (this.http.server.address() as AddressInfo).port },
        otlpGrpc: { host, port: grpcPort },
        zipkin: { host, port: (this.zipkin.server.address() as AddressInfo).port },
      };
    } catch (err) {
      await Promise.all([this.http.close(), this.zipkin.close()]);
      throw err;
    }
    this.#logger.info(this.#addresses, 'collector receivers listening');
  }

  /** `host:port` per receiver, for the role's startup log line (after start()). */
  endpoints(): Record<keyof CollectorAddresses, string> {
    const { otlpHttp, otlpGrpc, zipkin } = this.addresses();
    const text = (a: BoundAddress) => `${a.host}:${a.port}`;
    return { otlpHttp: text(otlpHttp), otlpGrpc: text(otlpGrpc), zipkin: text(zipkin) };
  }

  /** Bound addresses once start() resolved (ports resolved when configured as 0). */
  addresses(): CollectorAddresses {
    if (!this.#addresses) throw new Error('collector is not started');
    return this.#addresses;
  }

  /**
   * All listeners stop accepting at once, then in-flight requests finish (each answers only
   * after the buffer did). HTTP connections still busy at the shutdown timeout are cut; their
   * senders got no success and will retry.
   */
  async stop(): Promise<void> {
    if (!this.#addresses) return;
    this.#addresses = undefined;
    this.#stopping = true;
    const timer = setTimeout(() => {
      this.http.server.closeAllConnections();
      this.zipkin.server.closeAllConnections();
    }, this.#config.shutdownTimeoutMs);
    try {
      await Promise.all([this.http.close(), this.zipkin.close(), this.grpc.stop()]);
    } finally {
      clearTimeout(timer);
    }
  }
}
