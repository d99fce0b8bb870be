/** The derived-metrics scrape endpoint's settings, with their defaults. */
import { z } from 'zod';

export const expositionSettings = z.object({
  /** 0 picks a free port. */
  port: z.number().int().min(0).max(65535).default(8889),
});

export const EXPOSITION_DEFAULTS = expositionSettings.parse({});
