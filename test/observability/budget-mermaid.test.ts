import { describe, expect, it } from 'vitest';
import { budgetMermaid, cumulativeSeries } from '../../src/observability/index.js';
import { KUBERNETES_DATABASE, SHARED_DATABASE } from './observability-fixtures.js';

describe('budgetMermaid', () => {
  it('stacks the consumers as overlapping running totals, tallest first, with usable and max_connections lines', () => {
    expect(SHARED_DATABASE.totals).toEqual({ steady: 103, rollout: 129, strict: 192 });
    expect(cumulativeSeries(SHARED_DATABASE)).toEqual([
      [84, 105, 168],
      [96, 117, 180],
      [101, 127, 190],
      [103, 129, 192],
    ]);
    expect(budgetMermaid(SHARED_DATABASE)).toBe(
      [
        '```mermaid',
        '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#CC79A7, #009E73, #E69F00, ' +
          '#0072B2, #D55E00, #8B0000"}}}}%%',
        'xychart-beta',
        '  title "shared-db: connections per case (rollout enforced)"',
        '  x-axis [steady, rollout, strict]',
        '  y-axis "connections" 0 --> 220',
        '  bar [103, 129, 192]',
        '  bar [101, 127, 190]',
        '  bar [96, 117, 180]',
        '  bar [84, 105, 168]',
        '  line [197, 197, 197]',
        '  line [200, 200, 200]',
        '```',
        '',
        'Bars, bottom to top: api (blue), worker (orange), admin-web (green), migrations (pink); ' +
          'lines: usable 197 (vermilion), max_connections 200 (dark red).',
        '',
      ].join('\n'),
    );
  });

  it("ends each running total at the report's total", () => {
    for (const database of [SHARED_DATABASE, KUBERNETES_DATABASE]) {
      expect(cumulativeSeries(database).at(-1)).toEqual([
        database.totals.steady,
        database.totals.rollout,
        database.totals.strict,
      ]);
    }
  });
});
