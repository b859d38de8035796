/**
 * The bench must not rot: its `--quick` mode runs every section end to end
 * (children, real database, pgbench when installed, autocannon, synth) and
 * must produce numbers in the report's shape. No timing is asserted.
 */
import { inject, describe, expect, it } from 'vitest';
import { benchOptions, parseBenchArguments } from '../../bench/bench-options.js';
import { SECTION_NAMES } from '../../bench/bench-report.js';
import { runBenchmarks } from '../../bench/bench-suite.js';
import { pgbenchVersion } from '../../bench/pgbench.js';
import { reportMarkdown } from '../../bench/report-markdown.js';

/** The runtime's own sections; `generator` is the root package's (test/bench/generator-synth.test.ts). */
const RUNTIME_SECTIONS = SECTION_NAMES.filter((name) => name !== 'generator');

describe('bench --quick', () => {
  it('runs every section and reports a finite median for every metric of every contender', async () => {
    const options = benchOptions({ quick: true, verbose: false, only: RUNTIME_SECTIONS });
    const report = await runBenchmarks(options, { databaseUrl: inject('databaseUrl') });

    expect(report.sections.map((section) => section.name)).toEqual(RUNTIME_SECTIONS);
    for (const section of report.sections) {
      expect(section.skipped, section.name).toBeUndefined();
      expect(section.measurements.length, section.name).toBeGreaterThan(0);
      for (const measurement of section.measurements) {
        for (const [metric, summary] of Object.entries(measurement.metrics)) {
          const where = `${section.name} / ${measurement.label} / ${metric}`;
          expect(Number.isFinite(summary.median), where).toBe(true);
          expect(summary.samples, where).toHaveLength(1);
        }
        expect(measurement.facts?.failures ?? 0, `${section.name} / ${measurement.label}`).toBe(0);
      }
      for (const comparison of section.comparisons)
        expect(Number.isFinite(comparison.value), comparison.label).toBe(true);
    }

    const labels = (name: string): string[] =>
      report.sections
        .find((section) => section.name === name)!
        .measurements.map((measurement) => measurement.label);
    expect(labels('pool-overhead')).toEqual(['ours', 'ours+metrics', 'pg-pool', 'tarn', 'generic-pool']);
    expect(labels('throughput')).toEqual(
      expect.arrayContaining([
        'raw ×10 (simple)',
        'ours 64 callers (simple)',
        'pg-pool 64 callers (extended)',
        'ours 64 callers (extended)',
      ]),
    );
    // pgbench runs a fixed count with --quick (`-t`), so a loaded machine cannot leave it with nothing processed.
    if ((await pgbenchVersion()) !== undefined) {
      const throughput = report.sections.find((section) => section.name === 'throughput')!;
      for (const protocol of ['simple', 'extended']) {
        const pgbench = throughput.measurements.find(
          (measurement) => measurement.label === `pgbench -c 10 -j 2 (${protocol})`,
        );
        expect(pgbench?.metrics['queries/s']?.median, protocol).toBeGreaterThan(0);
      }
    }
    expect(labels('health-server')).toEqual([
      'bare node:http /health',
      'ours /health',
      'bare node:http /health/ready',
      'ours /health/ready',
      'ours /metrics',
    ]);

    const oversubscription = report.sections.find((section) => section.name === 'oversubscription')!;
    for (const measurement of oversubscription.measurements) {
      expect(measurement.facts, measurement.label).toMatchObject({ timeouts: 0, 'within bound': 'yes' });
    }

    const markdown = reportMarkdown(report);
    for (const section of report.sections) expect(markdown).toContain(`### ${section.title}`);
  }, 600_000);
});

describe('bench options', () => {
  it('reads the flags of a full run', () => {
    const options = parseBenchArguments([
      '--only',
      'health-server,throughput',
      '--seconds',
      '10',
      '--reps',
      '7',
      '--json',
      'build/bench.json',
    ]);
    expect(options).toMatchObject({
      quick: false,
      only: ['throughput', 'health-server'],
      seconds: 10,
      warmupSeconds: 1,
      repetitions: 7,
      jsonPath: 'build/bench.json',
    });
  });

  it('uses tiny windows and one repetition with --quick', () => {
    expect(parseBenchArguments(['--quick'])).toMatchObject({
      quick: true,
      seconds: 0.25,
      warmupSeconds: 0.15,
      repetitions: 1,
      only: [...SECTION_NAMES],
    });
  });

  it('fails when --reps is not a positive integer', () => {
    expect(() => parseBenchArguments(['--reps', '2.5'])).toThrow(
      new Error('--reps must be an integer > 0, got "2.5"'),
    );
  });

  it('fails when --only names an unknown section', () => {
    expect(() => parseBenchArguments(['--only', 'throughput,disk'])).toThrow(
      new Error(
        '--only must list sections among throughput, pool-overhead, oversubscription, health-server, ' +
          'generator, got "disk"',
      ),
    );
  });
});
