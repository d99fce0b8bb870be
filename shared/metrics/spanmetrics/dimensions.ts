/**
 * Attribute look-ups and label-name rules shared by the span-metrics and service-graph derivers,
 * so an extra dimension like `http.method` becomes the same label (`http_method`) in both.
 */
import { attributeText } from '../../model/attribute-text.js';
import type { KeyValue, SpanRecord } from '../../model/span.js';

/**
 * Prometheus label name for an attribute key: every character outside [a-zA-Z0-9_] becomes `_`
 * (as Tempo does with Prometheus' SanitizeLabelName). A leading digit or a leading `__` (reserved
 * by Prometheus, and rejected by our registry) gets a `key_` prefix so the name stays valid.
 */
export function sanitizeLabelName(key: string): string {
  const name = key.replace(/[^a-zA-Z0-9_]/g, '_');
  if (name === '' || /^[0-9]/.test(name) || name.startsWith('__')) return `key_${name}`;
  return name;
}

function find(list: readonly KeyValue[], key: string): string | undefined {
  for (const kv of list) if (kv.key === key) return attributeText(kv.value);
  return undefined;
}

/**
 * The value of `key` on the span's resource, else on the span (Tempo looks resource-first), or
 * undefined when neither has it or the value is empty.
 */
export function findAttribute(span: SpanRecord, key: string): string | undefined {
  const v = find(span.resource.attributes, key) ?? find(span.attributes, key);
  return v === '' ? undefined : v;
}

/** Configured attribute keys paired with their label names; rejects two keys that collide. */
export function dimensionLabels(keys: readonly string[], reserved: readonly string[]): ReadonlyArray<{ key: string; label: string }> {
  const seen = new Set(reserved);
  return keys.map((key) => {
    const label = sanitizeLabelName(key);
    if (seen.has(label)) throw new Error(`dimension "${key}" gives label "${label}", which is already used`);
    seen.add(label);
    return { key, label };
  });
}
