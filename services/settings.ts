/**
 * meshtel's settings table: for every configuration key, its `MESHTEL_*` environment variable, its
 * `--flag`, the roles that read it and the text `--help` and README show. Schema and default are
 * not written here: each entry points at the schema field of the component that uses the value
 * (`field`), so a default exists once, next to the component. Values come from (lowest to highest
 * precedence) those defaults, the environment, then flags; loadConfig validates all of them at start.
 *
 * README's settings table is generated from this table: `npm run docs:settings`.
 */
import { ConfigError, loadSettings, settingsHelp as helpFor } from '../shared/config/load.js';
import { settingsTable, type ConfigOf } from '../shared/config/table.js';
import { inProcessBufferSettings } from '../shared/buffer/inprocess/inprocess-buffer-settings.js';
import { brokerListText, kafkaBufferOptionsSchema as kafka } from '../shared/buffer/kafka/kafka-options.js';
import { expositionSettings } from '../shared/metrics/exposition/exposition-settings.js';
import { registrySettings } from '../shared/metrics/registry-settings.js';
import { remoteWriteSettings as remoteWrite } from '../shared/metrics/remote-write/settings.js';
import { elasticsearchSpanStoreSettings as elasticsearch } from '../shared/storage/elasticsearch/options.js';
import { memoryAccessLogStoreSettings, memorySpanStoreSettings } from '../shared/storage/memory/memory-store-settings.js';
import { collectorSettings } from './collector/collector-settings.js';
import { metricsGeneratorSettings } from './ingester/metrics-generator-settings.js';
import { querySettings } from './query/query-settings.js';
import { jobsSettings } from './jobs/jobs-settings.js';
import { roleSettings } from './role-settings.js';
import { CLUSTER_ROLES, clusterSettings, workersSettingProblems } from './cluster/cluster-settings.js';
import { SECURITY_SETTINGS, securitySettingsProblems } from './security-settings.js';

/** Roles that talk to Kafka: the collector produces, the ingester consumes. */
const KAFKA_ROLES = ['collector', 'ingester'];

/** Roles that run background jobs (all-in-one: the roll-up and archive jobs, in process). */
const JOB_ROLES = ['jobs', 'all-in-one'];

