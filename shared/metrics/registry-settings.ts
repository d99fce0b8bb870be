/** The derived-metrics registry's series bound, with its default. */
import { z } from 'zod';

export const registrySettings = z.object({
  /** Series per family before new label sets fold into the overflow series. */
  defaultMaxSeries: z.number().int().min(1).default(10_000),
});

export const REGISTRY_DEFAULTS = registrySettings.parse({});
