/**
 * Istio's TEXT access-log lines (reference §3) — and lines of any custom Envoy format string —
 * normalized to AccessLogRecord. The default format is ISTIO_TEXT_FORMAT compiled like any other,
 * so the default and custom paths cannot drift apart.
 */
import type { AccessLogRecord, Workload } from '../model/access-log.js';
import { istioTextFormat, type CompiledEnvoyFormat } from './envoy-format.js';
import { applyOperator } from './envoy-operators.js';
import { AccessLogParseError } from './errors.js';
import { finishRecord, newDraft } from './record-draft.js';

export interface LineParseOptions {
  /** The format the proxies were configured with; Istio's default TEXT format when absent. */
  readonly format?: CompiledEnvoyFormat;
  /**
   * Values the line itself does not carry (an OTLP record's time and labels, input 'otlp' …).
   * The line's own values win; attributes are merged. Input defaults to 'lines'.
   */
  readonly defaults?: Partial<AccessLogRecord>;
  /**
   * The workload whose proxy wrote the line, when the sender knows it (a log shipper's Kubernetes
   * metadata, envoyOtelAls labels); it fills the reporter's side of the hop.
   */
  readonly reportingWorkload?: Workload;
}

/** Parses one TEXT line (trailing newline tolerated). Throws AccessLogParseError naming the field and the value. */
export function parseIstioTextLine(line: string, options: LineParseOptions = {}): AccessLogRecord {
  if (line.trim() === '') throw new AccessLogParseError('empty access-log line');
  const format = options.format ?? istioTextFormat();
  const draft = newDraft();
  const { values, error } = format.scan(line);
  // Values first: when fields are shifted, the first value of the wrong kind names the problem
  // better than "line ends early" further on.
  for (const { operator, value } of values) {
    applyOperator(draft, operator, value, `${operator.text} (field ${operator.position})`);
  }
  if (error) throw error;
  if (options.defaults?.kind === undefined && !tellsHttpFromTcp(format)) {
    // Without a method or protocol in the format, a response code is the only HTTP sign left.
    draft.kind = (draft.responseCode ?? 0) > 0 ? 'http' : 'tcp';
  }
  return finishRecord(draft, options.defaults, options.reportingWorkload);
}

function tellsHttpFromTcp(format: CompiledEnvoyFormat): boolean {
  return format.operators.some(
    (op) => op.command === 'PROTOCOL' || (op.command === 'REQ' && (op.args ?? '').toUpperCase().split('?').includes(':METHOD')),
  );
}
