/**
 * Routes kafkajs's own log lines into meshtel's pino logger, so they are JSON lines with the
 * service bindings like every other line instead of kafkajs's console output.
 */
import { logLevel, type LogEntry, type logCreator } from 'kafkajs';
import type { Logger } from '../../telemetry/logger.js';

/**
 * kafkajs warns about this on every idempotent producer whose retries are bounded. The warning
 * is about a producer that keeps sending after giving up on a batch; KafkaBuffer never does —
 * it replaces the producer (new producer id, fresh sequence numbers) after any failed send —
 * so the line would only be noise at every reconnect.
 */
const BOUNDED_RETRY_WARNING = 'Limiting retries for the idempotent producer';

export function kafkajsLogLevel(logger: Logger): logLevel {
  // kafkajs's debug output is a line per request; only at trace is it wanted.
  if (logger.isLevelEnabled('trace')) return logLevel.DEBUG;
  if (logger.isLevelEnabled('debug')) return logLevel.INFO;
  if (logger.isLevelEnabled('warn')) return logLevel.WARN;
  return logLevel.NOTHING;
}

/**
 * Socket-level namespaces: while a broker is down they log every reconnect attempt, several
 * lines a second per client. The outcome (a refused publish, a consumer crash and restart) is
 * logged once where it is handled, so these go to debug.
 */
const PER_ATTEMPT_NAMESPACES = new Set(['Connection', 'BrokerPool']);

/**
 * Levels are shifted down one step: kafkajs reports at ERROR what it then retries (a
 * coordinator still loading, a broker connection refused), and at INFO every group join and
 * consumer start. What really fails reaches KafkaBuffer, which logs it at the level it deserves.
 */
export function kafkajsLogCreator(logger: Logger): logCreator {
  const child = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _ts, logger: _name, ...fields } = log;
      if (message.startsWith(BOUNDED_RETRY_WARNING)) return;
      const line = { namespace, ...fields };
      if (PER_ATTEMPT_NAMESPACES.has(namespace) && level <= logLevel.WARN) {
        child.debug(line, message);
        return;
      }
      switch (level) {
        case logLevel.ERROR:
        case logLevel.WARN:
          child.warn(line, message);
          break;
        case logLevel.INFO:
          child.debug(line, message);
          break;
        default:
          child.trace(line, message);
      }
    };
}
