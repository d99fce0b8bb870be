/**
 * The collector's receivers as one Component: OTLP/HTTP on otlpHttpPort and OTLP/gRPC on
 * otlpGrpcPort, both feeding one TraceIntake in front of the buffer. The buffer itself is a
 * separate component the role starts before this one and stops after it.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { TelemetryBuffer } from '../../shared/buffer/buffer.js';
import type { MeshtelConfig } from '../../shared/config/settings.js';
import type { Component } from '../../shared/model/component.js';
import type { Logger } from '../../shared/telemetry/logger.js';
import type { MeshtelMetrics } from '../../shared/telemetry/metrics.js';
import { GrpcServer } from './grpc-server.js';
import { addOtlpTraceService } from './otlp-grpc.js';
import { otlpHttpTraces } from './otlp-http.js';
import { TraceIntake } from './trace-intake.js';

export type CollectorConfig = Pick<
  MeshtelConfig,
  | 'host'
  | 'otlpHttpPort'
  | 'otlpGrpcPort'
  | 'maxRequestBodyBytes'
  | 'maxDecompressedBodyBytes'
  | 'maxSpansPerRequest'
  | 'maxAttributesPerSpan'
  | 'maxAttributeValueLength'
  | 'shutdownTimeoutMs'
>;

export interface CollectorOptions {
  readonly config: CollectorConfig;
  readonly buffer: TelemetryBuffer;
  readonly metrics: MeshtelMetrics;
  readonly logger: Logger;
}

export interface BoundAddress {
  readonly host: string;
  readonly port: number;
}

export interface CollectorAddresses {
  readonly otlpHttp: BoundAddress;
  readonly otlpGrpc: BoundAddress;
}

export class Collector implements Component {
  readonly name = 'collector';
  /** Register further HTTP receivers (e.g. /v1/logs) here before start(). */
  readonly http: FastifyInstance;
  /** Add further gRPC services (OTLP logs, Envoy ALS) here before start(). */
  readonly grpc: GrpcServer;
  readonly intake: TraceIntake;
  readonly #config: CollectorConfig;
  readonly #logger: Logger;
  #addresses: CollectorAddresses | undefined;
  #stopping = false;

  constructor(opts: CollectorOptions) {
    const { config, buffer, metrics, logger } = opts;
    this.#config = config;
    this.#logger = logger;
    this.intake = new TraceIntake({
      buffer,
      metrics,
      logger,
      limits: {
        maxSpansPerRequest: config.maxSpansPerRequest,
        maxAttributesPerSpan: config.maxAttributesPerSpan,
        maxAttributeValueLength: config.maxAttributeValueLength,
      },
    });

    const httpLogger: FastifyBaseLogger = logger.child({ component: 'otlp-http' });
    this.http = Fastify({
      loggerInstance: httpLogger,
      // One log line per export request would drown everything else at mesh traffic rates;
      // refusals are logged by the receiver itself.
      logController: new LogController({ disableRequestLogging: true }),
      bodyLimit: config.maxRequestBodyBytes,
    });
    // While stopping, a keep-alive connection would keep close() waiting after its in-flight
    // request was answered; asking the client to close it lets stop() finish as soon as the
    // last answer is out.
    this.http.addHook('onSend', async (_request, reply) => {
      if (this.#stopping) reply.header('connection', 'close');
    });
    void this.http.register(otlpHttpTraces, {
      intake: this.intake,
      metrics,
      limits: {
        maxRequestBodyBytes: config.maxRequestBodyBytes,
        maxDecompressedBodyBytes: config.maxDecompressedBodyBytes,
      },
    });

    this.grpc = new GrpcServer({
      host: config.host,
      port: config.otlpGrpcPort,
      // grpc-js applies one limit to the frame and to its decompressed content; the
      // decompressed limit is the one that protects memory, and is never the smaller one.
      maxReceiveMessageBytes: Math.max(config.maxDecompressedBodyBytes, config.maxRequestBodyBytes),
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      logger: logger.child({ component: 'otlp-grpc' }),
    });
    addOtlpTraceService(this.grpc, { intake: this.intake, metrics, logger: logger.child({ component: 'otlp-grpc' }) });
  }

  async start(): Promise<void> {
    await this.http.listen({ host: this.#config.host, port: this.#config.otlpHttpPort });
    let grpcPort: number;
    try {
      grpcPort = await this.grpc.start();
    } catch (err) {
      await this.http.close();
      throw err;
    }
    const httpPort = (this.http.server.address() as AddressInfo).port;
    this.#addresses = {
      otlpHttp: { host: this.#config.host, port: httpPort },
      otlpGrpc: { host: this.#config.host, port: grpcPort },
    };
    this.#logger.info(this.#addresses, 'collector receivers listening');
  }

  /** `host:port` per receiver, for the role's startup log line (after start()). */
  endpoints(): { otlpHttp: string; otlpGrpc: string } {
    const { otlpHttp, otlpGrpc } = this.addresses();
    return { otlpHttp: `${otlpHttp.host}:${otlpHttp.port}`, otlpGrpc: `${otlpGrpc.host}:${otlpGrpc.port}` };
  }

  /** Bound addresses once start() resolved (ports resolved when configured as 0). */
  addresses(): CollectorAddresses {
    if (!this.#addresses) throw new Error('collector is not started');
    return this.#addresses;
  }

  /**
   * Both listeners stop accepting at once, then in-flight requests finish (each answers only
   * after the buffer did). HTTP connections still busy at the shutdown timeout are cut; their
   * senders got no success and will retry.
   */
  async stop(): Promise<void> {
    if (!this.#addresses) return;
    this.#addresses = undefined;
    this.#stopping = true;
    const timer = setTimeout(() => this.http.server.closeAllConnections(), this.#config.shutdownTimeoutMs);
    try {
      await Promise.all([this.http.close(), this.grpc.stop()]);
    } finally {
      clearTimeout(timer);
    }
  }
}
