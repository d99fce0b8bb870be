/**
 * Turning OTLP log values into the strings an AccessLogRecord keeps (its `attributes` and `body`
 * are strings so every store can index them the same way), and OTLP's severity names.
 */
import type { AnyValue } from '../../model/span.js';

/**
 * A value as text: strings as they are; numbers and booleans as their literal; bytes as base64
 * (proto3 JSON's spelling); arrays and maps as JSON; an empty value as ''.
 */
export function anyValueText(v: AnyValue): string {
  switch (v.type) {
    case 'string': return v.value;
    case 'bool': return v.value ? 'true' : 'false';
    case 'int': return v.value.toString();
    case 'double': return String(v.value);
    case 'bytes': return Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength).toString('base64');
    case 'empty': return '';
    default: return JSON.stringify(anyValueJson(v));
  }
}

/** A JSON-ready form: int64 beyond 2^53 as a decimal string so it keeps every digit. */
function anyValueJson(v: AnyValue): unknown {
  switch (v.type) {
    case 'string':
    case 'bool':
      return v.value;
    case 'double':
      // JSON has no NaN/Infinity; proto3 JSON spells them as strings.
      return Number.isFinite(v.value) ? v.value : String(v.value);
    case 'int': {
      const n = Number(v.value);
      return Number.isSafeInteger(n) ? n : v.value.toString();
    }
    case 'bytes': return anyValueText(v);
    case 'array': return v.value.map(anyValueJson);
    case 'kvlist': {
      const out: Record<string, unknown> = {};
      for (const kv of v.value) out[kv.key] = anyValueJson(kv.value);
      return out;
    }
    case 'empty': return null;
  }
}

const SEVERITY_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;

/** OTLP's short names by SeverityNumber: 1 TRACE, 2 TRACE2 … 9 INFO … 24 FATAL4 (index 0 unused). */
const SEVERITY_NAMES: readonly string[] = (() => {
  const names = [''];
  for (const level of SEVERITY_LEVELS) for (let step = 1; step <= 4; step++) names.push(step === 1 ? level : `${level}${step}`);
  return names;
})();

const SEVERITY_NUMBERS = new Map(SEVERITY_NAMES.map((name, n) => [name, n] as const).filter(([name]) => name !== ''));

/** `INFO` for 9 …; undefined for 0 (unspecified) and numbers OTLP does not define. */
export function severityName(severityNumber: number): string | undefined {
  return severityNumber > 0 && severityNumber < SEVERITY_NAMES.length ? SEVERITY_NAMES[severityNumber] : undefined;
}

/** The SeverityNumber of one of OTLP's short names (any case), else 0. */
export function severityNumberOf(text: string | undefined): number {
  if (text === undefined) return 0;
  return SEVERITY_NUMBERS.get(text.toUpperCase()) ?? 0;
}
