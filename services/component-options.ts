/**
 * From the flat process configuration (services/settings.ts) to each component's own settings:
 * the only place configuration keys are renamed into component fields. Role builders pass these on;
 * every default stays in the component's schema.
 */
import type { z } from 'zod';
import { inProcessBufferSettings } from '../shared/buffer/inprocess/inprocess-buffer-settings.js';
import { kafkaBufferOptionsSchema, parseBrokerList, type KafkaBufferOptions } from '../shared/buffer/kafka/kafka-options.js';
import { kafkaSecurityOptions, kafkaSecuritySettings, type KafkaSecurityOptions } from '../shared/buffer/kafka/kafka-security.js';
import {
  buildListenerSecurity,
  listenerSecuritySettings,
  type ListenerGroup,
  type ListenerSecurity,
} from '../shared/security/listener-security.js';
import type { Logger } from '../shared/telemetry/logger.js';
import { expositionSettings } from '../shared/metrics/exposition/exposition-settings.js';
import { registrySettings } from '../shared/metrics/registry-settings.js';
import { remoteWriteSinkOptions } from '../shared/metrics/remote-write/config.js';
import type { RemoteWriteSinkOptions } from '../shared/metrics/remote-write/remote-write-sink.js';
import { remoteWriteSettings, type RemoteWriteSettings } from '../shared/metrics/remote-write/settings.js';
import { elasticsearchAccessLogStoreSettings, type ElasticsearchAccessLogStoreSettings } from '../shared/storage/elasticsearch/accesslog-options.js';
import { elasticsearchSpanStoreSettings, type ElasticsearchSpanStoreSettings } from '../shared/storage/elasticsearch/options.js';
import { memoryAccessLogStoreSettings, memorySpanStoreSettings } from '../shared/storage/memory/memory-store-settings.js';
import { collectorSettings, type CollectorConfig } from './collector/collector-settings.js';
import { jobsSettings } from './jobs/jobs-settings.js';
import { metricsGeneratorSettings } from './ingester/metrics-generator-settings.js';
import { querySettings } from './query/query-settings.js';
import { roleSettings, type RoleSettings } from './role-settings.js';
import { clusterSettings } from './cluster/cluster-settings.js';
import type { MeshtelConfig } from './settings.js';

type Input<S extends z.ZodType> = z.input<S>;

export function roleSettingsFromConfig(config: MeshtelConfig): RoleSettings {
  return { logLevel: config.logLevel, host: config.host, adminPort: config.adminPort, shutdownTimeoutMs: config.shutdownTimeoutMs };
}

/** The collector's settings carry the configuration keys' own names. */
export function collectorConfigFromConfig(config: MeshtelConfig): CollectorConfig {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(collectorSettings.shape)) picked[key] = config[key as keyof MeshtelConfig];
  return { ...(picked as z.input<typeof collectorSettings>), host: config.host, shutdownTimeoutMs: config.shutdownTimeoutMs };
}

export function inProcessBufferSettingsFromConfig(config: MeshtelConfig): Input<typeof inProcessBufferSettings> {
  return { capacityBytes: config.bufferMaxBytes };
}

export function kafkaBufferOptionsFromConfig(config: MeshtelConfig): KafkaBufferOptions {
  return {
    brokers: parseBrokerList(config.kafkaBrokers),
    clientId: config.kafkaClientId,
    topicPrefix: config.kafkaTopicPrefix,
    partitions: config.kafkaPartitions,
    replicationFactor: config.kafkaReplicationFactor,
    compression: config.kafkaCompression,
    consumerGroup: config.kafkaConsumerGroup,
    publishTimeoutMs: config.kafkaPublishTimeoutMs,
    capacityBytes: config.kafkaMaxInFlightBytes,
    partitionsConsumedConcurrently: config.kafkaPartitionsConsumedConcurrently,
    ...kafkaSecurityFromConfig(config),
  };
}

export function memorySpanStoreSettingsFromConfig(config: MeshtelConfig): Input<typeof memorySpanStoreSettings> {
  return { maxSpans: config.memoryMaxSpans, maxBytes: config.memoryMaxBytes };
}

export function memoryAccessLogStoreSettingsFromConfig(config: MeshtelConfig): Input<typeof memoryAccessLogStoreSettings> {
  return { maxRecords: config.memoryMaxAccessLogs, maxBytes: config.memoryMaxAccessLogBytes };
}

export function querySettingsFromConfig(config: MeshtelConfig): Input<typeof querySettings> {
  return {
    port: config.queryPort,
    tempoPort: config.tempoPort,
    defaultLimit: config.queryDefaultLimit,
    maxLimit: config.queryMaxLimit,
    maxClockSkewAdjustMs: config.queryMaxClockSkewAdjustMs,
    prometheusUrl: config.prometheusUrl,
    corsAllowedOrigins: config.queryCorsAllowedOrigins,
    maxResponseBytes: config.queryMaxResponseBytes,
    serviceNaming: config.meshServiceNaming,
    graphDegradedPercent: config.graphDegradedPercent,
    graphFailingPercent: config.graphFailingPercent,
  };
}

