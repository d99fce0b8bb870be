/**
 * Label sets as remote-write 1.0 wants them: `__name__` plus the series' labels, external labels
 * and the instance label, sorted by name in byte order, no empty values, no repeated names.
 *
 * Prometheus 2.42 answers 500 (retried forever by a spec-following sender) for some invalid label
 * sets and only validates names from 2.46 on, so we validate here and drop what would never land.
 */
import type { Labels } from './registry.js';

export type LabelPair = readonly [name: string, value: string];

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function isValidMetricName(name: string): boolean {
  return METRIC_NAME.test(name);
}

/** A user-supplied label name (external, instance): the pattern, and not reserved (`__…`). */
export function isValidLabelName(name: string): boolean {
  return LABEL_NAME.test(name) && !name.startsWith('__');
}

/** Byte-order comparison of label names; they are ASCII, so UTF-16 code-unit order equals it. */
function byName(a: LabelPair, b: LabelPair): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

export interface LabelDefaults {
  /** Added unless the series has the label already (Prometheus's external_labels rule). */
  readonly external: readonly LabelPair[];
  /** Always set, overriding a series label of the same name: it keeps ingesters' series disjoint. */
  readonly instance?: LabelPair;
}

/**
 * The sorted labels a series contributes to every sample derived from it (a histogram's buckets,
 * sum and count share them): its own labels, the instance label and the external labels. Computed
 * once per series so the per-sample work is a merge, not a sort.
 */
export function baseLabels(series: Labels, defaults: LabelDefaults): LabelPair[] | Error {
  const out: LabelPair[] = [];
  const seen = new Set<string>();
  const add = (n: string, v: string): void => {
    if (v === '' || seen.has(n)) return;
    seen.add(n);
    out.push([n, v]);
  };
  if (defaults.instance) add(defaults.instance[0], defaults.instance[1]);
  for (const n of Object.keys(series)) {
    if (!LABEL_NAME.test(n) || n.startsWith('__')) return new Error(`invalid label name "${n}"`);
    add(n, series[n]!);
  }
  for (const [n, v] of defaults.external) add(n, v);
  out.sort(byName);
  return out;
}

/**
 * `base` plus `__name__` and the optional `le`/`quantile` label, still sorted; `extra` replaces a
 * series label of the same name (the bucket bound must be the one the sample is for).
 */
export function withName(base: readonly LabelPair[], name: string, extra?: LabelPair): LabelPair[] {
  const pending: LabelPair[] = [['__name__', name]];
  if (extra) {
    if (byName(extra, pending[0]!) < 0) pending.unshift(extra);
    else pending.push(extra);
  }
  const out: LabelPair[] = [];
  let p = 0;
  for (const pair of base) {
    if (extra && pair[0] === extra[0]) continue;
    while (p < pending.length && byName(pending[p]!, pair) < 0) out.push(pending[p++]!);
    out.push(pair);
  }
  while (p < pending.length) out.push(pending[p++]!);
  return out;
}

/** The complete, sorted label set of one sample, or an Error naming what is invalid. */
export function sampleLabels(name: string, series: Labels, defaults: LabelDefaults, extra?: LabelPair): LabelPair[] | Error {
  if (!isValidMetricName(name)) return new Error(`invalid metric name "${name}"`);
  const base = baseLabels(series, defaults);
  if (base instanceof Error) return new Error(`${base.message} on ${name}`);
  return withName(base, name, extra);
}

/** Identity of a series: its sorted label set, joined with separators that cannot occur in names. */
export function seriesKey(labels: readonly LabelPair[]): string {
  let key = '';
  for (const [n, v] of labels) key += n + '\u0000' + v + '\u0001';
  return key;
}

/**
 * Parses `name=value,name=value` (MESHTEL_REMOTE_WRITE_EXTERNAL_LABELS). Throws naming the bad
 * entry: names must be valid and unreserved, values non-empty, names not repeated.
 */
export function parseLabelList(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (text.trim() === '') return out;
  for (const entry of text.split(',')) {
    const eq = entry.indexOf('=');
    const name = (eq < 0 ? entry : entry.slice(0, eq)).trim();
    const value = eq < 0 ? '' : entry.slice(eq + 1).trim();
    if (!isValidLabelName(name)) throw new Error(`"${entry.trim()}": label name must match [a-zA-Z_][a-zA-Z0-9_]* and not start with "__"`);
    if (value === '') throw new Error(`"${entry.trim()}": label value must not be empty`);
    if (name in out) throw new Error(`"${name}" given twice`);
    out[name] = value;
  }
  return out;
}

/** Number formatting shared by `le`/`quantile` labels (same text in remote-write and exposition). */
export function formatBound(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
