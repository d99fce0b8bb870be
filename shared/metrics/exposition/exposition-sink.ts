/**
 * A Prometheus scrape endpoint of its own for the derived metrics (all-in-one without a
 * remote-write URL): `GET /metrics` renders the registry's current snapshot. It is a separate
 * server from the admin port so a scrape job for mesh metrics never mixes in meshtel's own.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../../telemetry/logger.js';
import type { MetricsSource } from '../registry.js';
import type { MetricsSink } from '../sink.js';
import { EXPOSITION_DEFAULTS } from './exposition-settings.js';
import { EXPOSITION_CONTENT_TYPE, renderExposition } from './render.js';

export interface ExpositionSinkOptions {
  readonly source: MetricsSource;
  readonly host: string;
  /** 0 picks a free port; read `port` after start(). Default {@link EXPOSITION_DEFAULTS}. */
  readonly port?: number;
  readonly logger: Logger;
}

export class ExpositionSink implements MetricsSink {
  readonly name = 'metrics-exposition';
  private readonly app: FastifyInstance;
  private boundPort = 0;
  private listening = false;

  constructor(private readonly options: ExpositionSinkOptions) {
    const loggerInstance: FastifyBaseLogger = options.logger.child({ component: 'metrics-exposition' });
    this.app = Fastify({ loggerInstance, disableRequestLogging: true });
    this.app.get('/metrics', async (_req, reply) => {
      reply.header('content-type', EXPOSITION_CONTENT_TYPE);
      return renderExposition(options.source.snapshot());
    });
  }

  /** The app, for fastify `inject` in tests. */
  get server(): FastifyInstance {
    return this.app;
  }

  async start(): Promise<void> {
    const port = this.options.port ?? EXPOSITION_DEFAULTS.port;
    await this.app.listen({ host: this.options.host, port });
    const address = this.app.server.address();
    this.boundPort = typeof address === 'object' && address ? address.port : port;
    this.listening = true;
  }

  get port(): number {
    return this.boundPort;
  }

  async stop(): Promise<void> {
    this.listening = false;
    await this.app.close();
  }

  async isReady(): Promise<boolean> {
    return this.listening;
  }
}
