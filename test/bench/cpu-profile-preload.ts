/**
 * Preloaded into a process under benchmark to CPU-profile just the load phase:
 *
 *   NODE_OPTIONS="--require tsx/cjs --require <this file>" MESHTEL_BENCH_CPU_PROFILE_DIR=<dir> …
 *
 * The first SIGUSR2 starts V8's sampling profiler, the second stops it and writes
 * `<dir>/<pid>.cpuprofile` (the format Chrome DevTools and `cpu-profile-summary.ts` read).
 *
 * Why not `node --cpu-prof`: Node 20 refuses it in NODE_OPTIONS, and the shared test helper that
 * starts meshtel fixes its node flags; NODE_OPTIONS is the one door left. `--require` rather than
 * `--import` because ESM preloads also run on the module-hooks thread, where tsx is not loaded.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

const dir = process.env.MESHTEL_BENCH_CPU_PROFILE_DIR;

if (isMainThread && dir) {
  const session = new Session();
  session.connect();
  let running = false;
  const fail = (what: string, err: Error | null) => {
    if (err) process.stderr.write(`cpu-profile-preload: ${what}: ${err.message}\n`);
  };
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      // 250 µs instead of V8's 1 ms default: short runs still collect enough samples.
      session.post('Profiler.enable', (err) => fail('enable', err));
      session.post('Profiler.setSamplingInterval', { interval: 250 }, (err) => fail('interval', err));
      session.post('Profiler.start', (err) => fail('start', err));
      return;
    }
    running = false;
    session.post('Profiler.stop', (err, result) => {
      fail('stop', err);
      if (result) writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
