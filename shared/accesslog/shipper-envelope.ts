/**
 * Log shippers (Fluent Bit, Vector) rarely send a proxy's stdout line bare: they wrap it in a
 * record — `{"log": "<line>", "kubernetes": {...}}` (Fluent Bit's tail + kubernetes filter),
 * `{"message": "<line>", "kubernetes": {...}}` (Vector's kubernetes_logs) — or, when told to merge
 * JSON logs, put Istio's JSON keys at the top level beside `kubernetes`. This module finds the
 * access-log line in such a record and turns the shipper's pod metadata into the reporting
 * workload, which is exactly what a bare line lacks.
 */
import type { Workload } from '../model/access-log.js';
import { canonicalFromLabels, workloadFromPodName } from '../istio/naming.js';

export interface UnwrappedEntry {
  /** The access-log line the shipper carried; undefined when the record is itself the entry (merged JSON). */
  readonly line?: string;
  /** The record without the shipper's metadata keys (for merged Istio JSON). */
  readonly fields: Readonly<Record<string, unknown>>;
  readonly reportingWorkload?: Workload;
}

/** Shipper keys holding the line, in the order tried. */
const LINE_KEYS = ['log', 'message'];

/** Splits a shipper record into the access-log line (or merged entry) and the reporting workload. */
export function unwrapShipperRecord(record: Readonly<Record<string, unknown>>): UnwrappedEntry {
  // The common case, a bare Istio JSON line, is returned as is: this runs once per line.
  const merged = 'start_time' in record;
  if (merged && !('kubernetes' in record)) return { fields: record };
  const { kubernetes, ...fields } = record;
  const reportingWorkload = kubernetesWorkload(kubernetes);
  // A record holding Istio's own keys is the entry itself (merged), whatever else it carries.
  if (!merged) {
    for (const key of LINE_KEYS) {
      const line = fields[key];
      if (typeof line === 'string') return { line, fields, reportingWorkload };
    }
  }
  return { fields, reportingWorkload };
}

/**
 * Fluent Bit (`pod_name`, `namespace_name`, `labels`) and Vector (`pod_name`, `pod_namespace`,
 * `pod_labels`) spell the pod's metadata differently; both are read.
 */
export function kubernetesWorkload(meta: unknown): Workload | undefined {
  if (typeof meta !== 'object' || meta === null) return undefined;
  const m = meta as Record<string, unknown>;
  const pod = stringOf(m.pod_name);
  const namespace = stringOf(m.namespace_name) ?? stringOf(m.pod_namespace);
  if (pod === undefined && namespace === undefined) return undefined;
  const labels = stringRecord(m.labels) ?? stringRecord(m.pod_labels) ?? {};
  const workload = pod !== undefined ? workloadFromPodName(pod) : undefined;
  const canonical = canonicalFromLabels(labels, workload);
  return {
    workload,
    namespace,
    canonicalService: canonical.canonicalService,
    canonicalRevision: canonical.canonicalRevision,
    app: labels.app,
    version: labels.version,
  };
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}
