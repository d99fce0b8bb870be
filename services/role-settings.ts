/**
 * What every role reads, whatever its components: log level, the address all listeners bind to,
 * the admin port, and how long a graceful stop may take. Schema and defaults of these settings.
 */
import { z } from 'zod';

export const roleSettings = z.object({
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  host: z.string().min(1).default('0.0.0.0'),
  /** Jaeger's admin port; 0 picks a free port. */
  adminPort: z.number().int().min(0).max(65535).default(14269),
  shutdownTimeoutMs: z.number().int().min(0).default(30_000),
});

export type RoleSettings = z.output<typeof roleSettings>;
