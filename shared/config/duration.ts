/**
 * Go-style durations (`time.ParseDuration` units h, m, s, ms, us/µs, ns; sequences such as
 * `1h30m`; `0` alone), as the OpenTelemetry Collector, Jaeger and Tempo write them in their
 * settings. Returns milliseconds; fractions are kept (`1.5s` = 1500).
 */
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 1e-3, 'µs': 1e-3, ns: 1e-6 };
const PART = /(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|ns)/y;

export function parseGoDuration(text: string): number {
  const input = text.trim();
  if (input === '0') return 0;
  if (input === '') throw new Error('empty duration');
  let at = 0;
  let total = 0;
  PART.lastIndex = 0;
  while (at < input.length) {
    PART.lastIndex = at;
    const m = PART.exec(input);
    if (!m) throw new Error(`"${text}" is not a duration such as 30s, 15m, 24h or 1h30m`);
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    at = PART.lastIndex;
  }
  return total;
}
