/**
 * The background jobs by name, shared by who runs them (the jobs role, all-in-one) and who only
 * enqueues or reports them (query): archiving a trace again while its run is still queued is one
 * run because both sides derive the same run id here.
 */
export const JOB_NAMES = ['rollup', 'retention', 'dlq-replay', 'archive'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export const ARCHIVE_JOB: JobName = 'archive';

export function archiveRunId(traceId: string): string {
  return `archive-${traceId}`;
}
