/**
 * The archive job's name and run id, shared by who enqueues it (query, all-in-one) and who runs it
 * (jobs): archiving a trace again while its run is still queued is then one run.
 */
export const ARCHIVE_JOB = 'archive';

export function archiveRunId(traceId: string): string {
  return `archive-${traceId}`;
}
