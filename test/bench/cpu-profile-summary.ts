/**
 * Top self-time entries of a V8 .cpuprofile, as text:
 *
 *   npx tsx test/bench/cpu-profile-summary.ts <file.cpuprofile> [top=20]
 *
 * Self time is counted from samples (each sample names the function on top of the stack).
 * Percentages are of the busy samples — `(idle)` is left out, so they add up to what the
 * process actually spent CPU on in its main thread.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly children?: readonly number[];
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface HotSpot {
  readonly name: string;
  readonly location: string;
  readonly selfPercent: number;
}

export interface ProfileSummary {
  readonly busySeconds: number;
  readonly idlePercent: number;
  readonly functions: readonly HotSpot[];
  /** Self time summed per source file (or per bucket like "(garbage collector)"). */
  readonly files: readonly HotSpot[];
  /**
   * Inclusive time of meshtel's own functions (this repository, outside node_modules): where a
   * request's time goes by stage, e.g. the receiver's handler versus the ingester.
   */
  readonly inclusive: readonly HotSpot[];
  /** Busy time by pipeline stage (see STAGES), GC and V8 internals as stages of their own. */
  readonly stages: readonly HotSpot[];
}

interface Frame {
  readonly functionName: string;
  readonly url: string;
}

/**
 * Pipeline stages told apart by the frames on a sample's stack; the first rule that matches
 * wins, so the ingester (which also decodes) is checked before the collector's decode. Named
 * after meshtel's functions at the time of writing: when those are renamed, time shows up as
 * "other" rather than in a wrong stage.
 */
const STAGES: ReadonlyArray<readonly [string, (stack: readonly Frame[]) => boolean]> = [
  ['ingester: decode buffered records', (st) => has(st, 'ingest', 'services/ingester/') && has(st, 'decodeTracesProtobuf')],
  ['ingester: span store write', (st) => has(st, 'ingest', 'services/ingester/')],
  ['collector: decode request', (st) => has(st, 'decodeTracesProtobuf') || has(st, 'decodeTracesJson')],
  ['collector: validate', (st) => has(st, 'validateSpans')],
  ['collector: group + encode buffer records', (st) => has(st, 'recordsPerTrace') || has(st, 'recordsPerPartition')],
  ['collector: buffer publish', (st) => has(st, 'publish', 'buffer')],
  // Runs from the produce batcher's callbacks, not under publish(): matched by kafkajs's own frames.
  ['Kafka produce (kafkajs, record packing)', (st) => st.some((f) => f.url.includes('kafkajs') || f.url.includes('shared/buffer/kafka/'))],
  ['transport: gRPC / HTTP/2', (st) => st.some((f) => f.url.includes('@grpc/grpc-js') || f.url.includes('http2'))],
  ['transport: HTTP / fastify', (st) => st.some((f) => /fastify|find-my-way|light-my-request|node:_http|node:http/.test(f.url))],
  ['metrics (prom-client)', (st) => st.some((f) => f.url.includes('prom-client'))],
];

function has(stack: readonly Frame[], functionName: string, urlPart = ''): boolean {
  return stack.some((f) => f.functionName === functionName && f.url.includes(urlPart));
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

function shortLocation(url: string): string {
  if (url === '') return '';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) return path.slice(nm + 'node_modules/'.length);
  return path.startsWith(repoRoot) ? relative(repoRoot, path) : path;
}

