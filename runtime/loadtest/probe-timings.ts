/** Probe latency figures of one load-test phase, shared by the sampler process and the report. */

/** Per probe path: latency p50, p99 and max in ms, how many calls, how many failed (non-2xx or timeout). */
export type ProbeTimings = Record<
  string,
  { p50: number; p99: number; max: number; count: number; failed: number }
>;

/** The value at `fraction` of an ascending list (nearest rank); NaN when empty. */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
}
