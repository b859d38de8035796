import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENT_VARIABLES } from 'clientats-runtime/contract';
import { renderSettingsTable } from '../../src/settings/settings-table.js';

function readmeSection(name: string): string {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf(`<!-- section: ${name} -->`);
  const end = readme.indexOf(`<!-- end: ${name} -->`);
  if (start < 0 || end < start) throw new Error(`README has no section ${name}`);
  return readme.slice(start, end);
}

describe('renderSettingsTable', () => {
  it('lists every variable of the contract with its default', () => {
    const rows = renderSettingsTable().split('\n').slice(2);
    expect(rows.map((row) => row.split(' | ').slice(0, 2).join(' | '))).toEqual(
      ENVIRONMENT_VARIABLES.map(
        (variable) =>
          `| \`${variable.name}\` | ${variable.default === undefined ? '—' : `\`${variable.default}\``}`,
      ),
    );
  });

  it('is the table in the README settings section (run `npx tsx src/settings/settings-table.ts` to refresh it)', () => {
    expect(readmeSection('settings')).toContain(`\n${renderSettingsTable()}\n`);
  });
});
