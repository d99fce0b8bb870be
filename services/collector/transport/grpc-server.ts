/**
 * The collector's one gRPC server (port 4317). OTLP traces register on it first; OTLP logs and
 * Envoy's Access Log Service are meant to join on the same port via {@link GrpcServer.addService},
 * as DESIGN.md's data flow shows. Services must be added before start().
 */
import * as grpc from '@grpc/grpc-js';
import type * as http2 from 'node:http2';
import { grpcGuardInterceptors, grpcServerCredentials } from '../../../shared/security/grpc-listener.js';
import type { ListenerSecurity } from '../../../shared/security/listener-security.js';
import type { Logger } from '../../../shared/telemetry/logger.js';
import { guardGrpcStreams, type GrpcStreamGuardOptions } from './grpc-stream-guard.js';

/**
 * HTTP/2 receive windows: per stream (SETTINGS_INITIAL_WINDOW_SIZE, grpc-java's default) and per
 * connection. Node's default is 64 KiB for both, and grpc-js 1.14 has no server option for them
 * (grpc-node PR #3058 adds `grpc-node.flow_control_window`, not released yet). With 64 KiB an
 * exporter's whole connection — all its concurrent ~300 KiB export requests — stalls whenever the
 * event loop is busy decoding, because the window only reopens when Node reads: all-in-one sat
 * idle 20–24 % of the time under gRPC load (test/bench, BENCH_PROFILE=1), against 11 % with these.
 * They bound what one connection may have in flight unread, well below maxReceiveMessageBytes.
 */
const STREAM_WINDOW_BYTES = 1024 * 1024;
const CONNECTION_WINDOW_BYTES = 8 * 1024 * 1024;

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
  /** TLS, credentials and tenancy of the receiver listeners; plain and open when absent. */
  readonly security?: ListenerSecurity;
  /** Connection and stream limits (documented settings); grpc-js defaults where absent. */
  readonly connections?: GrpcConnectionLimits;
  /** Byte budget, message timeout and framing checks applied before grpc-js reads a message. */
  readonly guard?: Omit<GrpcStreamGuardOptions, 'logger'>;
}

export interface GrpcConnectionLimits {
  /** Open connections at once; further ones are closed as they arrive. */
  readonly maxConnections: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS announced to every client. */
  readonly maxConcurrentStreams: number;
  /** Server pings an idle-looking connection this often… */
  readonly keepaliveTimeMs: number;
  /** …and drops it when the ping is not answered within this. */
  readonly keepaliveTimeoutMs: number;
  /** A connection without any call for this long is closed (GOAWAY); clients reconnect on need. */
  readonly idleTimeoutMs: number;
}

export class GrpcServer {
  readonly #opts: GrpcServerOptions;
  readonly #server: grpc.Server;
  readonly #drainHooks: Array<() => void> = [];
  #port: number | undefined;
  #releaseCredentialsWatch: (() => void) | undefined;

  constructor(opts: GrpcServerOptions) {
    this.#opts = opts;
    const limits = opts.connections;
    this.#server = new grpc.Server({
      'grpc.max_receive_message_length': opts.maxReceiveMessageBytes,
      ...(limits && {
        'grpc.max_concurrent_streams': limits.maxConcurrentStreams,
        'grpc.keepalive_time_ms': limits.keepaliveTimeMs,
        'grpc.keepalive_timeout_ms': limits.keepaliveTimeoutMs,
        'grpc.max_connection_idle_ms': limits.idleTimeoutMs,
      }),
      // Read by grpc-js releases that have grpc-node PR #3058; widenFlowControlWindows until then.
      'grpc-node.flow_control_window': STREAM_WINDOW_BYTES,
      interceptors: grpcGuardInterceptors(opts.security),
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
      this.#server.bindAsync(address, grpcServerCredentials(this.#opts.security), (err, port) => {
        if (err) {
          reject(new Error(`cannot listen for gRPC on ${address}: ${err.message}`));
          return;
        }
        this.#port = port;
        this.#releaseCredentialsWatch = this.#opts.security?.credentials?.watch();
        this.widenFlowControlWindows();
        this.applyLimits();
        this.#opts.logger.info({ address: `${hostForUri(this.#opts.host)}:${port}` }, 'gRPC server listening');
        resolve(port);
      });
    });
  }

  /**
   * Opens the receive windows above on every new connection. grpc-js keeps its HTTP/2 servers in a
   * private field; if a later version renames it this does nothing and the defaults apply (and
   * the option it also reads will take over once released).
   */
  private widenFlowControlWindows(): void {
    const internals = this.#server as unknown as { http2Servers?: unknown };
    if (!(internals.http2Servers instanceof Map)) {
      this.#opts.logger.debug('grpc-js internals changed: HTTP/2 flow-control windows left at their defaults');
      return;
    }
    for (const server of (internals.http2Servers as Map<http2.Http2Server, unknown>).keys()) {
      server.on('session', (session: http2.ServerHttp2Session) => {
        session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
        session.settings({ initialWindowSize: STREAM_WINDOW_BYTES });
      });
    }
  }

  /** Connection cap and stream guard, on the same private HTTP/2 servers as above. */
  private applyLimits(): void {
    const internals = this.#server as unknown as { http2Servers?: unknown };
    if (!(internals.http2Servers instanceof Map)) {
      this.#opts.logger.warn('grpc-js internals changed: gRPC connection cap and stream guard not applied');
      return;
    }
    for (const server of (internals.http2Servers as Map<http2.Http2Server, unknown>).keys()) {
      if (this.#opts.connections) server.maxConnections = this.#opts.connections.maxConnections;
      if (this.#opts.guard) guardGrpcStreams(server, { ...this.#opts.guard, logger: this.#opts.logger });
    }
  }

  /**
   * Called when stop() begins, before waiting for calls: long-lived streams whose clients never
   * half-close (Envoy's ALS) end themselves here, or shutdown would wait for the timeout.
   */
  onDrain(hook: () => void): void {
    this.#drainHooks.push(hook);
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
        this.#releaseCredentialsWatch?.();
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
      // After tryShutdown, so no new call starts between a hook and the GOAWAY.
      for (const hook of this.#drainHooks) {
        try {
          hook();
        } catch (err) {
          this.#opts.logger.error({ err }, 'gRPC drain hook failed');
        }
      }
    });
  }
}

/** IPv6 literals need brackets in a gRPC target (`[::]:4317`). */
function hostForUri(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
