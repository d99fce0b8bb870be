import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderSettingsTable } from '../../shared/config/readme-table.js';
import { SETTINGS } from '../../services/settings.js';
import { README_PATH, readmeWithSettingsTable } from '../support/settings-table.js';

/** The README's settings table is the user's reference: it is generated, and must not drift from the code. */
describe('README settings table', () => {
  const readme = readFileSync(README_PATH, 'utf8');

  it('is exactly the table generated from the settings (run `npm run docs:settings` to update it)', () => {
    expect(readme).toBe(readmeWithSettingsTable(readme));
  });

  it('has one row per setting, with its flag and default', () => {
    const rows = renderSettingsTable(SETTINGS).split('\n').slice(2);
    expect(rows).toHaveLength(Object.keys(SETTINGS).length);
    expect(rows[0]).toBe('| `MESHTEL_LOG_LEVEL` | `--log-level` | `info` | * | Log level: fatal, error, warn, info, debug, trace or silent. |');
    for (const row of rows) expect(readme.split('\n')).toContain(row);
  });
});
