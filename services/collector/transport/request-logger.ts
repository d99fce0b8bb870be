/**
 * The per-request logger of the collector's HTTP listeners, made only when a request logs.
 *
 * fastify gives every request a child logger carrying its request id (pino `child`, which copies
 * bindings and serializers): ~2 % of all-in-one's CPU time under load, for requests that with
 * request logging off almost never log anything. This factory hands fastify a stand-in that
 * answers the level questions from the parent and builds the real child (with the same bindings
 * and options) the first time a line at an enabled level is written, so a line that is written
 * reads exactly as before.
 */
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';

type ChildLoggerFactory = NonNullable<FastifyServerOptions['childLoggerFactory']>;
type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1];
type LevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** fastify's `childLoggerFactory`: a lazily made child per request. */
export const lazyRequestLogger: ChildLoggerFactory = (logger, bindings, opts) => {
  // A level or serializers of the route's own change what the child writes, and a logger that
  // cannot say which levels it writes cannot be put off: make the child now.
  if (opts.level !== undefined || opts.serializers !== undefined || !knowsLevels(logger)) return logger.child(bindings, opts);
  return new LazyChildLogger(logger, bindings, opts);
};

/** pino's loggers (ours) answer isLevelEnabled; fastify's logger type does not promise it. */
type LevelAwareLogger = FastifyBaseLogger & { isLevelEnabled(level: string): boolean };

function knowsLevels(logger: FastifyBaseLogger): logger is LevelAwareLogger {
  return typeof (logger as Partial<LevelAwareLogger>).isLevelEnabled === 'function';
}

class LazyChildLogger implements FastifyBaseLogger {
  #made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: LevelAwareLogger,
    private readonly bindings: Bindings,
    private readonly opts: ChildOptions,
  ) {}

  get level(): string {
    return (this.#made ?? this.parent).level;
  }

  set level(level: string) {
    this.#logger().level = level;
  }

  isLevelEnabled(level: string): boolean {
    return this.#made !== undefined && knowsLevels(this.#made) ? this.#made.isLevelEnabled(level) : this.parent.isLevelEnabled(level);
  }

  child(bindings: Bindings, opts?: ChildOptions): FastifyBaseLogger {
    return this.#logger().child(bindings, opts);
  }

  readonly fatal = this.#method('fatal');
  readonly error = this.#method('error');
  readonly warn = this.#method('warn');
  readonly info = this.#method('info');
  readonly debug = this.#method('debug');
  readonly trace = this.#method('trace');
  readonly silent: FastifyBaseLogger['silent'] = () => {};

  #logger(): FastifyBaseLogger {
    return (this.#made ??= this.parent.child(this.bindings, this.opts));
  }

  #method(level: LevelName): FastifyBaseLogger[LevelName] {
    return ((...args: Parameters<FastifyBaseLogger[LevelName]>) => {
      // The child has the parent's level until someone sets its own (which makes it).
      if (this.#made === undefined && !this.parent.isLevelEnabled(level)) return;
      this.#logger()[level](...args);
    }) as FastifyBaseLogger[LevelName];
  }
}