export function elasticsearchOptionsFromConfig(config: MeshtelConfig): Partial<ElasticsearchSpanStoreSettings> {
  return {
    node: config.esUrl,
    username: config.esUsername,
    password: config.esPassword,
    apiKey: config.esApiKey,
    tlsCaFile: config.esTlsCaFile,
    indexPrefix: config.esIndexPrefix,
    shards: config.esShards,
    replicas: config.esReplicas,
    bulkMaxSpans: config.esBulkMaxSpans,
    bulkMaxBytes: config.esBulkMaxBytes,
    bulkConcurrency: config.esBulkConcurrency,
    flushIntervalMs: config.esBulkFlushIntervalMs,
    meshServiceNaming: config.meshServiceNaming,
  };
}

/** Same cluster, credentials, prefix and bulk settings as the span store; the bulk size counts documents. */
export function elasticsearchAccessLogOptionsFromConfig(config: MeshtelConfig): Partial<ElasticsearchAccessLogStoreSettings> {
  const { bulkMaxSpans, ...shared } = elasticsearchOptionsFromConfig(config);
  return { ...shared, bulkMaxDocs: bulkMaxSpans };
}

export function remoteWriteSettingsFromConfig(config: MeshtelConfig): RemoteWriteSettings {
  return {
    url: config.remoteWriteUrl,
    flushIntervalMs: config.remoteWriteFlushIntervalMs,
    maxSamplesPerSend: config.remoteWriteMaxSamplesPerSend,
    queueMaxSamples: config.remoteWriteQueueMaxSamples,
    timeoutMs: config.remoteWriteTimeoutMs,
    externalLabels: config.remoteWriteExternalLabels,
    instanceLabel: config.remoteWriteInstanceLabel,
    username: config.remoteWriteUsername,
    password: config.remoteWritePassword,
    bearerToken: config.remoteWriteBearerToken,
    tlsCaFile: config.remoteWriteTlsCaFile,
  };
}

/** Options for a RemoteWriteSink, or undefined when MESHTEL_REMOTE_WRITE_URL is empty (remote-write off). */
export function remoteWriteOptionsFromConfig(
  config: MeshtelConfig,
  deps: Omit<Parameters<typeof remoteWriteSinkOptions>[1], 'stopTimeoutMs'>,
): RemoteWriteSinkOptions | undefined {
  return remoteWriteSinkOptions(remoteWriteSettingsFromConfig(config), {
    ...deps,
    // Leave part of the role's shutdown budget to the components stopped after this one.
    stopTimeoutMs: Math.max(1000, Math.floor(config.shutdownTimeoutMs / 2)),
  });
}

export function metricsGeneratorSettingsFromConfig(config: MeshtelConfig): Input<typeof metricsGeneratorSettings> {
  return { processors: config.metricsGeneratorProcessors, serviceGraphWaitMs: config.serviceGraphWaitMs, spanMetricsDimensions: config.spanMetricsDimensions };
}

export function registrySettingsFromConfig(config: MeshtelConfig): Input<typeof registrySettings> {
  return { defaultMaxSeries: config.metricsMaxSeries };
}

export function expositionSettingsFromConfig(config: MeshtelConfig): Input<typeof expositionSettings> {
  return { port: config.metricsPort };
}

/**
 * Every component that takes settings: its schema and how the configuration maps onto it. Lets a
 * test check that every setting reaches a component and that each default is the component's own.
 */
