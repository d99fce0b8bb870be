/** Reading the derived-metrics registry (a MetricsSource) in tests. */
import type { CounterSeries, FamilySnapshot, HistogramSeries, MetricsSource } from '../../shared/metrics/registry.js';

/** The family named `name` in the source's snapshot; throws, naming the families there are, when absent. */
export function familyOf(source: MetricsSource, name: string): FamilySnapshot {
  const families = source.snapshot().families;
  const f = families.find((x) => x.name === name);
  if (!f) throw new Error(`no family ${name}; have ${families.map((x) => x.name).join(', ')}`);
  return f;
}

/** The series of a counter or gauge family. */
export function counterSeriesOf(source: MetricsSource, name: string): readonly CounterSeries[] {
  const f = familyOf(source, name);
  if (f.type !== 'counter' && f.type !== 'gauge') throw new Error(`${name} is a ${f.type}`);
  return f.series;
}

/** The series of a histogram family. */
export function histogramSeriesOf(source: MetricsSource, name: string): readonly HistogramSeries[] {
  const f = familyOf(source, name);
  if (f.type !== 'histogram') throw new Error(`${name} is a ${f.type}`);
  return f.series;
}
