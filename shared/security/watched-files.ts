/**
 * Watches a few files for changes while someone holds it, so certificates and credential files
 * can be replaced without a restart. Polling (fs.watchFile) rather than inotify (fs.watch)
 * because Kubernetes updates a mounted Secret by swapping a symlink, which polling the path
 * sees and an inotify watch on the old target does not.
 */
import fs from 'node:fs';

/** How often watched files are polled; a changed certificate is in use within about this long. */
export const DEFAULT_RELOAD_INTERVAL_MS = 1000;

export class WatchedFiles {
  readonly #paths: readonly string[];
  readonly #intervalMs: number;
  readonly #onChange: () => void;
  #holders = 0;
  readonly #listener = (curr: fs.Stats, prev: fs.Stats): void => {
    if (curr.mtimeMs !== prev.mtimeMs || curr.size !== prev.size || curr.ino !== prev.ino) this.#onChange();
  };

  constructor(paths: readonly string[], onChange: () => void, intervalMs = DEFAULT_RELOAD_INTERVAL_MS) {
    this.#paths = [...new Set(paths)];
    this.#onChange = onChange;
    this.#intervalMs = intervalMs;
  }

  /** Starts watching on the first hold; the returned function releases this hold (idempotent). */
  hold(): () => void {
    if (this.#holders++ === 0) {
      // persistent: false — a watch never keeps the process alive on its own.
      for (const p of this.#paths) fs.watchFile(p, { persistent: false, interval: this.#intervalMs }, this.#listener);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.#holders === 0) {
        for (const p of this.#paths) fs.unwatchFile(p, this.#listener);
      }
    };
  }
}
