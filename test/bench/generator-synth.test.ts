/**
 * The generator's bench section must not rot: `--quick` runs it end to end
 * (`npm run synth` and 5 generated services, each in a child process) through
 * the runtime's bench suite and must produce finite figures. No timing is asserted.
 */
import { describe, expect, inject, it } from 'vitest';
import { benchOptions } from '../../runtime/bench/bench-options.js';
import { runBenchmarks } from '../../runtime/bench/bench-suite.js';
import { benchGenerator } from './generator-synth.js';

describe('bench --quick --only generator', () => {
  it('synthesizes the repository and the generated services and reports a finite median for each', async () => {
    const options = benchOptions({ quick: true, verbose: false, only: ['generator'] });
    const report = await runBenchmarks(options, {
      databaseUrl: inject('databaseUrl'),
      sections: { generator: benchGenerator },
    });

    const [section] = report.sections;
    expect(section?.name).toBe('generator');
    expect(section?.skipped).toBeUndefined();
    expect(section!.measurements.map((measurement) => measurement.label)).toEqual([
      "npm run synth (the repository's environments)",
      '5 generated services',
    ]);
    for (const measurement of section!.measurements) {
      expect(Number.isFinite(measurement.metrics['wall time s']!.median), measurement.label).toBe(true);
    }
  }, 600_000);

  it('is reported skipped, not silently dropped, when the runtime package runs the suite alone', async () => {
    const options = benchOptions({ quick: true, verbose: false, only: ['generator'] });
    const report = await runBenchmarks(options, { databaseUrl: inject('databaseUrl') });

    expect(report.sections).toEqual([
      {
        name: 'generator',
        title: 'generator',
        skipped:
          'section "generator" is not part of the runtime package; run `npm run bench` at the repository root',
        measurements: [],
        comparisons: [],
        notes: [],
      },
    ]);
  });
});
