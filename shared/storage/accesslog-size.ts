/**
 * A cheap estimate of the heap an access-log record costs, for the memory store's byte bound. It
 * only needs to grow with the record's real size: one pass over its string fields, far cheaper
 * than serializing it.
 */
import type { AccessLogRecord, Workload } from '../model/access-log.js';

/** Object headers, numbers, the bigint, the flag array and the store's own index entries. */
const RECORD_OVERHEAD_BYTES = 480;
const WORKLOAD_OVERHEAD_BYTES = 64;
const ENTRY_OVERHEAD_BYTES = 48;

export function estimateAccessLogBytes(record: AccessLogRecord): number {
  let chars = 0;
  // Every top-level string field, whatever it is: new optional fields are charged without a change here.
  for (const value of Object.values(record)) if (typeof value === 'string') chars += value.length;
  for (const flag of record.responseFlags) chars += flag.length;
  let bytes = RECORD_OVERHEAD_BYTES + 2 * chars;
  bytes += workloadBytes(record.source) + workloadBytes(record.destination);
  for (const [key, value] of Object.entries(record.attributes)) bytes += ENTRY_OVERHEAD_BYTES + 2 * (key.length + value.length);
  return bytes;
}

function workloadBytes(workload: Workload): number {
  let chars = 0;
  for (const value of Object.values(workload)) if (typeof value === 'string') chars += value.length;
  // UTF-16 is the safe upper bound for V8 strings.
  return WORKLOAD_OVERHEAD_BYTES + 2 * chars;
}
