/** Prints the README settings table from the settings in code: `npx tsx test/support/settings-table.ts`. */
import { SETTINGS } from '../../shared/config/settings.js';

const rows = Object.values(SETTINGS).map(
  (s) => `| \`${s.env}\` | \`${s.flag}\` | \`${String(s.default)}\` | ${s.roles.join(', ')} | ${s.help.replace(/\|/g, '\\|')} |`,
);
process.stdout.write(['| Environment | Flag | Default | Roles | Meaning |', '|---|---|---|---|---|', ...rows].join('\n') + '\n');
