/**
 * Builds the peers of the `peers` benchmark — Jaeger v1.75.0 and an OpenTelemetry Collector
 * v0.165.0 (otlp receiver, batch processor, nop and kafka exporters) — from the Go module proxy
 * into a cache outside git, once. Nothing of their code is kept in this repository: only the
 * module requirements and the collector's few lines of `main` below.
 *
 * Binaries are named after what built them (peer, version and a hash of the build recipe), so a
 * change to the recipe builds anew and an unchanged one is reused across runs and worktrees.
 *
 *   npx tsx test/bench/peers/build.ts            # build what is missing, print the paths
 *   BENCH_PEERS_CACHE=/some/dir ...              # cache elsewhere (default ~/.cache/meshtel-peers)
 *
 * The first build downloads over a gigabyte of modules and compiles for several minutes on 2 cores.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

export type PeerName = 'jaeger' | 'otelcol';

export const JAEGER_VERSION = 'v1.75.0';
export const OTELCOL_VERSION = 'v0.165.0';
/** The collector's stable modules (confmap providers) that go with core v0.165.0. */
const OTELCOL_STABLE_VERSION = 'v1.71.0';
/** contrib's kafka exporter: v0.165.1 is the patch release that goes with core v0.165.0. */
const KAFKA_EXPORTER_VERSION = 'v0.165.1';

interface Recipe {
  readonly name: PeerName;
  readonly version: string;
  /** Files of the scratch module, besides what `go` writes. */
  readonly files: Readonly<Record<string, string>>;
  /** `go` argument lists run in the scratch module, in order; `$OUT` is the binary's path. */
  readonly steps: ReadonlyArray<readonly string[]>;
}

const COLLECTOR_MAIN = `// A minimal OpenTelemetry Collector for meshtel's peers benchmark.
package main

import (
	"log"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/kafkaexporter"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/exporter/nopexporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor/batchprocessor"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
)

func factories() (otelcol.Factories, error) {
	var f otelcol.Factories
	var err error
	if f.Receivers, err = otelcol.MakeFactoryMap(otlpreceiver.NewFactory()); err != nil {
		return f, err
	}
	if f.Processors, err = otelcol.MakeFactoryMap(batchprocessor.NewFactory()); err != nil {
		return f, err
	}
	if f.Exporters, err = otelcol.MakeFactoryMap(nopexporter.NewFactory(), kafkaexporter.NewFactory()); err != nil {
		return f, err
	}
	// The service's own telemetry (logs, the metrics level) comes from a factory: v0.165 refuses to start without one.
	f.Telemetry = otelconftelemetry.NewFactory()
	return f, nil
}

func main() {
	settings := otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{Command: "otelcol-bench", Description: "OpenTelemetry Collector for meshtel's peers benchmark", Version: "${OTELCOL_VERSION.slice(1)}"},
		Factories: factories,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				ProviderFactories: []confmap.ProviderFactory{envprovider.NewFactory(), fileprovider.NewFactory(), yamlprovider.NewFactory()},
			},
		},
	}
	if err := otelcol.NewCommand(settings).Execute(); err != nil {
		log.Fatal(err)
	}
}
`;

const RECIPES: Readonly<Record<PeerName, Recipe>> = {
  // Jaeger v1.75's cmd/jaeger is Jaeger v2: the collector framework with Jaeger's components.
  jaeger: {
    name: 'jaeger',
    version: JAEGER_VERSION,
    files: {},
    steps: [
      ['mod', 'init', 'meshtel.local/peers/jaeger'],
      ['get', '-tool', `github.com/jaegertracing/jaeger/cmd/jaeger@${JAEGER_VERSION}`],
      ['build', '-trimpath', '-o', '$OUT', 'github.com/jaegertracing/jaeger/cmd/jaeger'],
    ],
  },
  otelcol: {
    name: 'otelcol',
    version: OTELCOL_VERSION,
    files: { 'main.go': COLLECTOR_MAIN },
    steps: [
      ['mod', 'init', 'meshtel.local/peers/otelcol'],
      [
        'get',
        `go.opentelemetry.io/collector/otelcol@${OTELCOL_VERSION}`,
        `go.opentelemetry.io/collector/service@${OTELCOL_VERSION}`,
        `go.opentelemetry.io/collector/receiver/otlpreceiver@${OTELCOL_VERSION}`,
        `go.opentelemetry.io/collector/processor/batchprocessor@${OTELCOL_VERSION}`,
        `go.opentelemetry.io/collector/exporter/nopexporter@${OTELCOL_VERSION}`,
        `go.opentelemetry.io/collector/confmap@${OTELCOL_STABLE_VERSION}`,
        `go.opentelemetry.io/collector/confmap/provider/envprovider@${OTELCOL_STABLE_VERSION}`,
        `go.opentelemetry.io/collector/confmap/provider/fileprovider@${OTELCOL_STABLE_VERSION}`,
        `go.opentelemetry.io/collector/confmap/provider/yamlprovider@${OTELCOL_STABLE_VERSION}`,
        `github.com/open-telemetry/opentelemetry-collector-contrib/exporter/kafkaexporter@${KAFKA_EXPORTER_VERSION}`,
      ],
      ['mod', 'tidy'],
      ['build', '-trimpath', '-o', '$OUT', '.'],
    ],
  },
};

