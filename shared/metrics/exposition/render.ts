/**
 * Prometheus text exposition format 0.0.4 for a derived-metrics snapshot: `# HELP` / `# TYPE`
 * per family, histograms as `_bucket{le}` (cumulative, ending with `le="+Inf"`), `_sum`, `_count`,
 * summaries as `{quantile}`, `_sum`, `_count`.
 *
 * Timestamps: derived series carry none (the scrape time is right for them, and Prometheus then
 * applies staleness). Imported series (OTLP points with their own `timestampMs`) are written WITH
 * it, so Prometheus stores the time the point was measured — the same sample remote-write sends.
 */
import type { Labels, MetricsSnapshot } from '../registry.js';
import { formatBound } from '../labels.js';

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Go's ParseFloat spellings for the special values; finite numbers in JS's shortest form. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  return formatBound(v);
}

function labelText(labels: Labels, extra?: readonly [string, string]): string {
  const parts: string[] = [];
  for (const name of Object.keys(labels)) {
    const value = labels[name]!;
    if (value !== '') parts.push(`${name}="${escapeLabelValue(value)}"`);
  }
  if (extra) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function line(name: string, labels: Labels, value: number, timestampMs: number | undefined, extra?: readonly [string, string]): string {
  const ts = timestampMs === undefined ? '' : ` ${Math.round(timestampMs)}`;
  return `${name}${labelText(labels, extra)} ${formatValue(value)}${ts}\n`;
}

export function renderExposition(snapshot: MetricsSnapshot): string {
  let out = '';
  for (const family of snapshot.families) {
    if (family.series.length === 0) continue;
    const { name } = family;
    out += `# HELP ${name} ${escapeHelp(family.help)}\n# TYPE ${name} ${family.type}\n`;
    switch (family.type) {
      case 'counter':
      case 'gauge':
        for (const s of family.series) out += line(name, s.labels, s.value, s.timestampMs);
        break;
      case 'histogram':
        for (const s of family.series) {
          for (let i = 0; i < s.bounds.length; i++) {
            out += line(`${name}_bucket`, s.labels, s.bucketCounts[i] ?? 0, s.timestampMs, ['le', formatBound(s.bounds[i]!)]);
          }
          out += line(`${name}_bucket`, s.labels, s.count, s.timestampMs, ['le', '+Inf']);
          out += line(`${name}_sum`, s.labels, s.sum, s.timestampMs);
          out += line(`${name}_count`, s.labels, s.count, s.timestampMs);
        }
        break;
      case 'summary':
        for (const s of family.series) {
          for (const q of s.quantiles) out += line(name, s.labels, q.value, s.timestampMs, ['quantile', formatBound(q.quantile)]);
          out += line(`${name}_sum`, s.labels, s.sum, s.timestampMs);
          out += line(`${name}_count`, s.labels, s.count, s.timestampMs);
        }
        break;
    }
  }
  return out;
}