export const SETTINGS = settingsTable({
  logLevel: {
    env: 'MESHTEL_LOG_LEVEL', flag: '--log-level', roles: ['*'], field: roleSettings.shape.logLevel,
    help: 'Log level: fatal, error, warn, info, debug, trace or silent.',
  },
  host: {
    env: 'MESHTEL_HOST', flag: '--host', roles: ['*'], field: roleSettings.shape.host,
    help: 'Address every listener binds to.',
  },
  adminPort: {
    env: 'MESHTEL_ADMIN_PORT', flag: '--admin-port', roles: ['*'], field: roleSettings.shape.adminPort,
    help: 'Admin port: /metrics, /healthz, /readyz. auto = the role\'s own (collector and all-in-one 14269, ingester 14270, query 16687, as Jaeger); 0 picks a free port.',
  },
  workers: {
    env: 'MESHTEL_WORKERS', flag: '--workers', roles: [...CLUSTER_ROLES], field: clusterSettings.shape.workers,
    help: 'Processes the role spreads over (node:cluster): the primary forks this many workers and serves the admin port for all of them. Collector workers share the receiver ports, each with its own Kafka producer (receiver limits — connections, bytes in flight, Kafka in-flight bytes — apply per worker); each ingester worker is one member of the consumer group. 1 = one process, no cluster; auto = one per core Node may use.',
  },
  otlpGrpcPort: {
    env: 'MESHTEL_OTLP_GRPC_PORT', flag: '--otlp-grpc-port', roles: ['collector', 'all-in-one'], field: collectorSettings.shape.otlpGrpcPort,
    help: 'OTLP/gRPC receiver port. 0 picks a free port.',
  },
  otlpHttpPort: {
    env: 'MESHTEL_OTLP_HTTP_PORT', flag: '--otlp-http-port', roles: ['collector', 'all-in-one'], field: collectorSettings.shape.otlpHttpPort,
    help: 'OTLP/HTTP receiver port (/v1/traces). 0 picks a free port.',
  },
  zipkinPort: {
    env: 'MESHTEL_ZIPKIN_PORT', flag: '--zipkin-port', roles: ['collector', 'all-in-one'], field: collectorSettings.shape.zipkinPort,
    help: 'Zipkin v2 receiver port (POST /api/v2/spans, JSON or protobuf). 0 picks a free port.',
  },
  queryPort: {
    env: 'MESHTEL_QUERY_PORT', flag: '--query-port', roles: ['query', 'all-in-one'], field: querySettings.shape.port,
    help: 'Query API port (Jaeger API under /api). 0 picks a free port.',
  },
  tempoPort: {
    env: 'MESHTEL_TEMPO_PORT', flag: '--tempo-port', roles: ['query', 'all-in-one'], field: querySettings.shape.tempoPort,
    help: 'Tempo HTTP API port (TraceQL search, trace by id, tags; a Grafana Tempo data source URL). 0 picks a free port.',
  },
  maxRequestBodyBytes: {
    env: 'MESHTEL_MAX_REQUEST_BODY_BYTES', flag: '--max-request-body-bytes', roles: ['collector', 'all-in-one'], field: collectorSettings.shape.maxRequestBodyBytes,
    help: 'Largest request body (as sent, possibly compressed) a receiver reads; larger → HTTP 413 / gRPC RESOURCE_EXHAUSTED.',
  },
  maxDecompressedBodyBytes: {
    env: 'MESHTEL_MAX_DECOMPRESSED_BODY_BYTES', flag: '--max-decompressed-body-bytes', roles: ['collector', 'all-in-one'], field: collectorSettings.shape.maxDecompressedBodyBytes,
    help: 'Largest body after gzip decompression; decompression stops there (gzip-bomb guard) → HTTP 413 / gRPC RESOURCE_EXHAUSTED.',
  },
  maxBodyBytesInFlight: {
    env: 'MESHTEL_MAX_BODY_BYTES_IN_FLIGHT', flag: '--max-body-bytes-in-flight', roles: ['collector', 'all-in-one'], field: collectorSettings.shape.maxBodyBytesInFlight,
    help: 'Request bytes all receivers together may hold at once (bodies being read, inflated or decoded, gRPC messages in progress, a compressed gRPC message counting its worst-case inflated size); beyond it → HTTP 503 / gRPC RESOURCE_EXHAUSTED with Retry-After 1 s.',
  },
  receiverBodyTimeoutMs: {
    env: 'MESHTEL_RECEIVER_BODY_TIMEOUT_MS', flag: '--receiver-body-timeout-ms', roles: ['collector', 'all-in-one'], field: collectorSettings.shape.receiverBodyTimeoutMs,
    help: 'An HTTP request (headers and body) or a gRPC message must arrive whole within this time from its first byte; slower ones are cut (HTTP 408 / gRPC DEADLINE_EXCEEDED).',
  },
  receiverIdleTimeoutMs: {
    env: 'MESHTEL_RECEIVER_IDLE_TIMEOUT_MS', flag: '--receiver-idle-timeout-ms', roles: ['collector', 'all-in-one'], field: collectorSettings.shape.receiverIdleTimeoutMs,
    help: 'A receiver connection with no request (HTTP keep-alive) or no call (gRPC) for this long is closed; clients reconnect when they need to.',
  },
  receiverMaxConnections: {
    env: 'MESHTEL_RECEIVER_MAX_CONNECTIONS', flag: '--receiver-max-connections', roles: ['collector', 'all-in-one'], field: collectorSettings.shape.receiverMaxConnections,
    help: 'Open connections each receiver listener (OTLP/HTTP, OTLP/gRPC, Zipkin) accepts at once; further ones are closed on arrival.',
  },
  grpcMaxConcurrentStreams: {
    env: 'MESHTEL_GRPC_MAX_CONCURRENT_STREAMS', flag: '--grpc-max-concurrent-streams', roles: ['collector', 'all-in-one'], field: collectorSettings.shape.grpcMaxConcurrentStreams,
    help: 'Concurrent gRPC calls (HTTP/2 streams) per connection; clients queue the rest.',
  },
  grpcKeepaliveTimeMs: {
    env: 'MESHTEL_GRPC_KEEPALIVE_TIME_MS', flag: '--grpc-keepalive-time-ms', roles: ['collector', 'all-in-one'], field: collectorSettings.shape.grpcKeepaliveTimeMs,
    help: 'The gRPC receiver pings each connection this often to find dead peers (Envoy ALS streams never end by themselves)…',
  },
  grpcKeepaliveTimeoutMs: {
    env: 'MESHTEL_GRPC_KEEPALIVE_TIMEOUT_MS', flag: '--grpc-keepalive-timeout-ms', roles: ['collector', 'all-in-one'], field: collectorSettings.shape.grpcKeepaliveTimeoutMs,
    help: '…and closes a connection whose ping is not answered within this time.',
  },
  maxClockSkew: {
    env: 'MESHTEL_MAX_CLOCK_SKEW', flag: '--max-clock-skew', roles: ['collector', 'all-in-one'], field: collectorSettings.shape.maxClockSkew,
    help: 'Spans starting more than this before or after the collector\'s clock are rejected (OTLP partial success, counted as clock_skew): their timestamps would create daily indices far from any query window (a span at 1 ns made a 1970 index). A Go duration (87600h = 10 years, 24h, 1h30m); 0 = accept any time.',
  },
  maxSpansPerRequest: {
    env: 'MESHTEL_MAX_SPANS_PER_REQUEST', flag: '--max-spans-per-request', roles: ['collector', 'all-in-one'], field: collectorSettings.shape.maxSpansPerRequest,
    help: 'Most spans one export request may carry; a larger request is refused whole (HTTP 413 / gRPC INVALID_ARGUMENT).',
  },
  maxLogRecordsPerRequest: {
    env: 'MESHTEL_MAX_LOG_RECORDS_PER_REQUEST', flag: '--max-log-records-per-request', roles: ['collector', 'all-in-one'], field: collectorSettings.shape.maxLogRecordsPerRequest,
    help: 'Most log records one OTLP logs export request may carry; a larger request is refused whole (HTTP 413 / gRPC INVALID_ARGUMENT).',
  },
  maxDataPointsPerRequest: {
    env: 'MESHTEL_MAX_DATA_POINTS_PER_REQUEST', flag: '--max-data-points-per-request', roles: ['collector', 'all-in-one'], field: collectorSettings.shape.maxDataPointsPerRequest,
    help: 'Most data points one OTLP metrics export request may carry; a larger request is refused whole (HTTP 413 / gRPC INVALID_ARGUMENT).',
  },
  maxAttributesPerSpan: {
    env: 'MESHTEL_MAX_ATTRIBUTES_PER_SPAN', flag: '--max-attributes-per-span', roles: ['collector', 'all-in-one'], field: collectorSettings.shape.maxAttributesPerSpan,
    help: 'Attributes kept per span, event, link and resource; the rest are dropped and counted in dropped_attributes_count.',
  },
  maxAttributeValueLength: {
    env: 'MESHTEL_MAX_ATTRIBUTE_VALUE_LENGTH', flag: '--max-attribute-value-length', roles: ['collector', 'all-in-one'], field: collectorSettings.shape.maxAttributeValueLength,
    help: 'Longest string (characters) or bytes (bytes) attribute value; longer values are truncated and counted. The default (128 KiB) keeps whole SQL statements and stack traces, as Jaeger (100 KB) does.',
  },
  accessLogFormat: {
    env: 'MESHTEL_ACCESSLOG_FORMAT', flag: '--accesslog-format', roles: ['collector', 'all-in-one'], field: collectorSettings.shape.accessLogFormat,
    help: 'Envoy format string of the TEXT lines POSTed to /v1/accesslogs, for meshes with a custom accessLogFormat; empty = Istio\'s default TEXT format. JSON lines are always recognized.',
  },
  maxAccessLogLineBytes: {
    env: 'MESHTEL_MAX_ACCESSLOG_LINE_BYTES', flag: '--max-accesslog-line-bytes', roles: ['collector', 'all-in-one'], field: collectorSettings.shape.maxAccessLogLineBytes,
    help: 'Longest access-log line /v1/accesslogs parses; a longer line is rejected (and reported) while the rest of the batch is kept.',
  },
  maxAccessLogLinesPerRequest: {
    env: 'MESHTEL_MAX_ACCESSLOG_LINES_PER_REQUEST', flag: '--max-accesslog-lines-per-request', roles: ['collector', 'all-in-one'], field: collectorSettings.shape.maxAccessLogLinesPerRequest,
    help: 'Most lines one /v1/accesslogs request may carry; a larger request is refused whole (HTTP 413).',
  },
  bufferMaxBytes: {
    env: 'MESHTEL_BUFFER_MAX_BYTES', flag: '--buffer-max-bytes', roles: ['all-in-one'], field: inProcessBufferSettings.shape.capacityBytes,
    help: 'In-process buffer capacity; when full, receivers answer HTTP 503 / gRPC UNAVAILABLE with Retry-After.',
  },
  kafkaBrokers: {
    env: 'MESHTEL_KAFKA_BROKERS', flag: '--kafka-brokers', roles: [...KAFKA_ROLES, 'jobs'], field: brokerListText,
    help: 'Kafka bootstrap brokers, a comma-separated list of host:port.',
  },
  kafkaClientId: {
    env: 'MESHTEL_KAFKA_CLIENT_ID', flag: '--kafka-client-id', roles: [...KAFKA_ROLES, 'jobs'], field: kafka.shape.clientId,
    help: 'Kafka client id, shown in broker logs and quotas.',
  },
  kafkaTopicPrefix: {
    env: 'MESHTEL_KAFKA_TOPIC_PREFIX', flag: '--kafka-topic-prefix', roles: [...KAFKA_ROLES, 'jobs'], field: kafka.shape.topicPrefix,
    help: 'Kafka topic prefix: topics are <prefix>.spans, <prefix>.accesslogs, <prefix>.metrics and <prefix>.dlq.',
  },
  kafkaPartitions: {
    env: 'MESHTEL_KAFKA_PARTITIONS', flag: '--kafka-partitions', roles: KAFKA_ROLES, field: kafka.shape.partitions,
    help: 'Partitions of each topic meshtel creates at start (existing topics are left as they are); caps how many ingesters share the work.',
  },
  kafkaReplicationFactor: {
    env: 'MESHTEL_KAFKA_REPLICATION_FACTOR', flag: '--kafka-replication-factor', roles: KAFKA_ROLES, field: kafka.shape.replicationFactor,
    help: 'Replication factor of topics meshtel creates at start; use 3 on a production cluster.',
  },
  kafkaCompression: {
    env: 'MESHTEL_KAFKA_COMPRESSION', flag: '--kafka-compression', roles: ['collector'], field: kafka.shape.compression,
    help: 'Compression of produced record batches: none or gzip (the Kafka client, kafkajs, ships only gzip).',
  },
  kafkaConsumerGroup: {
    env: 'MESHTEL_KAFKA_CONSUMER_GROUP', flag: '--kafka-consumer-group', roles: ['ingester'], field: kafka.shape.consumerGroup,
    help: 'Kafka consumer group the ingesters share; each partition is consumed by one ingester of the group.',
  },
  kafkaPartitionsConsumedConcurrently: {
    env: 'MESHTEL_KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY', flag: '--kafka-partitions-consumed-concurrently', roles: ['ingester'], field: kafka.shape.partitionsConsumedConcurrently,
    help: 'Partitions of one topic an ingester works on at once (order is kept within each partition); more overlaps decoding with Elasticsearch bulks.',
  },
  kafkaPublishTimeoutMs: {
    env: 'MESHTEL_KAFKA_PUBLISH_TIMEOUT_MS', flag: '--kafka-publish-timeout-ms', roles: ['collector'], field: kafka.shape.publishTimeoutMs,
    help: 'Longest wait for Kafka to acknowledge a publish; then receivers answer HTTP 503 / gRPC UNAVAILABLE with Retry-After.',
  },
  kafkaMaxInFlightBytes: {
    env: 'MESHTEL_KAFKA_MAX_IN_FLIGHT_BYTES', flag: '--kafka-max-in-flight-bytes', roles: ['collector'], field: kafka.shape.capacityBytes,
    help: 'Most record bytes waiting for Kafka acknowledgement; beyond it receivers answer HTTP 503 / gRPC UNAVAILABLE with Retry-After.',
  },
  memoryMaxAccessLogs: {
    env: 'MESHTEL_MEMORY_MAX_ACCESSLOGS', flag: '--memory-max-accesslogs', roles: ['all-in-one'], field: memoryAccessLogStoreSettings.shape.maxRecords,
    help: 'Memory access-log store: most access-log entries (and plain log records) held; the oldest are evicted first.',
  },
  memoryMaxAccessLogBytes: {
    env: 'MESHTEL_MEMORY_MAX_ACCESSLOG_BYTES', flag: '--memory-max-accesslog-bytes', roles: ['all-in-one'], field: memoryAccessLogStoreSettings.shape.maxBytes,
    help: 'Memory access-log store: most (estimated) bytes of access-log entries and log records held; the oldest are evicted first.',
  },
  queryMaxResponseBytes: {
    env: 'MESHTEL_QUERY_MAX_RESPONSE_BYTES', flag: '--query-max-response-bytes', roles: ['query', 'all-in-one'], field: querySettings.shape.maxResponseBytes,
    help: 'Largest (estimated) access-log search response; results past it are left out and the response says it was truncated.',
  },
  memoryMaxSpans: {
    env: 'MESHTEL_MEMORY_MAX_SPANS', flag: '--memory-max-spans', roles: ['all-in-one'], field: memorySpanStoreSettings.shape.maxSpans,
    help: 'Memory span store: most spans held; oldest traces are evicted first.',
  },
  memoryMaxBytes: {
    env: 'MESHTEL_MEMORY_MAX_BYTES', flag: '--memory-max-bytes', roles: ['all-in-one'], field: memorySpanStoreSettings.shape.maxBytes,
    help: 'Memory span store: most (estimated) bytes held — index entries plus span messages, counted compressed once their chunk is full; oldest traces are evicted first.',
  },
  queryDefaultLimit: {
    env: 'MESHTEL_QUERY_DEFAULT_LIMIT', flag: '--query-default-limit', roles: ['query', 'all-in-one'], field: querySettings.shape.defaultLimit,
    help: 'Traces returned by /api/traces when the request gives no limit (Jaeger: 100).',
  },
  queryMaxLimit: {
    env: 'MESHTEL_QUERY_MAX_LIMIT', flag: '--query-max-limit', roles: ['query', 'all-in-one'], field: querySettings.shape.maxLimit,
    help: 'Largest number of traces one search answers (/api/traces limit, /api/v3 searchDepth); larger values are served as this maximum, as Jaeger does.',
  },
  meshServiceNaming: {
    env: 'MESHTEL_MESH_SERVICE_NAMING', flag: '--mesh-service-naming', roles: ['ingester', 'query', 'all-in-one'], field: querySettings.shape.serviceNaming,
    help: 'How graph nodes are named, as Istio\'s tracingServiceName: APP_LABEL_AND_NAMESPACE (<app>.<ns>), CANONICAL_NAME_ONLY or CANONICAL_NAME_AND_NAMESPACE. Set it like the mesh so trace and access-log edges meet; Elasticsearch applies it when writing.',
  },
  graphDegradedPercent: {
    env: 'MESHTEL_GRAPH_DEGRADED_PERCENT', flag: '--graph-degraded-percent', roles: ['query', 'all-in-one'], field: querySettings.shape.graphDegradedPercent,
    help: 'Graph health: a node or edge whose error rate (percent) is above this is degraded (Kiali default 0).',
  },
  graphFailingPercent: {
    env: 'MESHTEL_GRAPH_FAILING_PERCENT', flag: '--graph-failing-percent', roles: ['query', 'all-in-one'], field: querySettings.shape.graphFailingPercent,
    help: 'Graph health: a node or edge whose error rate (percent) is at or above this is failing (Kiali default 10).',
  },
  queryMaxClockSkewAdjustMs: {
    env: 'MESHTEL_QUERY_MAX_CLOCK_SKEW_ADJUST_MS', flag: '--query-max-clock-skew-adjust-ms', roles: ['query', 'all-in-one'], field: querySettings.shape.maxClockSkewAdjustMs,
    help: "Largest clock-skew correction (ms) applied to a span shown by the query APIs (child moved into its parent's window when hosts differ). 0, Jaeger's default, disables it: such spans get a warning with the computed delta instead.",
  },
  prometheusUrl: {
    env: 'MESHTEL_PROMETHEUS_URL', flag: '--prometheus-url', roles: ['query', 'all-in-one'], field: querySettings.shape.prometheusUrl,
    help: "Prometheus HTTP API base URL (e.g. http://prometheus:9090) holding meshtel's traces_spanmetrics_* series; the Jaeger Monitor tab's /api/metrics/* query it. Empty: those endpoints answer 501.",
  },
  esUrl: {
    env: 'MESHTEL_ES_URL', flag: '--es-url', roles: ['ingester', 'query', 'jobs'], field: elasticsearch.shape.node,
    help: 'Elasticsearch node URL the span store writes to and reads from.',
  },
  esIndexPrefix: {
    env: 'MESHTEL_ES_INDEX_PREFIX', flag: '--es-index-prefix', roles: ['ingester', 'query', 'jobs'], field: elasticsearch.shape.indexPrefix,
    help: 'Prefix of every index and index template name: <prefix>-spans-YYYY.MM.DD, <prefix>-services-YYYY.MM.DD.',
  },
  esBulkMaxSpans: {
    env: 'MESHTEL_ES_BULK_MAX_SPANS', flag: '--es-bulk-max-spans', roles: ['ingester'], field: elasticsearch.shape.bulkMaxSpans,
    help: 'Most documents in one Elasticsearch bulk request; larger writes are split.',
  },
  esBulkMaxBytes: {
    env: 'MESHTEL_ES_BULK_MAX_BYTES', flag: '--es-bulk-max-bytes', roles: ['ingester'], field: elasticsearch.shape.bulkMaxBytes,
    help: 'Largest Elasticsearch bulk request body (bytes); larger writes are split.',
  },
  esBulkConcurrency: {
    env: 'MESHTEL_ES_BULK_CONCURRENCY', flag: '--es-bulk-concurrency', roles: ['ingester'], field: elasticsearch.shape.bulkConcurrency,
    help: 'Bulk requests in flight at once per process.',
  },
  esBulkFlushIntervalMs: {
    env: 'MESHTEL_ES_BULK_FLUSH_INTERVAL_MS', flag: '--es-bulk-flush-interval-ms', roles: ['ingester'], field: elasticsearch.shape.flushIntervalMs,
    help: 'How long a partly filled bulk request waits for more spans before it is sent (0 = at once).',
  },
  esUsername: {
    env: 'MESHTEL_ES_USERNAME', flag: '--es-username', roles: ['ingester', 'query', 'jobs'], field: elasticsearch.shape.username,
    help: 'Elasticsearch basic-auth user name; empty = no authentication.',
  },
  esPassword: {
    env: 'MESHTEL_ES_PASSWORD', flag: '--es-password', roles: ['ingester', 'query', 'jobs'], field: elasticsearch.shape.password,
    help: 'Elasticsearch basic-auth password (used with --es-username).',
  },
  esShards: {
    env: 'MESHTEL_ES_SHARDS', flag: '--es-shards', roles: ['ingester', 'query', 'jobs'], field: elasticsearch.shape.shards,
    help: 'number_of_shards in the index templates (applies to indices created after the change).',
  },
  esReplicas: {
    env: 'MESHTEL_ES_REPLICAS', flag: '--es-replicas', roles: ['ingester', 'query', 'jobs'], field: elasticsearch.shape.replicas,
    help: 'number_of_replicas in the index templates; 0 suits a single node (otherwise the cluster stays yellow).',
  },
  remoteWriteUrl: {
    env: 'MESHTEL_REMOTE_WRITE_URL', flag: '--remote-write-url', roles: ['ingester', 'all-in-one'], field: remoteWrite.shape.url,
    help: 'Prometheus remote-write 1.0 endpoint the derived metrics are sent to (e.g. http://prometheus:9090/api/v1/write); empty = off (all-in-one then serves them on --metrics-port).',
  },
  remoteWriteFlushIntervalMs: {
    env: 'MESHTEL_REMOTE_WRITE_FLUSH_INTERVAL_MS', flag: '--remote-write-flush-interval-ms', roles: ['ingester', 'all-in-one'], field: remoteWrite.shape.flushIntervalMs,
    help: 'How often the derived metrics are snapshotted and queued for remote-write (the resolution of the stored series).',
  },
  remoteWriteMaxSamplesPerSend: {
    env: 'MESHTEL_REMOTE_WRITE_MAX_SAMPLES_PER_SEND', flag: '--remote-write-max-samples-per-send', roles: ['ingester', 'all-in-one'], field: remoteWrite.shape.maxSamplesPerSend,
    help: 'Most samples in one remote-write request.',
  },
  remoteWriteQueueMaxSamples: {
    env: 'MESHTEL_REMOTE_WRITE_QUEUE_MAX_SAMPLES', flag: '--remote-write-queue-max-samples', roles: ['ingester', 'all-in-one'], field: remoteWrite.shape.queueMaxSamples,
    help: 'Most samples queued while the receiver is slow or down; beyond it the oldest are dropped (meshtel_remote_write_samples_dropped_total{reason="queue_full"}).',
  },
  remoteWriteTimeoutMs: {
    env: 'MESHTEL_REMOTE_WRITE_TIMEOUT_MS', flag: '--remote-write-timeout-ms', roles: ['ingester', 'all-in-one'], field: remoteWrite.shape.timeoutMs,
    help: 'Longest wait for one remote-write request; a timeout is retried with backoff.',
  },
  remoteWriteExternalLabels: {
    env: 'MESHTEL_REMOTE_WRITE_EXTERNAL_LABELS', flag: '--remote-write-external-labels', roles: ['ingester', 'all-in-one'], field: remoteWrite.shape.externalLabels,
    help: 'Labels added to every remote-written series that lacks them, as name=value,name=value (e.g. cluster=prod,region=eu).',
  },
  remoteWriteInstanceLabel: {
    env: 'MESHTEL_REMOTE_WRITE_INSTANCE_LABEL', flag: '--remote-write-instance-label', roles: ['ingester', 'all-in-one'], field: remoteWrite.shape.instanceLabel,
    help: 'Value of the meshtel_instance label set on every remote-written series, so several ingesters never write the same series: auto = <hostname>-<pid>; none = no such label (only with a single ingester).',
  },
  remoteWriteUsername: {
    env: 'MESHTEL_REMOTE_WRITE_USERNAME', flag: '--remote-write-username', roles: ['ingester', 'all-in-one'], field: remoteWrite.shape.username,
    help: 'Remote-write basic-auth user name; empty = no basic auth.',
  },
  remoteWritePassword: {
    env: 'MESHTEL_REMOTE_WRITE_PASSWORD', flag: '--remote-write-password', roles: ['ingester', 'all-in-one'], field: remoteWrite.shape.password,
    help: 'Remote-write basic-auth password (used with --remote-write-username).',
  },
  remoteWriteBearerToken: {
    env: 'MESHTEL_REMOTE_WRITE_BEARER_TOKEN', flag: '--remote-write-bearer-token', roles: ['ingester', 'all-in-one'], field: remoteWrite.shape.bearerToken,
    help: 'Remote-write bearer token (Authorization: Bearer …); ignored when a basic-auth user name is set.',
  },
  metricsGeneratorProcessors: {
    env: 'MESHTEL_METRICS_GENERATOR_PROCESSORS', flag: '--metrics-generator-processors', roles: ['ingester', 'all-in-one'], field: metricsGeneratorSettings.shape.processors,
    help: 'Metrics generator processors that run, a comma-separated list of service-graphs, span-metrics and istio (Istio standard metrics from access logs), or none. A processor left out registers no series and costs nothing per span or access log.',
  },
  serviceGraphWaitMs: {
    env: 'MESHTEL_SERVICE_GRAPH_WAIT_MS', flag: '--service-graph-wait-ms', roles: ['ingester', 'all-in-one'], field: metricsGeneratorSettings.shape.serviceGraphWaitMs,
    help: 'Service graph: how long a client span waits for its server span (or back) before it counts as unpaired or goes to a virtual node.',
  },
  spanMetricsDimensions: {
    env: 'MESHTEL_SPANMETRICS_DIMENSIONS', flag: '--spanmetrics-dimensions', roles: ['ingester', 'all-in-one'], field: metricsGeneratorSettings.shape.spanMetricsDimensions,
    help: 'Span metrics: extra labels, a comma-separated list of span or resource attribute keys (e.g. http.method,k8s.namespace.name).',
  },
  metricsPort: {
    env: 'MESHTEL_METRICS_PORT', flag: '--metrics-port', roles: ['all-in-one'], field: expositionSettings.shape.port,
    help: 'Prometheus scrape endpoint (/metrics) for the derived metrics when no remote-write URL is set (meshtel\'s own metrics stay on the admin port). 0 picks a free port.',
  },
  metricsMaxSeries: {
    env: 'MESHTEL_METRICS_MAX_SERIES', flag: '--metrics-max-series', roles: ['ingester', 'all-in-one'], field: registrySettings.shape.defaultMaxSeries,
    help: 'Series per derived metric; further label sets fold into one overflow series (meshtel_overflow="true"), counted in meshtel_derived_series_overflow_total.',
  },
  redisUrl: {
    env: 'MESHTEL_REDIS_URL', flag: '--redis-url', roles: ['jobs', 'query'], field: jobsSettings.shape.redisUrl,
    help: 'Redis the background jobs run on (bullmq queues, schedules, the dead-letter replay record); query connects only when a trace is archived. all-in-one needs none.',
  },
  redisPrefix: {
    env: 'MESHTEL_REDIS_PREFIX', flag: '--redis-prefix', roles: ['jobs', 'query'], field: jobsSettings.shape.redisPrefix,
    help: 'Prefix of every Redis key meshtel writes (bullmq queues, replayed dead-letter set); separate deployments sharing one Redis use different prefixes.',
  },
  jobsConcurrency: {
    env: 'MESHTEL_JOBS_CONCURRENCY', flag: '--jobs-concurrency', roles: JOB_ROLES, field: jobsSettings.shape.concurrency,
    help: 'Runs of one job (rollup, retention, dlq-replay, archive) a jobs process works on at once.',
  },
  rollupSchedule: {
    env: 'MESHTEL_ROLLUP_SCHEDULE', flag: '--rollup-schedule', roles: JOB_ROLES, field: jobsSettings.shape.rollupSchedule,
    help: 'Cron schedule (UTC) of the dependency roll-up; each run rolls up the closed hours (and days) not yet final. Empty = never.',
  },
  retentionSchedule: {
    env: 'MESHTEL_RETENTION_SCHEDULE', flag: '--retention-schedule', roles: ['jobs'], field: jobsSettings.shape.retentionSchedule,
    help: 'Cron schedule (UTC) of index retention. Empty = never.',
  },
  dlqReplaySchedule: {
    env: 'MESHTEL_DLQ_REPLAY_SCHEDULE', flag: '--dlq-replay-schedule', roles: ['jobs'], field: jobsSettings.shape.dlqReplaySchedule,
    help: 'Cron schedule (UTC) of dead-letter replay (records matching MESHTEL_DLQ_REPLAY_STAGES). Empty (default) = only on demand (meshtel dlq replay).',
  },
  rollupLateness: {
    env: 'MESHTEL_ROLLUP_LATENESS', flag: '--rollup-lateness', roles: JOB_ROLES, field: jobsSettings.shape.rollupLateness,
    help: 'How late a span may arrive and still be counted (a Go duration): an hour is rolled up again on every run until this long after it closed, and only then marked final; /api/dependencies computes non-final hours live.',
  },
  rollupBackfill: {
    env: 'MESHTEL_ROLLUP_BACKFILL', flag: '--rollup-backfill', roles: JOB_ROLES, field: jobsSettings.shape.rollupBackfill,
    help: 'How far back (a Go duration) a scheduled roll-up looks for closed hours without a final roll-up (older ones: meshtel jobs run rollup --from … --to …).',
  },
  retentionSpansDays: {
    env: 'MESHTEL_RETENTION_SPANS_DAYS', flag: '--retention-spans-days', roles: ['jobs'], field: jobsSettings.shape.retentionSpansDays,
    help: 'Daily span indices kept (today included); older ones are deleted by the retention job. 0 = keep forever.',
  },
  retentionServicesDays: {
    env: 'MESHTEL_RETENTION_SERVICES_DAYS', flag: '--retention-services-days', roles: ['jobs'], field: jobsSettings.shape.retentionServicesDays,
    help: 'Daily services indices kept (today included). 0 = keep forever.',
  },
  retentionAccessLogsDays: {
    env: 'MESHTEL_RETENTION_ACCESSLOGS_DAYS', flag: '--retention-accesslogs-days', roles: ['jobs'], field: jobsSettings.shape.retentionAccessLogsDays,
    help: 'Daily access-log indices kept (today included). 0 = keep forever.',
  },
  retentionRollupsDays: {
    env: 'MESHTEL_RETENTION_ROLLUPS_DAYS', flag: '--retention-rollups-days', roles: ['jobs'], field: jobsSettings.shape.retentionRollupsDays,
    help: 'Daily dependency roll-up indices kept (today included). 0 = keep forever.',
  },
  dlqReplayRate: {
    env: 'MESHTEL_DLQ_REPLAY_RATE', flag: '--dlq-replay-rate', roles: ['jobs'], field: jobsSettings.shape.dlqReplayRate,
    help: 'Most dead-letter records replayed per second, so a replay does not flood the ingesters.',
  },
  dlqReplayStages: {
    env: 'MESHTEL_DLQ_REPLAY_STAGES', flag: '--dlq-replay-stages', roles: ['jobs'], field: jobsSettings.shape.dlqReplayStages,
    help: 'Stages (meshtel.dlq.stage header) the scheduled dead-letter replay takes; empty = every stage.',
  },
  ...SECURITY_SETTINGS,
  shutdownTimeoutMs: {
    env: 'MESHTEL_SHUTDOWN_TIMEOUT_MS', flag: '--shutdown-timeout-ms', roles: ['*'], field: roleSettings.shape.shutdownTimeoutMs,
    help: 'On SIGTERM/SIGINT: how long draining may take before the process exits anyway (exit code 1).',
  },
});

export type SettingKey = keyof typeof SETTINGS;
export type MeshtelConfig = ConfigOf<typeof SETTINGS>;

/**
 * The validated configuration from defaults, `MESHTEL_*` variables and flags (ConfigError lists
 * every problem). `role`, when given, limits the checks that depend on this machine (files the
 * settings name) to the settings that role reads; without it every setting is checked.
 */
export function loadConfig(flags: ReadonlyMap<string, string>, env: NodeJS.ProcessEnv = process.env, role?: string): MeshtelConfig {
  const config = loadSettings(SETTINGS, flags, env);
  // Settings that only work together (TLS key and certificate...), once each is valid alone.
  const combined = [...securitySettingsProblems(config, role), ...workersSettingProblems(config, role)];
  if (combined.length > 0) throw new ConfigError(combined);
  return config;
}

/** The settings as --help prints them, restricted to what a role reads. */
export function settingsHelp(role?: string): string {
  return helpFor(SETTINGS, role);
}
