import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../shared/config/settings.js';

/** The README's settings table is the user's reference: it must not drift from the code. */
describe('README', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  for (const spec of Object.values(SETTINGS)) {
    it(`documents ${spec.env} with its flag and default`, () => {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${spec.env}\``));
      expect(row, `${spec.env} missing from README`).toBeDefined();
      expect(row).toContain(`\`${spec.flag}\``);
      expect(row).toContain(`\`${String(spec.default)}\``);
    });
  }
});
