/**
 * Every meshtel setting in one table: its env variable, its flag, its schema and default, and the
 * text `--help` and README show. Values come from (lowest to highest precedence) defaults,
 * `MESHTEL_*` environment variables, then `--flags`. `loadConfig` validates all of them at start
 * and reports every wrong one by name with the values it accepts.
 */
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { compileEnvoyFormat } from '../accesslog/envoy-format.js';
import { parseLabelList } from '../metrics/remote-write/labels.js';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().min(1);
const nonNegativeInt = z.coerce.number().int().min(0);
const MiB = 1024 * 1024;
const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** `10m`, `90s`, `2h`, `1d`, `250ms` or a plain number of milliseconds → milliseconds. */
const duration = z.union([z.number(), z.string()]).transform((raw, ctx) => {
  const m = /^\s*(\d+)\s*(ms|s|m|h|d)?\s*$/.exec(String(raw));
  if (!m) {
    ctx.addIssue({ code: 'custom', message: 'expected a duration such as 500ms, 30s, 10m, 2h or 1d' });
    return z.NEVER;
  }
  return Number(m[1]) * DURATION_UNITS_MS[m[2] ?? 'ms']!;
});
/** A cron expression (5 fields, or 6 with seconds first) checked at start; empty = never. */
const cron = z.string().superRefine((expr, ctx) => {
  if (expr.trim() === '') return;
  try {
    CronExpressionParser.parse(expr);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a cron expression: ${err instanceof Error ? err.message : String(err)}` });
  }
});
/** Roles that run background jobs (all-in-one: the roll-up and archive jobs, in process). */
const JOB_ROLES = ['jobs', 'all-in-one'];
/** Roles that talk to Kafka: the collector produces, the ingester consumes. */
const KAFKA_ROLES = ['collector', 'ingester'];

export interface SettingSpec {
  /** Environment variable (MESHTEL_…). */
  readonly env: string;
  /** Command-line flag (--…). */
  readonly flag: string;
  readonly schema: z.ZodType;
  readonly default: string | number;
  /** Shown in --help and README: what it does and what values it accepts. */
  readonly help: string;
  /** Roles that read it ('*' = all). */
  readonly roles: readonly string[];
}

// Generic over the whole object so each schema keeps its own type and MeshtelConfig is typed per key.
const spec = <T extends Record<string, SettingSpec>>(s: T): T => s;

export const SETTINGS = spec({
  logLevel: {
    env: 'MESHTEL_LOG_LEVEL', flag: '--log-level', default: 'info', roles: ['*'],
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    help: 'Log level: fatal, error, warn, info, debug, trace or silent.',
  },
  host: {
    env: 'MESHTEL_HOST', flag: '--host', default: '0.0.0.0', roles: ['*'],
    schema: z.string().min(1),
    help: 'Address every listener binds to.',
  },
  adminPort: {
    env: 'MESHTEL_ADMIN_PORT', flag: '--admin-port', default: 14269, roles: ['*'], schema: port,
    help: 'Admin port: /metrics, /healthz, /readyz. 0 picks a free port.',
  },
  otlpGrpcPort: {
    env: 'MESHTEL_OTLP_GRPC_PORT', flag: '--otlp-grpc-port', default: 4317, roles: ['collector', 'all-in-one'], schema: port,
    help: 'OTLP/gRPC receiver port. 0 picks a free port.',
  },
  otlpHttpPort: {
    env: 'MESHTEL_OTLP_HTTP_PORT', flag: '--otlp-http-port', default: 4318, roles: ['collector', 'all-in-one'], schema: port,
    help: 'OTLP/HTTP receiver port (/v1/traces). 0 picks a free port.',
  },
  zipkinPort: {
    env: 'MESHTEL_ZIPKIN_PORT', flag: '--zipkin-port', default: 9411, roles: ['collector', 'all-in-one'], schema: port,
    help: 'Zipkin v2 receiver port (POST /api/v2/spans, JSON or protobuf). 0 picks a free port.',
  },
  queryPort: {
    env: 'MESHTEL_QUERY_PORT', flag: '--query-port', default: 16686, roles: ['query', 'all-in-one'], schema: port,
    help: 'Query API port (Jaeger API under /api). 0 picks a free port.',
  },
  maxRequestBodyBytes: {
    env: 'MESHTEL_MAX_REQUEST_BODY_BYTES', flag: '--max-request-body-bytes', default: 4 * MiB, roles: ['collector', 'all-in-one'], schema: positiveInt,
    help: 'Largest request body (as sent, possibly compressed) a receiver reads; larger → HTTP 413 / gRPC RESOURCE_EXHAUSTED.',
  },
  maxDecompressedBodyBytes: {
    env: 'MESHTEL_MAX_DECOMPRESSED_BODY_BYTES', flag: '--max-decompressed-body-bytes', default: 16 * MiB, roles: ['collector', 'all-in-one'], schema: positiveInt,
    help: 'Largest body after gzip decompression; decompression stops there (gzip-bomb guard) → HTTP 413 / gRPC RESOURCE_EXHAUSTED.',
  },
  maxSpansPerRequest: {
    env: 'MESHTEL_MAX_SPANS_PER_REQUEST', flag: '--max-spans-per-request', default: 10000, roles: ['collector', 'all-in-one'], schema: positiveInt,
    help: 'Most spans one export request may carry; a larger request is refused whole (HTTP 413 / gRPC INVALID_ARGUMENT).',
  },
  maxLogRecordsPerRequest: {
    env: 'MESHTEL_MAX_LOG_RECORDS_PER_REQUEST', flag: '--max-log-records-per-request', default: 10000, roles: ['collector', 'all-in-one'], schema: positiveInt,
    help: 'Most log records one OTLP logs export request may carry; a larger request is refused whole (HTTP 413 / gRPC INVALID_ARGUMENT).',
  },
  maxDataPointsPerRequest: {
    env: 'MESHTEL_MAX_DATA_POINTS_PER_REQUEST', flag: '--max-data-points-per-request', default: 50000, roles: ['collector', 'all-in-one'], schema: positiveInt,
    help: 'Most data points one OTLP metrics export request may carry; a larger request is refused whole (HTTP 413 / gRPC INVALID_ARGUMENT).',
  },
  maxAttributesPerSpan: {
    env: 'MESHTEL_MAX_ATTRIBUTES_PER_SPAN', flag: '--max-attributes-per-span', default: 128, roles: ['collector', 'all-in-one'], schema: positiveInt,
    help: 'Attributes kept per span, event, link and resource; the rest are dropped and counted in dropped_attributes_count.',
  },
  maxAttributeValueLength: {
    env: 'MESHTEL_MAX_ATTRIBUTE_VALUE_LENGTH', flag: '--max-attribute-value-length', default: 16384, roles: ['collector', 'all-in-one'], schema: positiveInt,
    help: 'Longest string (characters) or bytes (bytes) attribute value; longer values are truncated and counted.',
  },
  accessLogFormat: {
    env: 'MESHTEL_ACCESSLOG_FORMAT', flag: '--accesslog-format', default: '', roles: ['collector', 'all-in-one'],
    // Compiled here so a malformed format fails start-up, naming this setting, not every request.
    schema: z.string().superRefine((format, ctx) => {
      if (format.trim() === '') return;
      try {
        compileEnvoyFormat(format);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
      }
    }),
    help: 'Envoy format string of the TEXT lines POSTed to /v1/accesslogs, for meshes with a custom accessLogFormat; empty = Istio\'s default TEXT format. JSON lines are always recognized.',
  },
  maxAccessLogLineBytes: {
    env: 'MESHTEL_MAX_ACCESSLOG_LINE_BYTES', flag: '--max-accesslog-line-bytes', default: 65536, roles: ['collector', 'all-in-one'], schema: positiveInt,
    help: 'Longest access-log line /v1/accesslogs parses; a longer line is rejected (and reported) while the rest of the batch is kept.',
  },
  maxAccessLogLinesPerRequest: {
    env: 'MESHTEL_MAX_ACCESSLOG_LINES_PER_REQUEST', flag: '--max-accesslog-lines-per-request', default: 10000, roles: ['collector', 'all-in-one'], schema: positiveInt,
    help: 'Most lines one /v1/accesslogs request may carry; a larger request is refused whole (HTTP 413).',
  },
  bufferMaxBytes: {
    env: 'MESHTEL_BUFFER_MAX_BYTES', flag: '--buffer-max-bytes', default: 64 * MiB, roles: ['all-in-one'], schema: positiveInt,
    help: 'In-process buffer capacity; when full, receivers answer HTTP 503 / gRPC UNAVAILABLE with Retry-After.',
  },
  kafkaBrokers: {
    env: 'MESHTEL_KAFKA_BROKERS', flag: '--kafka-brokers', default: '127.0.0.1:9092', roles: [...KAFKA_ROLES, 'jobs'],
    schema: z.string().regex(/^\s*[^\s,:]+:\d{1,5}\s*(,\s*[^\s,:]+:\d{1,5}\s*)*$/, 'a comma-separated list of host:port'),
    help: 'Kafka bootstrap brokers, a comma-separated list of host:port.',
  },
  kafkaClientId: {
    env: 'MESHTEL_KAFKA_CLIENT_ID', flag: '--kafka-client-id', default: 'meshtel', roles: [...KAFKA_ROLES, 'jobs'],
    schema: z.string().min(1),
    help: 'Kafka client id, shown in broker logs and quotas.',
  },
  kafkaTopicPrefix: {
    env: 'MESHTEL_KAFKA_TOPIC_PREFIX', flag: '--kafka-topic-prefix', default: 'meshtel', roles: [...KAFKA_ROLES, 'jobs'],
    schema: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'letters, digits, ".", "_" or "-" (at most 200)'),
    help: 'Kafka topic prefix: topics are <prefix>.spans, <prefix>.accesslogs, <prefix>.metrics and <prefix>.dlq.',
  },
  kafkaPartitions: {
    env: 'MESHTEL_KAFKA_PARTITIONS', flag: '--kafka-partitions', default: 6, roles: KAFKA_ROLES, schema: positiveInt,
    help: 'Partitions of each topic meshtel creates at start (existing topics are left as they are); caps how many ingesters share the work.',
  },
  kafkaReplicationFactor: {
    env: 'MESHTEL_KAFKA_REPLICATION_FACTOR', flag: '--kafka-replication-factor', default: 1, roles: KAFKA_ROLES, schema: positiveInt,
    help: 'Replication factor of topics meshtel creates at start; use 3 on a production cluster.',
  },
  kafkaCompression: {
    env: 'MESHTEL_KAFKA_COMPRESSION', flag: '--kafka-compression', default: 'none', roles: ['collector'],
    schema: z.enum(['none', 'gzip']),
    help: 'Compression of produced record batches: none or gzip (the Kafka client, kafkajs, ships only gzip).',
  },
  kafkaConsumerGroup: {
    env: 'MESHTEL_KAFKA_CONSUMER_GROUP', flag: '--kafka-consumer-group', default: 'meshtel-ingester', roles: ['ingester'],
    schema: z.string().min(1),
    help: 'Kafka consumer group the ingesters share; each partition is consumed by one ingester of the group.',
  },
  kafkaPartitionsConsumedConcurrently: {
    env: 'MESHTEL_KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY', flag: '--kafka-partitions-consumed-concurrently', default: 3, roles: ['ingester'], schema: positiveInt,
    help: 'Partitions of one topic an ingester works on at once (order is kept within each partition); more overlaps decoding with Elasticsearch bulks.',
  },
  kafkaPublishTimeoutMs: {
    env: 'MESHTEL_KAFKA_PUBLISH_TIMEOUT_MS', flag: '--kafka-publish-timeout-ms', default: 5000, roles: ['collector'], schema: positiveInt,
    help: 'Longest wait for Kafka to acknowledge a publish; then receivers answer HTTP 503 / gRPC UNAVAILABLE with Retry-After.',
  },
  kafkaMaxInFlightBytes: {
    env: 'MESHTEL_KAFKA_MAX_IN_FLIGHT_BYTES', flag: '--kafka-max-in-flight-bytes', default: 64 * MiB, roles: ['collector'], schema: positiveInt,
    help: 'Most record bytes waiting for Kafka acknowledgement; beyond it receivers answer HTTP 503 / gRPC UNAVAILABLE with Retry-After.',
  },
  memoryMaxAccessLogs: {
    env: 'MESHTEL_MEMORY_MAX_ACCESSLOGS', flag: '--memory-max-accesslogs', default: 200000, roles: ['all-in-one'], schema: positiveInt,
    help: 'Memory access-log store: most access-log entries (and plain log records) held; the oldest are evicted first.',
  },
  memoryMaxSpans: {
    env: 'MESHTEL_MEMORY_MAX_SPANS', flag: '--memory-max-spans', default: 500000, roles: ['all-in-one'], schema: positiveInt,
    help: 'Memory span store: most spans held; oldest traces are evicted first.',
  },
  memoryMaxBytes: {
    env: 'MESHTEL_MEMORY_MAX_BYTES', flag: '--memory-max-bytes', default: 512 * MiB, roles: ['all-in-one'], schema: positiveInt,
    help: 'Memory span store: most (estimated) bytes held; oldest traces are evicted first.',
  },
  queryDefaultLimit: {
    env: 'MESHTEL_QUERY_DEFAULT_LIMIT', flag: '--query-default-limit', default: 100, roles: ['query', 'all-in-one'], schema: positiveInt,
    help: 'Traces returned by /api/traces when the request gives no limit (Jaeger: 100).',
  },
  queryMaxLimit: {
    env: 'MESHTEL_QUERY_MAX_LIMIT', flag: '--query-max-limit', default: 1500, roles: ['query', 'all-in-one'], schema: positiveInt,
    help: 'Largest limit /api/traces accepts; larger values are answered with 400.',
  },
  esUrl: {
    env: 'MESHTEL_ES_URL', flag: '--es-url', default: 'http://127.0.0.1:9200', roles: ['ingester', 'query', 'jobs'],
    schema: z.url(),
    help: 'Elasticsearch node URL the span store writes to and reads from.',
  },
  esIndexPrefix: {
    env: 'MESHTEL_ES_INDEX_PREFIX', flag: '--es-index-prefix', default: 'meshtel', roles: ['ingester', 'query', 'jobs'],
    // Index names must be lower case and may not contain these characters (Elasticsearch rules).
    schema: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" or "-", not starting with a symbol'),
    help: 'Prefix of every index and index template name: <prefix>-spans-YYYY.MM.DD, <prefix>-services-YYYY.MM.DD.',
  },
  esBulkMaxSpans: {
    env: 'MESHTEL_ES_BULK_MAX_SPANS', flag: '--es-bulk-max-spans', default: 2000, roles: ['ingester'], schema: positiveInt,
    help: 'Most documents in one Elasticsearch bulk request; larger writes are split.',
  },
  esBulkMaxBytes: {
    env: 'MESHTEL_ES_BULK_MAX_BYTES', flag: '--es-bulk-max-bytes', default: 5 * MiB, roles: ['ingester'], schema: positiveInt,
    help: 'Largest Elasticsearch bulk request body (bytes); larger writes are split.',
  },
  esBulkConcurrency: {
    env: 'MESHTEL_ES_BULK_CONCURRENCY', flag: '--es-bulk-concurrency', default: 2, roles: ['ingester'], schema: positiveInt,
    help: 'Bulk requests in flight at once per process.',
  },
  esBulkFlushIntervalMs: {
    env: 'MESHTEL_ES_BULK_FLUSH_INTERVAL_MS', flag: '--es-bulk-flush-interval-ms', default: 50, roles: ['ingester'], schema: nonNegativeInt,
    help: 'How long a partly filled bulk request waits for more spans before it is sent (0 = at once).',
  },
  esUsername: {
    env: 'MESHTEL_ES_USERNAME', flag: '--es-username', default: '', roles: ['ingester', 'query', 'jobs'], schema: z.string(),
    help: 'Elasticsearch basic-auth user name; empty = no authentication.',
  },
  esPassword: {
    env: 'MESHTEL_ES_PASSWORD', flag: '--es-password', default: '', roles: ['ingester', 'query', 'jobs'], schema: z.string(),
    help: 'Elasticsearch basic-auth password (used with --es-username).',
  },
  esShards: {
    env: 'MESHTEL_ES_SHARDS', flag: '--es-shards', default: 1, roles: ['ingester', 'query', 'jobs'], schema: positiveInt,
    help: 'number_of_shards in the index templates (applies to indices created after the change).',
  },
  esReplicas: {
    env: 'MESHTEL_ES_REPLICAS', flag: '--es-replicas', default: 0, roles: ['ingester', 'query', 'jobs'], schema: nonNegativeInt,
    help: 'number_of_replicas in the index templates; 0 suits a single node (otherwise the cluster stays yellow).',
  },
  remoteWriteUrl: {
    env: 'MESHTEL_REMOTE_WRITE_URL', flag: '--remote-write-url', default: '', roles: ['ingester', 'all-in-one'],
    schema: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]),
    help: 'Prometheus remote-write 1.0 endpoint the derived metrics are sent to (e.g. http://prometheus:9090/api/v1/write); empty = off (all-in-one then serves them on --metrics-port).',
  },
  remoteWriteFlushIntervalMs: {
    env: 'MESHTEL_REMOTE_WRITE_FLUSH_INTERVAL_MS', flag: '--remote-write-flush-interval-ms', default: 10000, roles: ['ingester', 'all-in-one'], schema: positiveInt,
    help: 'How often the derived metrics are snapshotted and queued for remote-write (the resolution of the stored series).',
  },
  remoteWriteMaxSamplesPerSend: {
    env: 'MESHTEL_REMOTE_WRITE_MAX_SAMPLES_PER_SEND', flag: '--remote-write-max-samples-per-send', default: 2000, roles: ['ingester', 'all-in-one'], schema: positiveInt,
    help: 'Most samples in one remote-write request.',
  },
  remoteWriteQueueMaxSamples: {
    env: 'MESHTEL_REMOTE_WRITE_QUEUE_MAX_SAMPLES', flag: '--remote-write-queue-max-samples', default: 100000, roles: ['ingester', 'all-in-one'], schema: positiveInt,
    help: 'Most samples queued while the receiver is slow or down; beyond it the oldest are dropped (meshtel_remote_write_samples_dropped_total{reason="queue_full"}).',
  },
  remoteWriteTimeoutMs: {
    env: 'MESHTEL_REMOTE_WRITE_TIMEOUT_MS', flag: '--remote-write-timeout-ms', default: 10000, roles: ['ingester', 'all-in-one'], schema: positiveInt,
    help: 'Longest wait for one remote-write request; a timeout is retried with backoff.',
  },
  remoteWriteExternalLabels: {
    env: 'MESHTEL_REMOTE_WRITE_EXTERNAL_LABELS', flag: '--remote-write-external-labels', default: '', roles: ['ingester', 'all-in-one'],
    // Parsed here so a malformed list fails start-up, naming this setting.
    schema: z.string().superRefine((text, ctx) => {
      try {
        parseLabelList(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
      }
    }),
    help: 'Labels added to every remote-written series that lacks them, as name=value,name=value (e.g. cluster=prod,region=eu).',
  },
  remoteWriteInstanceLabel: {
    env: 'MESHTEL_REMOTE_WRITE_INSTANCE_LABEL', flag: '--remote-write-instance-label', default: 'auto', roles: ['ingester', 'all-in-one'],
    schema: z.string().regex(/^[^\s]*$/, 'no whitespace'),
    help: 'Value of the meshtel_instance label set on every remote-written series, so several ingesters never write the same series: auto = <hostname>-<pid>; none = no such label (only with a single ingester).',
  },
  remoteWriteUsername: {
    env: 'MESHTEL_REMOTE_WRITE_USERNAME', flag: '--remote-write-username', default: '', roles: ['ingester', 'all-in-one'], schema: z.string(),
    help: 'Remote-write basic-auth user name; empty = no basic auth.',
  },
  remoteWritePassword: {
    env: 'MESHTEL_REMOTE_WRITE_PASSWORD', flag: '--remote-write-password', default: '', roles: ['ingester', 'all-in-one'], schema: z.string(),
    help: 'Remote-write basic-auth password (used with --remote-write-username).',
  },
  remoteWriteBearerToken: {
    env: 'MESHTEL_REMOTE_WRITE_BEARER_TOKEN', flag: '--remote-write-bearer-token', default: '', roles: ['ingester', 'all-in-one'], schema: z.string(),
    help: 'Remote-write bearer token (Authorization: Bearer …); ignored when a basic-auth user name is set.',
  },
  serviceGraphWaitMs: {
    env: 'MESHTEL_SERVICE_GRAPH_WAIT_MS', flag: '--service-graph-wait-ms', default: 10000, roles: ['ingester', 'all-in-one'], schema: positiveInt,
    help: 'Service graph: how long a client span waits for its server span (or back) before it counts as unpaired or goes to a virtual node.',
  },
  spanMetricsDimensions: {
    env: 'MESHTEL_SPANMETRICS_DIMENSIONS', flag: '--spanmetrics-dimensions', default: '', roles: ['ingester', 'all-in-one'],
    schema: z.string().regex(/^[^,\s]*(,[^,\s]+)*$/, 'a comma-separated list of attribute keys'),
    help: 'Span metrics: extra labels, a comma-separated list of span or resource attribute keys (e.g. http.method,k8s.namespace.name).',
  },
  metricsPort: {
    env: 'MESHTEL_METRICS_PORT', flag: '--metrics-port', default: 8889, roles: ['all-in-one'], schema: port,
    help: 'Prometheus scrape endpoint (/metrics) for the derived metrics when no remote-write URL is set (meshtel\'s own metrics stay on the admin port). 0 picks a free port.',
  },
  metricsMaxSeries: {
    env: 'MESHTEL_METRICS_MAX_SERIES', flag: '--metrics-max-series', default: 10000, roles: ['ingester', 'all-in-one'], schema: positiveInt,
    help: 'Series per derived metric; further label sets fold into one overflow series (meshtel_overflow="true"), counted in meshtel_derived_series_overflow_total.',
  },
  redisUrl: {
    env: 'MESHTEL_REDIS_URL', flag: '--redis-url', default: 'redis://127.0.0.1:6379', roles: ['jobs', 'query'],
    schema: z.url(),
    help: 'Redis the background jobs run on (bullmq queues, schedules, the dead-letter replay record); query connects only when a trace is archived. all-in-one needs none.',
  },
  redisPrefix: {
    env: 'MESHTEL_REDIS_PREFIX', flag: '--redis-prefix', default: 'meshtel', roles: ['jobs', 'query'],
    schema: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'letters, digits, ".", "_" or "-" (at most 100)'),
    help: 'Prefix of every Redis key meshtel writes (bullmq queues, replayed dead-letter set); separate deployments sharing one Redis use different prefixes.',
  },
  jobsConcurrency: {
    env: 'MESHTEL_JOBS_CONCURRENCY', flag: '--jobs-concurrency', default: 1, roles: JOB_ROLES, schema: positiveInt,
    help: 'Runs of one job (rollup, retention, dlq-replay, archive) a jobs process works on at once.',
  },
  rollupSchedule: {
    env: 'MESHTEL_ROLLUP_SCHEDULE', flag: '--rollup-schedule', default: '*/5 * * * *', roles: JOB_ROLES, schema: cron,
    help: 'Cron schedule (UTC) of the dependency roll-up; each run rolls up the closed hours (and days) not yet final. Empty = never.',
  },
  retentionSchedule: {
    env: 'MESHTEL_RETENTION_SCHEDULE', flag: '--retention-schedule', default: '15 0 * * *', roles: ['jobs'], schema: cron,
    help: 'Cron schedule (UTC) of index retention. Empty = never.',
  },
  dlqReplaySchedule: {
    env: 'MESHTEL_DLQ_REPLAY_SCHEDULE', flag: '--dlq-replay-schedule', default: '', roles: ['jobs'], schema: cron,
    help: 'Cron schedule (UTC) of dead-letter replay (records matching MESHTEL_DLQ_REPLAY_STAGES). Empty (default) = only on demand (meshtel dlq replay).',
  },
  rollupLateness: {
    env: 'MESHTEL_ROLLUP_LATENESS', flag: '--rollup-lateness', default: '10m', roles: JOB_ROLES, schema: duration,
    help: 'How late a span may arrive and still be counted: an hour is rolled up again on every run until this long after it closed, and only then marked final; /api/dependencies computes non-final hours live.',
  },
  rollupBackfill: {
    env: 'MESHTEL_ROLLUP_BACKFILL', flag: '--rollup-backfill', default: '48h', roles: JOB_ROLES, schema: duration,
    help: 'How far back a scheduled roll-up looks for closed hours without a final roll-up (older ones: meshtel jobs run rollup --from … --to …).',
  },
  retentionSpansDays: {
    env: 'MESHTEL_RETENTION_SPANS_DAYS', flag: '--retention-spans-days', default: 7, roles: ['jobs'], schema: nonNegativeInt,
    help: 'Daily span indices kept (today included); older ones are deleted by the retention job. 0 = keep forever.',
  },
  retentionServicesDays: {
    env: 'MESHTEL_RETENTION_SERVICES_DAYS', flag: '--retention-services-days', default: 7, roles: ['jobs'], schema: nonNegativeInt,
    help: 'Daily services indices kept (today included). 0 = keep forever.',
  },
  retentionAccessLogsDays: {
    env: 'MESHTEL_RETENTION_ACCESSLOGS_DAYS', flag: '--retention-accesslogs-days', default: 7, roles: ['jobs'], schema: nonNegativeInt,
    help: 'Daily access-log indices kept (today included). 0 = keep forever.',
  },
  retentionRollupsDays: {
    env: 'MESHTEL_RETENTION_ROLLUPS_DAYS', flag: '--retention-rollups-days', default: 90, roles: ['jobs'], schema: nonNegativeInt,
    help: 'Daily dependency roll-up indices kept (today included). 0 = keep forever.',
  },
  dlqReplayRate: {
    env: 'MESHTEL_DLQ_REPLAY_RATE', flag: '--dlq-replay-rate', default: 100, roles: ['jobs'], schema: positiveInt,
    help: 'Most dead-letter records replayed per second, so a replay does not flood the ingesters.',
  },
  dlqReplayStages: {
    env: 'MESHTEL_DLQ_REPLAY_STAGES', flag: '--dlq-replay-stages', default: '', roles: ['jobs'],
    schema: z.string().regex(/^[A-Za-z0-9._,\s-]*$/, 'a comma-separated list of stage names'),
    help: 'Stages (meshtel.dlq.stage header) the scheduled dead-letter replay takes; empty = every stage.',
  },
  shutdownTimeoutMs: {
    env: 'MESHTEL_SHUTDOWN_TIMEOUT_MS', flag: '--shutdown-timeout-ms', default: 30000, roles: ['*'], schema: nonNegativeInt,
    help: 'On SIGTERM/SIGINT: how long draining may take before the process exits anyway (exit code 1).',
  },
});

export type SettingKey = keyof typeof SETTINGS;
export type MeshtelConfig = { [K in SettingKey]: z.infer<(typeof SETTINGS)[K]['schema']> };
