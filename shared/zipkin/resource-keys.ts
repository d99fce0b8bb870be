/**
 * Tags that describe the process rather than the operation. The OpenTelemetry Collector's
 * Zipkin translator moves these from a span's tags to its resource (or drops them from the
 * span): the resource attribute names of semantic conventions 1.6.1, which its translator uses,
 * plus a few OpenCensus leftovers. An OTLP→Zipkin exporter writes resource attributes as tags,
 * so this puts them back where they came from.
 */
export const RESOURCE_TAG_KEYS: ReadonlySet<string> = new Set([
  'cloud.provider', 'cloud.account.id', 'cloud.region', 'cloud.availability_zone', 'cloud.platform',
  'aws.ecs.container.arn', 'aws.ecs.cluster.arn', 'aws.ecs.launchtype', 'aws.ecs.task.arn', 'aws.ecs.task.family',
  'aws.ecs.task.revision', 'aws.eks.cluster.arn', 'aws.log.group.names', 'aws.log.group.arns', 'aws.log.stream.names',
  'aws.log.stream.arns',
  'container.name', 'container.id', 'container.runtime', 'container.image.name', 'container.image.tag',
  'deployment.environment',
  'device.id', 'device.model.identifier', 'device.model.name',
  'faas.name', 'faas.id', 'faas.version', 'faas.instance', 'faas.max_memory',
  'host.id', 'host.name', 'host.type', 'host.arch', 'host.image.name', 'host.image.id', 'host.image.version',
  'k8s.cluster.name', 'k8s.node.name', 'k8s.node.uid', 'k8s.namespace.name', 'k8s.pod.uid', 'k8s.pod.name',
  'k8s.container.name', 'k8s.replicaset.uid', 'k8s.replicaset.name', 'k8s.deployment.uid', 'k8s.deployment.name',
  'k8s.statefulset.uid', 'k8s.statefulset.name', 'k8s.daemonset.uid', 'k8s.daemonset.name', 'k8s.job.uid',
  'k8s.job.name', 'k8s.cronjob.uid', 'k8s.cronjob.name',
  'os.type', 'os.description', 'os.name', 'os.version',
  'process.pid', 'process.executable.name', 'process.executable.path', 'process.command', 'process.command_line',
  'process.command_args', 'process.owner', 'process.runtime.name', 'process.runtime.version',
  'process.runtime.description',
  'service.name', 'service.namespace', 'service.instance.id', 'service.version',
  'telemetry.sdk.name', 'telemetry.sdk.language', 'telemetry.sdk.version', 'telemetry.auto.version',
  'webengine.name', 'webengine.version', 'webengine.description',
  // OpenCensus exporters' process tags.
  'opencensus.starttime', 'opencensus.exporterversion', 'opencensus.resourcetype',
]);
