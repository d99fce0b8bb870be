/** pino, one JSON line per event; the same logger instance fastify uses. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, bindings: Record<string, string> = {}): Logger {
  return pino({ level, base: { service: 'meshtel', ...bindings } });
}
