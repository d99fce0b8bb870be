/**
 * Golden files: an output with a fixed shape (an Elasticsearch document or query body, an API
 * answer) is kept whole under test/golden/, so a review diff shows every change to it. A test
 * compares what the code produces now with the file; `npm run golden:update` (UPDATE_GOLDEN=1)
 * rewrites the files instead, for a change that is intended. That script runs every test file
 * whose path contains "golden", so name golden tests `*-golden.test.ts`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden');

export const updatingGolden = process.env.UPDATE_GOLDEN === '1';

/** JSON as stored: two-space indent, key order as produced (it is part of what is compared), bigints as strings. */
export function goldenJson(value: unknown): string {
  return `${JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
}

/**
 * Checks `value` against test/golden/<name>.json (or rewrites that file when updating). The
 * comparison is on the text, so key order, number spelling and absent-vs-null all count.
 */
export function expectGolden(name: string, value: unknown): void {
  const path = join(GOLDEN_DIR, `${name}.json`);
  const actual = goldenJson(value);
  if (updatingGolden) {
    mkdirSync(dirname(path), { recursive: true });
    if (!existsSync(path) || readFileSync(path, 'utf8') !== actual) writeFileSync(path, actual);
    return;
  }
  const shown = relative(process.cwd(), path);
  if (!existsSync(path)) throw new Error(`golden file ${shown} is missing; create it with npm run golden:update`);
  expect(actual, `${shown} (npm run golden:update rewrites it when the change is intended)`).toBe(readFileSync(path, 'utf8'));
}
