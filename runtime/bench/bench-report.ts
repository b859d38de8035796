/**
 * The shape of a bench run's report: sections of measurements (each a
 * summary over repetitions) and comparisons between contenders of the same
 * run (ratios, or differences for CPU per query), with the targets.
 */
import { ratio, type Summary } from './statistics.js';

/** Names of the suite's sections, in run order; `--only` takes these. */
export const SECTION_NAMES = [
  'throughput',
  'pool-overhead',
  'oversubscription',
  'health-server',
  'generator',
] as const;
export type SectionName = (typeof SECTION_NAMES)[number];

/** One contender (or one configuration of it) measured over the repetitions. */
export interface Measurement {
  readonly label: string;
  /** Metric name (with unit) → summary over repetitions. */
  readonly metrics: Readonly<Record<string, Summary>>;
  /** Single figures that are not repeated samples (peak connections, failures). */
  readonly facts?: Readonly<Record<string, number | string>>;
}

/** A target a comparison is checked against. */
export interface Target {
  readonly operator: '>=' | '<=';
  readonly value: number;
}

/** `subject` against `reference` on one metric, within one run. */
export interface Comparison {
  readonly label: string;
  readonly metric: string;
  readonly kind: 'ratio' | 'difference';
  /** From the medians. */
  readonly value: number;
  /** Over paired repetitions. */
  readonly pairedMin: number;
  readonly pairedMax: number;
  readonly target?: Target;
  /** Whether the median value meets the target; absent without a target. */
  readonly met?: boolean;
}

/** One section of the report. */
export interface BenchSection {
  readonly name: SectionName;
  readonly title: string;
  /** Why the section (or part of it) did not run. */
  readonly skipped?: string;
  readonly measurements: readonly Measurement[];
  readonly comparisons: readonly Comparison[];
  readonly notes: readonly string[];
}

/** The whole run. */
export interface BenchReport {
  readonly machine: Readonly<Record<string, string | number>>;
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  readonly sections: readonly BenchSection[];
  readonly startedAt: string;
  readonly finishedAt: string;
}

/** Compares one metric of two measurements; `undefined` when either is missing. */
export function compare(
  measurements: readonly Measurement[],
  subject: string,
  reference: string,
  metric: string,
  options: { kind?: 'ratio' | 'difference'; target?: Target; label?: string } = {},
): Comparison | undefined {
  const subjectSummary = measurements.find((measurement) => measurement.label === subject)?.metrics[metric];
  const referenceSummary = measurements.find((measurement) => measurement.label === reference)?.metrics[
    metric
  ];
  if (subjectSummary === undefined || referenceSummary === undefined) return undefined;
  const kind = options.kind ?? 'ratio';
  const label =
    options.label ?? (kind === 'ratio' ? `${subject} / ${reference}` : `${subject} − ${reference}`);
  let value: number;
  let pairedMin: number;
  let pairedMax: number;
  if (kind === 'ratio') {
    const computed = ratio(subjectSummary, referenceSummary);
    ({ ofMedians: value, pairedMin, pairedMax } = computed);
  } else {
    value = subjectSummary.median - referenceSummary.median;
    const pairs = Math.min(subjectSummary.samples.length, referenceSummary.samples.length);
    const differences = Array.from(
      { length: pairs },
      (_, index) => subjectSummary.samples[index]! - referenceSummary.samples[index]!,
    );
    pairedMin = Math.min(...differences);
    pairedMax = Math.max(...differences);
  }
  const target = options.target;
  const met =
    target === undefined
      ? undefined
      : target.operator === '>='
        ? value >= target.value
        : value <= target.value;
  return {
    label,
    metric,
    kind,
    value,
    pairedMin,
    pairedMax,
    ...(target === undefined ? {} : { target, met }),
  };
}

/** Drops the comparisons that could not be made. */
export function defined<T>(values: readonly (T | undefined)[]): T[] {
  return values.filter((value): value is T => value !== undefined);
}
