import { describe, expect, it } from 'vitest';
import { buildReport, formatMarkdown, formatText, resultText } from '../../src/budget/budget-report.js';
import { computeBudget } from '../../src/budget/compute-budget.js';
import type { RuntimeCheck } from '../../src/budget/runtime-timing.js';

const POOL = { poolSize: 10, poolCount: 1, maxOverflow: 0 };
const fits = computeBudget([{ kind: 'compose', name: 'app', replicas: 1, pool: POOL }], {
  name: 'small',
  maxConnections: 100,
});
const over = computeBudget([{ kind: 'compose', name: 'app', replicas: 9, pool: POOL }], {
  name: 'big',
  maxConnections: 100,
});
const failed: RuntimeCheck = { name: 'app', check: 'grace-period', ok: false, message: 'too short' };
const passed: RuntimeCheck = { ...failed, ok: true, message: 'long enough' };

describe('resultText', () => {
  it('says fits when every database fits and every runtime check passes', () => {
    expect(resultText(buildReport('rollout', [fits], [passed]))).toBe('fits');
  });

  it('names the failed runtime check when the budget fits', () => {
    const report = buildReport('rollout', [fits], [failed, passed]);
    expect(resultText(report)).toBe('fits, but 1 runtime check failed');
    expect(formatText(report).endsWith('result: fits, but 1 runtime check failed\n')).toBe(true);
    expect(formatMarkdown(report)).toContain('**Result: fits, but 1 runtime check failed.**');
  });

  it('counts the databases over budget and the failed checks', () => {
    expect(resultText(buildReport('rollout', [over, fits], []))).toBe('OVER BUDGET (1 database over budget)');
    expect(resultText(buildReport('rollout', [over, over], [failed, failed]))).toBe(
      'OVER BUDGET (2 databases over budget, 2 runtime checks failed)',
    );
  });
});

describe('formatMarkdown', () => {
  it("places the chart it is given under each database's heading, and none without one", () => {
    const report = buildReport('rollout', [fits, over], []);
    const markdown = formatMarkdown(report, {
      chart: (database) => `CHART ${database.database} ${database.totals.rollout}\n`,
    });
    expect(markdown).toContain('## small\n\nCHART small 11\n');
    expect(markdown).toContain('## big\n\nCHART big 99\n');
    expect(formatMarkdown(report)).not.toContain('CHART');
  });
});
