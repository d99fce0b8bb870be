/**
 * What every role reads, whatever its components: log level, the address all listeners bind to,
 * the admin port, and how long a graceful stop may take. Schema and defaults of these settings.
 */
import { z } from 'zod';

export const roleSettings = z.object({
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  host: z.string().min(1).default('0.0.0.0'),
  /** 'auto' = the role's own (as Jaeger: collector 14269, ingester 14270, query 16687); 0 picks a free port. */
  adminPort: z.union([z.literal('auto'), z.coerce.number().int().min(0).max(65535)]).default('auto'),
  shutdownTimeoutMs: z.number().int().min(0).default(30_000),
});

export type RoleSettings = z.output<typeof roleSettings>;

/** Admin port per role when none is set, Jaeger's numbers, so three roles fit on one host. */
export const ADMIN_PORT_DEFAULTS: Readonly<Record<string, number>> = { 'all-in-one': 14269, collector: 14269, ingester: 14270, query: 16687 };

/** The admin port a role listens on: the setting, or the role's default when it is 'auto'. */
export function adminPortFor(role: string, setting: number | 'auto'): number {
  return setting === 'auto' ? (ADMIN_PORT_DEFAULTS[role] ?? 14269) : setting;
}
