/**
 * Test-only reader of the Prometheus text exposition format: sample lines into name, labels,
 * value and optional timestamp, label values unescaped. Written from the format's description,
 * independent of our renderer, so a test can check what a scraper would actually read.
 */
export interface ScrapedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const v = Number(text);
  if (text === '' || Number.isNaN(v)) throw new Error(`not a sample value: ${text}`);
  return v;
}

/** Reads `{a="x",b="y"}` from `line` at `start` (the `{`); returns the labels and the index after `}`. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start + 1;
  while (line[i] !== '}') {
    const eq = line.indexOf('=', i);
    const name = line.slice(i, eq);
    if (line[eq + 1] !== '"') throw new Error(`expected a quoted label value: ${line}`);
    let value = '';
    i = eq + 2;
    for (;;) {
      const c = line[i];
      if (c === undefined) throw new Error(`unterminated label value: ${line}`);
      if (c === '"') break;
      if (c === '\\') {
        const next = line[i + 1];
        value += next === 'n' ? '\n' : next;
        i += 2;
      } else {
        value += c;
        i += 1;
      }
    }
    labels[name] = value;
    i += 1;
    if (line[i] === ',') i += 1;
  }
  return { labels, end: i + 1 };
}

export function parseExposition(text: string): ScrapedSample[] {
  const out: ScrapedSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const nameEnd = line.search(/[{ ]/);
    const name = line.slice(0, nameEnd);
    let rest = nameEnd;
    let labels: Record<string, string> = {};
    if (line[nameEnd] === '{') ({ labels, end: rest } = parseLabels(line, nameEnd));
    const [valueText, timestampText] = line.slice(rest).trim().split(/\s+/);
    out.push({
      name,
      labels,
      value: parseValue(valueText ?? ''),
      ...(timestampText === undefined ? {} : { timestampMs: Number(timestampText) }),
    });
  }
  return out;
}
