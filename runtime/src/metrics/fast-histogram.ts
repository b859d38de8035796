/**
 * A Prometheus histogram for hot paths: observing is a scan of the fixed
 * bucket bounds and three additions on preallocated per-series accumulators,
 * and the samples are built only when the registry is scraped.
 *
 * prom-client's `Histogram` re-validates and re-hashes the label object on
 * every `observe`, even through a cached `labels(…)` child; this class
 * resolves the labels once, when the series is created. It registers in a
 * prom-client `Registry` like a prom-client metric and exposes exactly the
 * text a prom-client `Histogram` with the same name, help, label names and
 * buckets would for the same observations (proven by
 * runtime/test/metrics/fast-histogram.test.ts).
 */
import type { Aggregator, Metric, Registry } from 'prom-client';

/** Options of `FastHistogram`. */
export interface FastHistogramConfiguration<T extends string> {
  /** Metric name, without the `_bucket`/`_sum`/`_count` suffixes. */
  readonly name: string;
  /** The HELP line. */
  readonly help: string;
  /** Label names of every series (`le` is reserved). */
  readonly labelNames: readonly T[];
  /** Upper bounds of the buckets, ascending; `+Inf` is implied. */
  readonly buckets: readonly number[];
  /** Registries to register in. @default none */
  readonly registers?: readonly Registry[];
}

/** One exported sample, in the shape prom-client's registry formats. */
interface HistogramSample {
  readonly value: number;
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly sharedLabels?: Readonly<Record<string, string>>;
}

/** What the registry reads at scrape time (prom-client's `MetricObjectWithValues`). */
interface HistogramExport {
  readonly name: string;
  readonly help: string;
  readonly type: 'histogram';
  readonly values: HistogramSample[];
  readonly aggregator: Aggregator;
}

/** The accumulators of one labelled series; get it once from `FastHistogram.labels` and keep it. */
export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last slot counts those above every bound. */
  readonly counts: Float64Array;
  /** Sum of the observed values. */
  sum = 0;
  /** Number of observations. */
  count = 0;

  /** @internal use `FastHistogram.labels` */
  constructor(
    private readonly bounds: Float64Array,
    private readonly metricName: string,
    /** This series' labels, shared by all its samples. */
    readonly labels: Readonly<Record<string, string>>,
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Records one value: it lands in the first bucket whose bound is >= it, as in prom-client. */
  observe(value: number): void {
    if (!Number.isFinite(value))
      throw new TypeError(`${this.metricName}: an observed value must be a finite number, got ${value}`);
    const bounds = this.bounds;
    let index = 0;
    while (index < bounds.length && value > bounds[index]!) index += 1;
    this.counts[index]! += 1;
    this.sum += value;
    this.count += 1;
  }

  /** Forgets every observation. */
  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

/** A labelled histogram with constant-time observations; see the module comment. */
export class FastHistogram<T extends string = string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  /** How prom-client's `AggregatorRegistry` merges cluster workers, as for its `Histogram`. */
  readonly aggregator: Aggregator = 'sum';
  readonly labelNames: readonly T[];
  private readonly bounds: Float64Array;
  private readonly upperBounds: readonly number[];
  private readonly series = new Map<string, HistogramSeries>();

  constructor(configuration: FastHistogramConfiguration<T>) {
    this.name = configuration.name;
    this.help = configuration.help;
    this.labelNames = [...configuration.labelNames];
    if (this.labelNames.includes('le' as T))
      throw new Error(`histogram ${this.name}: 'le' is a reserved label name`);
    this.upperBounds = [...configuration.buckets];
    this.upperBounds.forEach((bound, index) => {
      if (!Number.isFinite(bound) || (index > 0 && bound <= this.upperBounds[index - 1]!)) {
        throw new Error(
          `histogram ${this.name}: buckets must be finite and strictly ascending, got [${this.upperBounds.join(', ')}]`,
        );
      }
    });
    this.bounds = Float64Array.from(this.upperBounds);
    // The registry only reads name, help, type, aggregator and get()/getForPromString(); its types list
    // prom-client's classes.
    for (const registry of configuration.registers ?? []) registry.registerMetric(this as unknown as Metric);
  }

  /** The series of these label values, created (empty, so it is exported from then on) on first use. */
  labels(values: Readonly<Record<T, string>>): HistogramSeries {
    const key = this.labelNames.map((name) => values[name]).join('\u0000');
    let series = this.series.get(key);
    if (series === undefined) {
      const given = Object.keys(values);
      if (
        given.length !== this.labelNames.length ||
        this.labelNames.some((name) => typeof values[name] !== 'string')
      ) {
        throw new Error(
          `histogram ${this.name}: labels must be exactly ${this.labelNames.join(', ')} with string ` +
            `values, got ${JSON.stringify(values)}`,
        );
      }
      const labels: Record<string, string> = {};
      for (const name of this.labelNames) labels[name] = values[name];
      series = new HistogramSeries(this.bounds, this.name, labels);
      this.series.set(key, series);
    }
    return series;
  }

  /** Zeroes every series (they stay exported, as the callers keep them). Called by `Registry.resetMetrics`. */
  reset(): void {
    for (const series of this.series.values()) series.reset();
  }

  /**
   * Samples with the series' labels apart, as prom-client's `Histogram.getForPromString` returns them for
   * the text format.
   */
  async getForPromString(): Promise<HistogramExport> {
    const values: HistogramSample[] = [];
    const bucket = `${this.name}_bucket`;
    for (const series of this.series.values()) {
      let cumulative = 0;
      this.upperBounds.forEach((le, index) => {
        cumulative += series.counts[index]!;
        values.push({ value: cumulative, metricName: bucket, labels: { le }, sharedLabels: series.labels });
      });
      values.push(
        { value: series.count, metricName: bucket, labels: { le: '+Inf' }, sharedLabels: series.labels },
        { value: series.sum, metricName: `${this.name}_sum`, labels: {}, sharedLabels: series.labels },
        { value: series.count, metricName: `${this.name}_count`, labels: {}, sharedLabels: series.labels },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** Samples with all labels merged, as prom-client's `Histogram.get` returns them (JSON, cluster aggregation). */
  async get(): Promise<HistogramExport> {
    const exported = await this.getForPromString();
    const values = exported.values.map(({ sharedLabels, labels, ...sample }) => ({
      ...sample,
      labels: { ...labels, ...sharedLabels },
    }));
    return { ...exported, values };
  }
}
