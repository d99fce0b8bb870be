/**
 * Headers on dead-letter records (`<prefix>.dlq`): the value and key are the original record's,
 * these say which stage failed, why, and where the record came from. Written by the ingesters,
 * read by the replay job and `meshtel dlq`.
 */
export const DLQ_HEADERS = {
  stage: 'meshtel.dlq.stage',
  error: 'meshtel.dlq.error',
  /** The logical buffer topic (`spans`, `accesslogs`, `metrics`). */
  sourceTopic: 'meshtel.dlq.source_topic',
  /** `<physical topic>/<partition>@<offset>` of the original record. */
  sourcePosition: 'meshtel.dlq.source_position',
} as const;
