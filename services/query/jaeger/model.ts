/**
 * The Jaeger query API's JSON trace model (Jaeger's `uimodel`), which the Jaeger UI and Grafana's
 * Jaeger data source read. Field order here is the order the JSON is written in, matching Jaeger's
 * own output so answers can be compared byte for byte.
 */

export type JaegerValueType = 'string' | 'bool' | 'int64' | 'float64' | 'binary';

export interface JaegerKeyValue {
  readonly key: string;
  readonly type: JaegerValueType;
  /** int64 beyond ±(2^53−1) is a decimal string (JS readers would lose digits); binary is base64. */
  readonly value: string | number | boolean;
}

export interface JaegerReference {
  readonly refType: 'CHILD_OF' | 'FOLLOWS_FROM';
  readonly traceID: string;
  readonly spanID: string;
}

export interface JaegerLog {
  /** Microseconds since the epoch. */
  readonly timestamp: number;
  readonly fields: JaegerKeyValue[];
}

export interface JaegerProcess {
  readonly serviceName: string;
  readonly tags: JaegerKeyValue[];
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  /** Omitted when 0, as Jaeger's `omitempty` does. */
  flags?: number;
  operationName: string;
  references: JaegerReference[];
  /** Microseconds since the epoch. */
  startTime: number;
  /** Microseconds. */
  duration: number;
  tags: JaegerKeyValue[];
  logs: JaegerLog[];
  processID: string;
  warnings: string[] | null;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, JaegerProcess>;
  warnings: string[] | null;
}

export interface JaegerDependencyLink {
  readonly parent: string;
  readonly child: string;
  readonly callCount: number;
}
