/**
 * Summaries of repeated measurements: medians and spread of one contender's
 * repetitions, and ratios between two contenders measured in the same run.
 */

/** Median, spread and every sample of one measurement repeated. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** First and third quartiles (linear interpolation). */
  readonly q1: number;
  readonly q3: number;
  readonly samples: readonly number[];
}

/** The `fraction` quantile (0–1) of sorted values, linearly interpolated; NaN when empty. */
export function quantileOfSorted(sorted: ArrayLike<number>, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * fraction;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const weight = position - lower;
  return sorted[lower]! * (1 - weight) + sorted[upper]! * weight;
}

/** Summary of samples; every field is NaN when there are none. */
export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    median: quantileOfSorted(sorted, 0.5),
    min: sorted.length === 0 ? Number.NaN : sorted[0]!,
    max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
    q1: quantileOfSorted(sorted, 0.25),
    q3: quantileOfSorted(sorted, 0.75),
    samples,
  };
}

/** A ratio between two contenders of one run. */
export interface Ratio {
  /** Ratio of the two medians. */
  readonly ofMedians: number;
  /** Smallest and largest ratio of paired repetitions (repetition i of one against repetition i of the other). */
  readonly pairedMin: number;
  readonly pairedMax: number;
}

/** `subject / reference`, from medians and from paired repetitions. */
export function ratio(subject: Summary, reference: Summary): Ratio {
  const pairs = Math.min(subject.samples.length, reference.samples.length);
  const paired: number[] = [];
  for (let index = 0; index < pairs; index += 1)
    paired.push(subject.samples[index]! / reference.samples[index]!);
  const sorted = paired.sort((a, b) => a - b);
  return {
    ofMedians: subject.median / reference.median,
    pairedMin: sorted.length === 0 ? Number.NaN : sorted[0]!,
    pairedMax: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
  };
}

/** Percentiles of a bounded sample buffer (only its first `count` entries are used). */
export function percentiles(values: Float64Array, count: number, fractions: readonly number[]): number[] {
  const sorted = values.slice(0, count).sort();
  return fractions.map((fraction) => quantileOfSorted(sorted, fraction));
}
