/**
 * OTLP's severity names and numbers. (Values become text by shared/model/attribute-text.ts.)
 */
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
