/**
 * The collector's one gRPC server (port 4317). OTLP traces register on it first; OTLP logs and
 * Envoy's Access Log Service are meant to join on the same port via {@link GrpcServer.addService},
 * as DESIGN.md's data flow shows. Services must be added before start().
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../shared/telemetry/logger.js';

export interface GrpcServerOptions {
  readonly host: string;
  /** 0 picks a free port; start() tells which. */
  readonly port: number;
  /**
   * Largest message, checked by grpc-js both on the frame as received and on the output of
   * decompression (it stops inflating past it), so it is our gzip-bomb guard too. Oversize calls
   * end with RESOURCE_EXHAUSTED, which the OTLP spec marks non-retryable without RetryInfo.
   */
  readonly maxReceiveMessageBytes: number;
  /** How long stop() waits for in-flight calls before cutting them off. */
  readonly shutdownTimeoutMs: number;
  readonly logger: Logger;
}

export class GrpcServer {
  readonly #opts: GrpcServerOptions;
  readonly #server: grpc.Server;
  #port: number | undefined;

  constructor(opts: GrpcServerOptions) {
    this.#opts = opts;
    this.#server = new grpc.Server({
      'grpc.max_receive_message_length': opts.maxReceiveMessageBytes,
    });
  }

  addService(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void {
    if (this.#port !== undefined) throw new Error('gRPC services must be added before the server starts');
    this.#server.addService(definition, implementation);
  }

  /** Binds and starts serving; resolves with the bound port. */
  start(): Promise<number> {
    const address = `${hostForUri(this.#opts.host)}:${this.#opts.port}`;
    return new Promise((resolve, reject) => {
      // grpc-js starts serving as soon as bindAsync succeeds (Server.start() is deprecated).
      this.#server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err) {
          reject(new Error(`cannot listen for gRPC on ${address}: ${err.message}`));
          return;
        }
        this.#port = port;
        this.#opts.logger.info({ address: `${hostForUri(this.#opts.host)}:${port}` }, 'gRPC server listening');
        resolve(port);
      });
    });
  }

  get port(): number | undefined {
    return this.#port;
  }

  /**
   * Stops accepting calls and waits for in-flight ones (each ends only after the buffer answered,
   * so acknowledged data is never abandoned); past the timeout, remaining calls are cancelled —
   * their senders get no OK and retry.
   */
  stop(): Promise<void> {
    if (this.#port === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#port = undefined;
        resolve();
      };
      const timer = setTimeout(() => {
        this.#opts.logger.warn(
          { timeoutMs: this.#opts.shutdownTimeoutMs },
          'gRPC calls still running at shutdown timeout; cancelling them',
        );
        this.#server.forceShutdown();
        done();
      }, this.#opts.shutdownTimeoutMs);
      this.#server.tryShutdown(done);
    });
  }
}

/** IPv6 literals need brackets in a gRPC target (`[::]:4317`). */
function hostForUri(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
