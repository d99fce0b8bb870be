/**
 * Rewrites README's settings table from the settings table in code (services/settings.ts):
 * `npm run docs:settings`. test/unit/readme-settings.test.ts fails while README differs from it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spliceSettingsTable } from '../../shared/config/readme-table.js';
import { SETTINGS } from '../../services/settings.js';

export const README_PATH = fileURLToPath(new URL('../../README.md', import.meta.url));

/** README as it should read: its current text with the generated settings table in place. */
export function readmeWithSettingsTable(readme: string): string {
  return spliceSettingsTable(readme, SETTINGS);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const current = readFileSync(README_PATH, 'utf8');
  const updated = readmeWithSettingsTable(current);
  if (updated !== current) writeFileSync(README_PATH, updated);
  process.stdout.write(updated === current ? 'README settings table is up to date\n' : 'README settings table rewritten\n');
}
