/** The service-graph deriver's settings (Tempo's `wait` and `max_items`), with their defaults. */
import { z } from 'zod';

const positiveInt = z.number().int().min(1);

export const serviceGraphSettings = z.object({
  /** How long a client span waits for its server span (and back) before it counts as unpaired. */
  waitMs: positiveInt.default(10_000),
  /** Most halves waiting for their partner; beyond it new ones are dropped and counted. */
  maxItems: positiveInt.default(10_000),
});

export const SERVICE_GRAPH_DEFAULTS = serviceGraphSettings.parse({});