export function peersCacheDir(): string {
  return process.env.BENCH_PEERS_CACHE ?? join(homedir(), '.cache', 'meshtel-peers');
}

function recipeHash(recipe: Recipe): string {
  return createHash('sha256').update(JSON.stringify(recipe)).digest('hex').slice(0, 12);
}

/** Where the peer's binary is (or will be) for the current recipe. */
export function peerBinaryPath(name: PeerName): string {
  const recipe = RECIPES[name];
  return join(peersCacheDir(), `${name}-${recipe.version}-${recipeHash(recipe)}`);
}

export type BuildOutcome = { readonly ok: true; readonly path: string } | { readonly ok: false; readonly reason: string };

function runGo(args: readonly string[], cwd: string, log: NodeJS.WritableStream): Promise<number> {
  return new Promise((resolve, reject) => {
    // The local toolchain only (no toolchain download), static binaries, modules from the proxy.
    const env = { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '-mod=mod', GOWORK: 'off' };
    const child = spawn('go', [...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

/**
 * Builds one peer unless its binary is cached. Progress goes to stdout (one line per step and a
 * heartbeat), the go tool's own output to `<cache>/<name>.log`.
 */
export async function buildPeer(name: PeerName, say: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<BuildOutcome> {
  const recipe = RECIPES[name];
  const out = peerBinaryPath(name);
  if (existsSync(out)) return { ok: true, path: out };
  const cache = peersCacheDir();
  const src = join(cache, 'src', `${name}-${recipeHash(recipe)}`);
  rmSync(src, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  for (const [file, text] of Object.entries(recipe.files)) writeFileSync(join(src, file), text);
  const logPath = join(cache, `${name}.log`);
  const log = createWriteStream(logPath);
  const partial = `${out}.partial`;
  const started = performance.now();
  say(`peers: building ${name} ${recipe.version} in ${src} (first time: several minutes; go output in ${logPath})`);
  const heartbeat = setInterval(() => say(`peers: … still building ${name} (${Math.round((performance.now() - started) / 1000)} s)`), 30_000);
  try {
    for (const step of recipe.steps) {
      const args = step.map((a) => (a === '$OUT' ? partial : a));
      say(`peers:   go ${args.join(' ')}`);
      log.write(`$ go ${args.join(' ')}\n`);
      const code = await runGo(args, src, log).catch((err: unknown) => {
        log.write(`${String(err)}\n`);
        return 127;
      });
      if (code === 127) return { ok: false, reason: 'the go tool is not on PATH (Go ≥ 1.26 is needed)' };
      if (code !== 0) return { ok: false, reason: `\`go ${step[0]}\` exited ${code} (see ${logPath})` };
    }
    renameSync(partial, out);
    // Binaries of earlier recipes are ~100 MB each and never used again.
    for (const file of readdirSync(cache)) {
      if (file.startsWith(`${name}-`) && join(cache, file) !== out) rmSync(join(cache, file), { force: true });
    }
    say(`peers: built ${name} → ${out} in ${Math.round((performance.now() - started) / 1000)} s`);
    return { ok: true, path: out };
  } finally {
    clearInterval(heartbeat);
    log.end();
  }
}

async function main(names: readonly string[]): Promise<number> {
  let failed = false;
  for (const name of names) {
    if (!(name in RECIPES)) throw new Error(`unknown peer ${name}; known: ${Object.keys(RECIPES).join(', ')}`);
    const outcome = await buildPeer(name as PeerName);
    if (outcome.ok) process.stdout.write(`${name}: ${outcome.path}\n`);
    else {
      failed = true;
      process.stdout.write(`${name}: build failed: ${outcome.reason}\n`);
    }
  }
  return failed ? 1 : 0;
}

// No top-level await: the bench imports this module, and some loaders compile it as CommonJS.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const names = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(RECIPES);
  main(names).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`peers build: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
