/** Bounds of the memory stores (all-in-one): beyond them the oldest data is evicted first. */
import { z } from 'zod';

const positiveInt = z.number().int().min(1);

export const memorySpanStoreSettings = z.object({
  /** Most spans held. */
  maxSpans: positiveInt.default(500_000),
  /** Most estimated bytes held. */
  maxBytes: positiveInt.default(512 * 1024 * 1024),
});

export const memoryAccessLogStoreSettings = z.object({
  /** Most access-log entries (and plain log records) held. */
  maxRecords: positiveInt.default(200_000),
  /** Most estimated bytes held (entries carry long paths and headers; a count alone bounds nothing). */
  maxBytes: positiveInt.default(128 * 1024 * 1024),
});

export const MEMORY_SPAN_STORE_DEFAULTS = memorySpanStoreSettings.parse({});
export const MEMORY_ACCESS_LOG_STORE_DEFAULTS = memoryAccessLogStoreSettings.parse({});
