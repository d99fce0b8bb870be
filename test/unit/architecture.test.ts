/**
 * The import graph, held to the layout README's "Layout" section describes: layers point down
 * (model ← wire ← codecs ← stores/buffer/metrics ← services), no import cycles, roles never import
 * each other, and backends are named only by wiring code. A change that breaks one of these
 * fails here with the offending imports listed.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Parts of the tree and the layer each sits on; a part may import parts on its layer or below. */
const LAYER_OF_PART: Readonly<Record<string, number>> = {
  'shared/model': 0,
  'shared/wire': 1,
  'shared/config': 1,
  'shared/telemetry': 1,
  'shared/security': 2,
  'shared/istio': 2,
  'shared/graph': 2,
  'shared/traceql': 2,
  'shared/otlp': 2,
  'shared/zipkin': 2,
  'shared/envoy': 2,
  'shared/accesslog': 2,
  'shared/storage': 3,
  'shared/buffer': 3,
  'shared/metrics': 3,
  'shared/jobs': 3,
  services: 4,
};

/** Imports that must never exist even though the layers allow them (part → part, why). */
const FORBIDDEN: ReadonlyArray<readonly [string, string, string]> = [
  ['shared/config', 'shared/wire', 'config knows no component'],
  ['shared/config', 'shared/telemetry', 'config knows no component'],
  ['shared/telemetry', 'shared/config', 'self-telemetry knows no settings table'],
  ['shared/storage', 'shared/buffer', 'stores do not consume'],
  ['shared/buffer', 'shared/storage', 'the buffer knows no store'],
  ['shared/metrics', 'shared/storage', 'derivation knows no store'],
  ['shared/metrics', 'shared/buffer', 'derivation knows no transport'],
];

/** Role folders: none imports another (all-in-one and the CLI compose them). */
const ROLES = ['services/collector', 'services/ingester', 'services/query', 'services/jobs'];

/** Backend folders, named only by wiring code (role builders and the helpers they call). */
const BACKENDS = [
  'shared/storage/memory',
  'shared/storage/elasticsearch',
  'shared/buffer/inprocess',
  'shared/buffer/kafka',
  'shared/metrics/remote-write',
  'shared/metrics/exposition',
  'shared/jobs/bullmq',
  'shared/jobs/inprocess',
];
const isWiring = (file: string): boolean =>
  /^services\/([^/]+\/)?role\.ts$/.test(file) ||
  /^services\/[^/]+\.ts$/.test(file) ||
  file === 'services/ingester/derived-metrics.ts' ||
  file === 'services/jobs/backends.ts';

/** Jobs that exist only for one backend: they may name it (and nothing else may). */
const BACKEND_SPECIFIC: Readonly<Record<string, string>> = {
  'services/jobs/retention-job.ts': 'deletes Elasticsearch daily indices by name',
  'services/jobs/dead-letter-replay.ts': 'reads and replays the Kafka dead-letter topic',
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(rel));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  return specs.map((s) => path.posix.normalize(path.posix.join(path.posix.dirname(file), s)).replace(/\.js$/, '.ts'));
}

function partOf(file: string): string {
  const [top, second] = file.split('/');
  return top === 'services' ? 'services' : `${top}/${second}`;
}

const files = [...sourceFiles('shared'), ...sourceFiles('services')];
const graph = new Map(files.map((f) => [f, importsOf(f)] as const));
const within = (file: string, folder: string): boolean => file.startsWith(`${folder}/`);

/** Strongly connected components with more than one file (Tarjan). */
function cycles(nodes: Map<string, readonly string[]>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    indexOf.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of nodes.get(v) ?? []) {
      if (!nodes.has(w)) continue;
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
      }
    }
    if (low.get(v) === indexOf.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) found.push(scc.sort());
    }
  };
  for (const v of nodes.keys()) if (!indexOf.has(v)) visit(v);
  return found;
}

describe('the import graph', () => {
  it('reads every source file and resolves every relative import to a file that exists', () => {
    expect(files.length).toBeGreaterThan(100);
    const missing = [...graph].flatMap(([from, tos]) => tos.filter((to) => !graph.has(to)).map((to) => `${from} → ${to}`));
    expect(missing).toEqual([]);
  });

  it('has every file in a known part', () => {
    expect(files.filter((f) => LAYER_OF_PART[partOf(f)] === undefined)).toEqual([]);
  });

  it('has no import cycles between files', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('has no import cycles between parts (e.g. envoy ↔ accesslog)', () => {
    const parts = new Map<string, Set<string>>();
    for (const [from, tos] of graph) {
      const set = parts.get(partOf(from)) ?? new Set<string>();
      for (const to of tos) if (partOf(to) !== partOf(from)) set.add(partOf(to));
      parts.set(partOf(from), set);
    }
    expect(cycles(new Map([...parts].map(([k, v]) => [k, [...v]] as const)))).toEqual([]);
  });

  it('points down only: no part imports a part on a higher layer', () => {
    const upward = [...graph].flatMap(([from, tos]) =>
      tos.filter((to) => LAYER_OF_PART[partOf(to)]! > LAYER_OF_PART[partOf(from)]!).map((to) => `${from} → ${to}`),
    );
    expect(upward).toEqual([]);
  });

  it.each(FORBIDDEN)('never imports %s → %s (%s)', (fromPart, toPart) => {
    const bad = [...graph].flatMap(([from, tos]) =>
      partOf(from) === fromPart ? tos.filter((to) => partOf(to) === toPart).map((to) => `${from} → ${to}`) : [],
    );
    expect(bad).toEqual([]);
  });

  it('keeps roles apart: no role folder imports another', () => {
    const bad = [...graph].flatMap(([from, tos]) => {
      const role = ROLES.find((r) => within(from, r));
      if (!role) return [];
      return tos.filter((to) => ROLES.some((other) => other !== role && within(to, other))).map((to) => `${from} → ${to}`);
    });
    expect(bad).toEqual([]);
  });

  it('names a backend only in wiring code (everything else goes through the interface)', () => {
    const bad = [...graph].flatMap(([from, tos]) =>
      tos
        .filter((to) => BACKENDS.some((b) => within(to, b) && !within(from, b)))
        .filter(() => !isWiring(from) && BACKEND_SPECIFIC[from] === undefined)
        .map((to) => `${from} → ${to}`),
    );
    expect(bad).toEqual([]);
  });
});
