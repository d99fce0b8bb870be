/**
 * OTLP → Prometheus names, per the OpenTelemetry "Prometheus and OpenMetrics Compatibility"
 * specification: metric names sanitized, the unit appended as a word (`_seconds`, `_bytes`,
 * `_per_second`; `{annotations}` dropped; `1` becomes `_ratio` for gauges only), `_total` for
 * monotonic sums; attribute keys sanitized into label names, colliding keys' values joined with `;`.
 */
import type { AnyValue, KeyValue } from '../../model/span.js';

/** UCUM units the spec maps to Prometheus words. */
const UNIT_WORDS: Readonly<Record<string, string>> = {
  d: 'days', h: 'hours', min: 'minutes', s: 'seconds', ms: 'milliseconds', us: 'microseconds', ns: 'nanoseconds',
  By: 'bytes', KiBy: 'kibibytes', MiBy: 'mebibytes', GiBy: 'gibibytes', TiBy: 'tibibytes',
  KBy: 'kilobytes', MBy: 'megabytes', GBy: 'gigabytes', TBy: 'terabytes',
  m: 'meters', V: 'volts', A: 'amperes', J: 'joules', W: 'watts', g: 'grams', Cel: 'celsius', Hz: 'hertz', '%': 'percent',
};

/** Units after a `/`, in the singular (`m/s` → `meters_per_second`). */
const PER_UNIT_WORDS: Readonly<Record<string, string>> = {
  s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week', mo: 'month', y: 'year',
};

/** Invalid characters → `_`, runs of `_` collapsed and trimmed, a leading digit guarded by `_`. */
export function sanitizeMetricName(name: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9_:]+/g, '_').replace(/_+/g, '_').replace(/^_+|_+$/g, '');
  if (cleaned === '') return '_';
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}

function unitWord(unit: string, table: Readonly<Record<string, string>>): string {
  const word = table[unit] ?? unit;
  // Units the table does not know are kept, with what a name cannot hold removed.
  return word.replace(/[^a-zA-Z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

/** The unit as name words, e.g. `seconds`, `bytes_per_second`, `ratio`; '' when none. */
export function unitSuffix(unit: string, isGauge: boolean): string {
  const stripped = unit.replace(/\{[^}]*\}/g, '').trim();
  if (stripped === '') return '';
  if (stripped === '1') return isGauge ? 'ratio' : '';
  const slash = stripped.indexOf('/');
  const main = slash < 0 ? stripped : stripped.slice(0, slash);
  const per = slash < 0 ? '' : stripped.slice(slash + 1);
  const mainWord = main === '' ? '' : unitWord(main, UNIT_WORDS);
  const perWord = per === '' ? '' : unitWord(per, PER_UNIT_WORDS);
  if (perWord === '') return mainWord;
  return mainWord === '' ? `per_${perWord}` : `${mainWord}_per_${perWord}`;
}

export type NameKind = 'gauge' | 'counter' | 'other';

/** The Prometheus metric name of an OTLP metric. */
export function prometheusMetricName(name: string, unit: string, kind: NameKind): string {
  let out = sanitizeMetricName(name);
  const suffix = unitSuffix(unit, kind === 'gauge');
  // The unit is appended unless the name already ends with it (`http_duration_seconds` stays).
  if (suffix !== '' && !out.endsWith(`_${suffix}`) && out !== suffix) out = `${out}_${suffix}`;
  if (kind === 'counter' && !out.endsWith('_total')) out = `${out}_total`;
  return out;
}

/** An attribute key as a label name: invalid characters → `_`, a leading digit or `__` guarded. */
export function sanitizeLabelName(key: string): string {
  const cleaned = key.replace(/[^a-zA-Z0-9_]/g, '_');
  if (cleaned === '') return '';
  // `__` names are Prometheus' own; a leading digit is not a valid name.
  if (/^[0-9]/.test(cleaned) || cleaned.startsWith('__')) return `key_${cleaned}`;
  return cleaned;
}

/** An attribute value as a label value. */
export function labelValue(v: AnyValue): string {
  switch (v.type) {
    case 'string': return v.value;
    case 'bool': return v.value ? 'true' : 'false';
    case 'int': return v.value.toString();
    case 'double': return String(v.value);
    case 'bytes': return Buffer.from(v.value).toString('base64');
    case 'array': return JSON.stringify(v.value.map(labelValue));
    case 'kvlist': return JSON.stringify(Object.fromEntries(v.value.map((kv) => [kv.key, labelValue(kv.value)])));
    case 'empty': return '';
  }
}

/**
 * Attributes as labels. Keys that sanitize to the same name have their values joined with `;`
 * in the order of their original keys, as the spec says, so neither value is lost.
 */
export function attributeLabels(attributes: readonly KeyValue[], skip?: ReadonlySet<string>): Record<string, string> {
  const byName = new Map<string, Array<{ key: string; value: string }>>();
  for (const kv of attributes) {
    if (skip?.has(kv.key)) continue;
    const name = sanitizeLabelName(kv.key);
    if (name === '') continue;
    const list = byName.get(name);
    const entry = { key: kv.key, value: labelValue(kv.value) };
    if (list) list.push(entry);
    else byName.set(name, [entry]);
  }
  const out: Record<string, string> = {};
  for (const [name, list] of byName) {
    out[name] = list.length === 1 ? list[0]!.value : list.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((e) => e.value).join(';');
  }
  return out;
}
