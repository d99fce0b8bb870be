/** The query service's settings: its port and the /api/traces limits (Jaeger's default of 100). */
import { z } from 'zod';

const positiveInt = z.number().int().min(1);

export const querySettings = z.object({
  /** 0 picks a free port. */
  port: z.number().int().min(0).max(65535).default(16686),
  /** Traces returned when a request gives no limit. */
  defaultLimit: positiveInt.default(100),
  /** Largest limit a request may ask for. */
  maxLimit: positiveInt.default(1500),
});

export const QUERY_DEFAULTS = querySettings.parse({});
