import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FastHistogram } from '../../src/metrics/fast-histogram.js';
import { QUERY_BUCKETS_MS, WAIT_BUCKETS_MS } from '../../src/metrics/pool-metrics.js';

/** The same histogram twice, in two registries: prom-client's and ours. */
function twins(buckets: readonly number[]): {
  reference: Registry;
  fast: Registry;
  observe(pool: string, value: number): void;
  create(pool: string): void;
} {
  const reference = new Registry();
  const fast = new Registry();
  const config = {
    name: 'db_twin_duration_ms',
    help: 'Twin under test, with "quotes" and \\ backslash.',
    labelNames: ['pool'] as const,
  };
  const promHistogram = new Histogram({
    ...config,
    labelNames: [...config.labelNames],
    buckets: [...buckets],
    registers: [reference],
  });
  const fastHistogram = new FastHistogram({ ...config, buckets, registers: [fast] });
  return {
    reference,
    fast,
    observe(pool, value) {
      promHistogram.labels(pool).observe(value);
      fastHistogram.labels({ pool }).observe(value);
    },
    create(pool) {
      promHistogram.zero({ pool });
      fastHistogram.labels({ pool });
    },
  };
}

/** JSON export without prom-client's empty exemplar fields. */
async function json(registry: Registry): Promise<unknown> {
  return (await registry.getMetricsAsJSON()).map((metric) => ({
    ...metric,
    values: metric.values.map(({ value, labels, ...rest }) => ({
      value,
      labels,
      metricName: (rest as { metricName?: string }).metricName,
    })),
  }));
}

/** Values that hit bounds exactly, sit just around them, fall below and above them all, and in between. */
const valuesAround = (buckets: readonly number[]): fc.Arbitrary<number> =>
  fc.oneof(
    fc.constantFrom(...buckets),
    fc.constantFrom(...buckets).map((bound) => bound * (1 + Number.EPSILON)),
    fc.constantFrom(...buckets).map((bound) => bound * (1 - Number.EPSILON)),
    fc.constantFrom(0, -0, -1, buckets[buckets.length - 1]! * 10),
    fc.double({ min: -1, max: buckets[buckets.length - 1]! * 2, noNaN: true }),
  );

describe('FastHistogram', () => {
  for (const [unit, buckets] of [
    ['milliseconds', WAIT_BUCKETS_MS],
    ['seconds', QUERY_BUCKETS_MS.map((millis) => millis / 1000)],
  ] as const) {
    it(`exposes the same text and JSON as a prom-client Histogram fed the same values (${unit} buckets)`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.constantFrom('0', '1', '2'), valuesAround(buckets)), { maxLength: 200 }),
          fc.subarray(['0', '1', '2']),
          async (observations, createdFirst) => {
            const twin = twins(buckets);
            for (const pool of createdFirst) twin.create(pool);
            for (const [pool, value] of observations) twin.observe(pool, value);
            expect(await twin.fast.metrics()).toBe(await twin.reference.metrics());
            expect(await json(twin.fast)).toEqual(await json(twin.reference));
          },
        ),
        { numRuns: 150 },
      );
    });
  }

  it('exposes an empty series as zero buckets, sum and count, line for line like prom-client', async () => {
    const twin = twins([0.5, 1]);
    twin.create('0');
    const text = await twin.fast.metrics();
    expect(text).toBe(await twin.reference.metrics());
    expect(text).toBe(
      [
        '# HELP db_twin_duration_ms Twin under test, with "quotes" and \\\\ backslash.',
        '# TYPE db_twin_duration_ms histogram',
        'db_twin_duration_ms_bucket{le="0.5",pool="0"} 0',
        'db_twin_duration_ms_bucket{le="1",pool="0"} 0',
        'db_twin_duration_ms_bucket{le="+Inf",pool="0"} 0',
        'db_twin_duration_ms_sum{pool="0"} 0',
        'db_twin_duration_ms_count{pool="0"} 0',
        '',
      ].join('\n'),
    );
  });

  it("counts a value equal to a bound in that bound's bucket, and one above every bound only in +Inf", async () => {
    const registry = new Registry();
    const histogram = new FastHistogram({
      name: 'h',
      help: 'h',
      labelNames: ['pool'],
      buckets: [1, 2],
      registers: [registry],
    });
    const series = histogram.labels({ pool: '0' });
    for (const value of [1, 2, 3]) series.observe(value);
    expect(await registry.metrics()).toContain(
      'h_bucket{le="1",pool="0"} 1\nh_bucket{le="2",pool="0"} 2\nh_bucket{le="+Inf",pool="0"} ' +
        '3\nh_sum{pool="0"} 6\nh_count{pool="0"} 3',
    );
  });

  it('returns the same series for the same labels, and zeroes it on registry reset', async () => {
    const registry = new Registry();
    const histogram = new FastHistogram({
      name: 'h',
      help: 'h',
      labelNames: ['pool'],
      buckets: [1],
      registers: [registry],
    });
    expect(histogram.labels({ pool: '0' })).toBe(histogram.labels({ pool: '0' }));
    histogram.labels({ pool: '0' }).observe(0.5);
    registry.resetMetrics();
    expect(await registry.metrics()).toContain(
      'h_bucket{le="1",pool="0"} 0\nh_bucket{le="+Inf",pool="0"} 0\nh_sum{pool="0"} 0\nh_count{pool="0"} 0',
    );
  });

  it('fails when a value is not finite', () => {
    const series = new FastHistogram({ name: 'h', help: 'h', labelNames: ['pool'], buckets: [1] }).labels({
      pool: '0',
    });
    expect(() => series.observe(Number.NaN)).toThrow(
      new TypeError('h: an observed value must be a finite number, got NaN'),
    );
    expect(series.count).toBe(0);
  });

  it('fails when the labels are not exactly the label names', () => {
    const histogram = new FastHistogram({ name: 'h', help: 'h', labelNames: ['pool'], buckets: [1] });
    expect(() => histogram.labels({ pool: '0', kind: 'x' } as { pool: string })).toThrow(
      new Error('histogram h: labels must be exactly pool with string values, got {"pool":"0","kind":"x"}'),
    );
  });

  it('fails when the buckets are not strictly ascending', () => {
    expect(() => new FastHistogram({ name: 'h', help: 'h', labelNames: [], buckets: [1, 1] })).toThrow(
      new Error('histogram h: buckets must be finite and strictly ascending, got [1, 1]'),
    );
  });

  it('fails when a label is named le', () => {
    expect(() => new FastHistogram({ name: 'h', help: 'h', labelNames: ['le'], buckets: [1] })).toThrow(
      new Error("histogram h: 'le' is a reserved label name"),
    );
  });
});
