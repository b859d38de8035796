/**
 * The README's settings table, rendered from the runtime's contract so each
 * default is stated once, in code. `test/settings/settings-table.test.ts`
 * fails when the README's copy drifts; print a fresh one with
 * `npx tsx src/settings/settings-table.ts`.
 */
import { fileURLToPath } from 'node:url';
import { ENVIRONMENT_VARIABLES } from 'clientats-runtime/contract';

/** A Markdown table: variable, default, meaning — one row per variable of the contract, in its order. */
export function renderSettingsTable(): string {
  const rows = ENVIRONMENT_VARIABLES.map((variable) => {
    const fallback = variable.default === undefined ? '—' : `\`${variable.default}\``;
    return `| \`${variable.name}\` | ${fallback} | ${variable.description.replaceAll('|', '\\|')} |`;
  });
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(renderSettingsTable());