export function summarizeProfile(profile: CpuProfile, top = 20): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  // Per node: the distinct meshtel frames on its stack (itself included), computed once.
  const ownFramesOf = new Map<number, readonly string[]>();
  const ownFrames = (id: number): readonly string[] => {
    let frames = ownFramesOf.get(id);
    if (frames === undefined) {
      const node = byId.get(id)!;
      const parent = parentOf.get(id);
      const above = parent === undefined ? [] : ownFrames(parent);
      const file = node.callFrame.url.startsWith(`file://${repoRoot}`) && !node.callFrame.url.includes('/node_modules/')
        ? shortLocation(node.callFrame.url) : '';
      const key = file ? `${node.callFrame.functionName || '(anonymous)'}@${file}` : '';
      frames = key && !above.includes(key) ? [...above, key] : above;
      ownFramesOf.set(id, frames);
    }
    return frames;
  };
  const inclusiveUs = new Map<string, number>();
  const stageUs = new Map<string, number>();
  const stageOf = new Map<number, string>();
  const stageOfNode = (id: number): string => {
    let stage = stageOf.get(id);
    if (stage === undefined) {
      const stack: Frame[] = [];
      for (let q: number | undefined = id; q !== undefined; q = parentOf.get(q)) stack.push(byId.get(q)!.callFrame);
      const name = stack[0]?.functionName ?? '';
      stage = name === '(garbage collector)' || name === '(program)' ? name : (STAGES.find(([, test]) => test(stack))?.[0] ?? 'other');
      stageOf.set(id, stage);
    }
    return stage;
  };
  const perFunction = new Map<string, { name: string; location: string; us: number }>();
  const perFile = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    // timeDeltas[i] is the gap before sample i, so sample i lasted until the next one (as
    // DevTools counts it); the profiler's own start/stop samples then weigh nothing.
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    for (const key of ownFrames(node.id)) inclusiveUs.set(key, (inclusiveUs.get(key) ?? 0) + us);
    const stage = stageOfNode(node.id);
    stageUs.set(stage, (stageUs.get(stage) ?? 0) + us);
    const file = shortLocation(url);
    const name = functionName || '(anonymous)';
    // Code run through tsx reports line 1 for everything (no source maps in the profile): then
    // the file alone says as much.
    const location = file && lineNumber > 0 ? `${file}:${lineNumber + 1}` : file;
    const key = `${name}@${location}`;
    const entry = perFunction.get(key) ?? { name, location, us: 0 };
    entry.us += us;
    perFunction.set(key, entry);
    const fileKey = file || name;
    perFile.set(fileKey, (perFile.get(fileKey) ?? 0) + us);
  }
  const pct = (us: number) => (busyUs > 0 ? (100 * us) / busyUs : 0);
  return {
    busySeconds: busyUs / 1e6,
    idlePercent: idleUs + busyUs > 0 ? (100 * idleUs) / (idleUs + busyUs) : 0,
    functions: [...perFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((e) => ({ name: e.name, location: e.location, selfPercent: pct(e.us) })),
    files: [...perFile]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([file, us]) => ({ name: file, location: '', selfPercent: pct(us) })),
    inclusive: [...inclusiveUs]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, us]) => {
        const at = key.lastIndexOf('@');
        return { name: key.slice(0, at), location: key.slice(at + 1), selfPercent: pct(us) };
      }),
    stages: [...stageUs]
      .sort((a, b) => b[1] - a[1])
      .map(([stage, us]) => ({ name: stage, location: '', selfPercent: pct(us) })),
  };
}

export function formatProfileSummary(s: ProfileSummary): string {
  const lines = [
    `main thread busy ${s.busySeconds.toFixed(1)} s (idle ${s.idlePercent.toFixed(0)}% of the profiled time); by stage, % of busy:`,
    ...s.stages.map((f) => `  ${f.selfPercent.toFixed(1).padStart(5)}%  ${f.name}`),
    'self time, % of busy:',
    ...s.functions.map((f) => `  ${f.selfPercent.toFixed(1).padStart(5)}%  ${f.name}  ${f.location}`),
    'by file:',
    ...s.files.map((f) => `  ${f.selfPercent.toFixed(1).padStart(5)}%  ${f.name}`),
    'meshtel functions, inclusive (self + callees), % of busy:',
    ...s.inclusive.map((f) => `  ${f.selfPercent.toFixed(1).padStart(5)}%  ${f.name}  ${f.location}`),
  ];
  return lines.join('\n');
}

export function summarizeProfileFile(path: string, top = 20): ProfileSummary {
  return summarizeProfile(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile, top);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('Usage: npx tsx test/bench/cpu-profile-summary.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${formatProfileSummary(summarizeProfileFile(file, top ? Number(top) : 20))}\n`);
}
