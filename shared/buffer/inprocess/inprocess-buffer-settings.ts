/** InProcessBuffer's settings (all-in-one's buffer): its byte bound and batch/redelivery pacing. */
import { z } from 'zod';

const positiveInt = z.number().int().min(1);

export const inProcessBufferSettings = z.object({
  /** Bytes held before publish() refuses with BufferFullError. */
  capacityBytes: positiveInt.default(64 * 1024 * 1024),
  /** Most records handed to a handler at once. */
  maxBatchRecords: positiveInt.default(2048),
  /** Wait before redelivering a batch whose handler failed; doubles up to 5 s. */
  retryBackoffMs: positiveInt.default(100),
});

export const IN_PROCESS_BUFFER_DEFAULTS = inProcessBufferSettings.parse({});
