/**
 * Watches a health server's readiness results for the recovery tests: marks
 * the moment the database answers again and tells how many checks started
 * after that moment failed before the first healthy one. Counting checks
 * instead of timing them keeps the assertion true on a loaded machine.
 */
import type { ReadinessResult } from '../../src/health/readiness-checker.js';
import { eventually } from './health-fixture.js';

/** Collects results; pass `watch.record` as `onReadinessResult`. */
export interface ReadinessWatch {
  readonly record: (result: ReadinessResult) => void;
  readonly results: readonly ReadinessResult[];
  /**
   * Resolves once `count` results finished after this call, all unhealthy; false if a healthy one came first
   * or the bound passed.
   */
  failingChecks(count: number): Promise<boolean>;
  /** Marks the moment the database answers again. */
  markAnswering(): void;
  /**
   * Waits (bounded) for a healthy result that started after the mark; the failed checks that started after
   * the mark before it.
   */
  failedChecksBeforeHealthy(): Promise<number | undefined>;
}

/** Bound on every wait: far beyond any readiness interval the tests use. */
const WAIT_ATTEMPTS = 600;
const WAIT_STEP_MILLIS = 50;

export function readinessWatch(): ReadinessWatch {
  const results: ReadinessResult[] = [];
  let answeringAt: number | undefined;
  return {
    results,
    record: (result) => {
      results.push(result);
    },
    async failingChecks(count) {
      const from = results.length;
      await eventually(
        () => results.length - from >= count || results.slice(from).some((each) => each.healthy),
        WAIT_ATTEMPTS,
        WAIT_STEP_MILLIS,
      );
      const seen = results.slice(from);
      return seen.length >= count && seen.every((each) => !each.healthy);
    },
    markAnswering() {
      answeringAt = Date.now();
    },
    async failedChecksBeforeHealthy() {
      if (answeringAt === undefined)
        throw new Error('markAnswering() was not called before failedChecksBeforeHealthy()');
      const mark = answeringAt;
      const after = (): ReadinessResult[] => results.filter((each) => each.startedAt >= mark);
      await eventually(() => after().some((each) => each.healthy), WAIT_ATTEMPTS, WAIT_STEP_MILLIS);
      const index = after().findIndex((each) => each.healthy);
      return index === -1 ? undefined : index;
    },
  };
}
