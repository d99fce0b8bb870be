/**
 * A component whose start keeps retrying in the background instead of failing the process: the
 * collector's Kafka producer, so a collector started before Kafka (or during a Kafka outage)
 * stays up, reports not-ready on /readyz and answers 503 / UNAVAILABLE with Retry-After — the same
 * as the query role waiting for Elasticsearch — rather than exiting 1.
 */
import type { Logger } from '../shared/telemetry/logger.js';
import type { Component } from '../shared/model/component.js';

export interface BackgroundStartOptions {
  readonly logger: Logger;
  /** First wait between attempts; doubled up to maxDelayMs. */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
}

export function startInBackground(name: string, part: { start(): Promise<void>; stop(): Promise<void> }, opts: BackgroundStartOptions): Component {
  const initial = opts.initialDelayMs ?? 1000;
  const max = opts.maxDelayMs ?? 30_000;
  let stopped = false;
  let started = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let loop: Promise<void> | undefined;

  const attemptLoop = async () => {
    let delay = initial;
    for (let attempt = 1; !stopped; attempt++) {
      try {
        await part.start();
        started = true;
        if (attempt > 1) opts.logger.info({ component: name, attempts: attempt }, `${name} started after waiting for it`);
        return;
      } catch (err) {
        if (stopped) return;
        opts.logger.warn(
          { component: name, attempt, retryInMs: delay, err: err instanceof Error ? err.message : String(err) },
          `${name} cannot start yet; not ready, retrying`,
        );
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, delay);
      });
      delay = Math.min(max, delay * 2);
    }
  };

  return {
    name,
    async start() {
      loop = attemptLoop();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      // A start in progress finishes (or fails) first, so what it opened is closed below.
      await loop;
      if (started) await part.stop();
    },
  };
}