export const COMPONENT_SETTINGS: ReadonlyArray<{
  readonly component: string;
  readonly schema: z.ZodType;
  readonly fromConfig: (config: MeshtelConfig) => unknown;
}> = [
  { component: 'role', schema: roleSettings, fromConfig: roleSettingsFromConfig },
  { component: 'cluster', schema: clusterSettings, fromConfig: clusterSettingsFromConfig },
  { component: 'collector', schema: collectorSettings, fromConfig: collectorConfigFromConfig },
  { component: 'in-process buffer', schema: inProcessBufferSettings, fromConfig: inProcessBufferSettingsFromConfig },
  { component: 'kafka buffer', schema: kafkaBufferOptionsSchema, fromConfig: kafkaBufferOptionsFromConfig },
  { component: 'memory span store', schema: memorySpanStoreSettings, fromConfig: memorySpanStoreSettingsFromConfig },
  { component: 'memory access-log store', schema: memoryAccessLogStoreSettings, fromConfig: memoryAccessLogStoreSettingsFromConfig },
  { component: 'query', schema: querySettings, fromConfig: querySettingsFromConfig },
  { component: 'jobs', schema: jobsSettings, fromConfig: jobsSettingsFromConfig },
  { component: 'kafka security', schema: kafkaSecuritySettings, fromConfig: kafkaSecuritySettingsFromConfig },
  { component: 'receiver listeners', schema: listenerSecuritySettings, fromConfig: (c) => listenerSecuritySettingsFromConfig(c, 'receiver') },
  { component: 'query listeners', schema: listenerSecuritySettings, fromConfig: (c) => listenerSecuritySettingsFromConfig(c, 'query') },
  { component: 'admin listener', schema: listenerSecuritySettings, fromConfig: (c) => listenerSecuritySettingsFromConfig(c, 'admin') },
  { component: 'elasticsearch span store', schema: elasticsearchSpanStoreSettings, fromConfig: elasticsearchOptionsFromConfig },
  { component: 'elasticsearch access-log store', schema: elasticsearchAccessLogStoreSettings, fromConfig: elasticsearchAccessLogOptionsFromConfig },
  { component: 'remote-write', schema: remoteWriteSettings, fromConfig: remoteWriteSettingsFromConfig },
  { component: 'metrics generator', schema: metricsGeneratorSettings, fromConfig: metricsGeneratorSettingsFromConfig },
  { component: 'derived-metrics registry', schema: registrySettings, fromConfig: registrySettingsFromConfig },
  { component: 'derived-metrics exposition', schema: expositionSettings, fromConfig: expositionSettingsFromConfig },
];

/** How many worker processes the role runs (services/cluster). */
export function clusterSettingsFromConfig(config: MeshtelConfig): z.output<typeof clusterSettings> {
  return { workers: config.workers };
}

/** The graph's health thresholds (Kiali's defaults unless set). */
export function graphHealthFromConfig(config: MeshtelConfig): { degradedPercent: number; failingPercent: number } {
  return { degradedPercent: config.graphDegradedPercent, failingPercent: config.graphFailingPercent };
}

export function kafkaSecuritySettingsFromConfig(config: MeshtelConfig): z.input<typeof kafkaSecuritySettings> {
  return {
    tlsEnabled: config.kafkaTlsEnabled,
    tlsCaFile: config.kafkaTlsCaFile,
    tlsCertFile: config.kafkaTlsCertFile,
    tlsKeyFile: config.kafkaTlsKeyFile,
    saslMechanism: config.kafkaSaslMechanism,
    saslUsername: config.kafkaSaslUsername,
    saslPassword: config.kafkaSaslPassword,
  };
}

/** kafkajs `ssl` / `sasl` from MESHTEL_KAFKA_TLS_* and MESHTEL_KAFKA_SASL_* (files read now). */
export function kafkaSecurityFromConfig(config: MeshtelConfig): KafkaSecurityOptions {
  return kafkaSecurityOptions(kafkaSecuritySettingsFromConfig(config));
}

export function listenerSecuritySettingsFromConfig(config: MeshtelConfig, group: ListenerGroup): z.input<typeof listenerSecuritySettings> {
  return {
    tlsCertFile: config[`${group}TlsCertFile`],
    tlsKeyFile: config[`${group}TlsKeyFile`],
    tlsClientCaFile: config[`${group}TlsClientCaFile`],
    authTokensFile: config[`${group}AuthTokensFile`],
    authBasicFile: config[`${group}AuthBasicFile`],
    // The admin port never serves tenant data, so it never asks for a tenant.
    tenancy: group !== 'admin' && config.multitenancyEnabled,
  };
}

/** A listener group's security (TLS, credentials, tenancy), its files read now. */
export function listenerSecurityFromConfig(config: MeshtelConfig, group: ListenerGroup, logger: Logger): ListenerSecurity {
  return buildListenerSecurity(group, listenerSecuritySettingsFromConfig(config, group), { logger });
}

export function jobsSettingsFromConfig(config: MeshtelConfig): z.input<typeof jobsSettings> {
  return {
    redisUrl: config.redisUrl,
    redisPrefix: config.redisPrefix,
    concurrency: config.jobsConcurrency,
    rollupSchedule: config.rollupSchedule,
    retentionSchedule: config.retentionSchedule,
    dlqReplaySchedule: config.dlqReplaySchedule,
    rollupLateness: config.rollupLateness,
    rollupBackfill: config.rollupBackfill,
    retentionSpansDays: config.retentionSpansDays,
    retentionServicesDays: config.retentionServicesDays,
    retentionAccessLogsDays: config.retentionAccessLogsDays,
    retentionRollupsDays: config.retentionRollupsDays,
    dlqReplayRate: config.dlqReplayRate,
    dlqReplayStages: config.dlqReplayStages,
  };
}
