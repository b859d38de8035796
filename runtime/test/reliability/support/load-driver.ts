/**
 * A bounded load generator for fault scenarios: `callers` loops each run one
 * operation after another until `stop()`, a count limit or a time limit, and
 * every operation is recorded with its start, end and outcome, so a scenario
 * can say exactly which work failed and when it had started.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** One operation as the load driver saw it; times are `performance.now()` ms. */
export interface OperationRecord {
  /** Unique across the run, in start order. */
  readonly id: number;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly ok: boolean;
  /** `code` of the error (SQLSTATE, `POOL_TIMEOUT`, errno), when it has one. */
  readonly code: string | undefined;
  /** First line of the error message. */
  readonly error: string | undefined;
}

/** Options of `startLoad`. */
export interface LoadOptions {
  /** Concurrent loops. */
  readonly callers: number;
  /** The work of one operation; it receives a unique id. Rejection marks the operation failed. */
  readonly operation: (id: number) => Promise<void>;
  /** Pause after each operation, so the load does not starve a 2-core machine. @default 1 */
  readonly pauseMillis?: number;
  /** Hard limit on operations started. @default 100_000 */
  readonly maxOperations?: number;
  /** Hard limit on the run's duration: loops stop by themselves after it. @default 60_000 */
  readonly maxMillis?: number;
}

/** A running load. */
export interface Load {
  /** Operations finished so far (a live array). */
  readonly records: readonly OperationRecord[];
  /** Operations started but not finished. */
  readonly inFlight: () => number;
  /** Stops starting new operations and resolves once every loop has finished its current one. */
  stop(): Promise<readonly OperationRecord[]>;
}

/** Starts `callers` loops of `operation`. */
export function startLoad(options: LoadOptions): Load {
  const records: OperationRecord[] = [];
  const pauseMillis = options.pauseMillis ?? 1;
  const maxOperations = options.maxOperations ?? 100_000;
  const deadline = performance.now() + (options.maxMillis ?? 60_000);
  let stopped = false;
  let started = 0;
  let running = 0;
  const loop = async (): Promise<void> => {
    while (!stopped && started < maxOperations && performance.now() < deadline) {
      const id = started++;
      running += 1;
      const startedAt = performance.now();
      try {
        await options.operation(id);
        records.push({
          id,
          startedAt,
          endedAt: performance.now(),
          ok: true,
          code: undefined,
          error: undefined,
        });
      } catch (error) {
        const failure = error as Error & { code?: unknown };
        const code = failure.code === undefined ? undefined : String(failure.code);
        records.push({
          id,
          startedAt,
          endedAt: performance.now(),
          ok: false,
          code,
          error: String(failure.message ?? failure).split('\n')[0],
        });
      } finally {
        running -= 1;
      }
      if (pauseMillis > 0) await sleep(pauseMillis);
    }
  };
  const loops = Array.from({ length: options.callers }, () => loop());
  return {
    records,
    inFlight: () => running,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return records;
    },
  };
}

/** Counts of a set of records, for figures and assertions. */
export interface LoadSummary {
  readonly operations: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Distinct error lines with their counts, most frequent first. */
  readonly errors: ReadonlyArray<{ readonly error: string; readonly count: number }>;
}

/** Summarises records: totals and the distinct errors seen. */
export function summarise(records: readonly OperationRecord[]): LoadSummary {
  const errors = new Map<string, number>();
  for (const record of records) {
    if (record.ok) continue;
    const key = `${record.code ?? '-'}: ${normaliseError(record.error ?? '')}`;
    errors.set(key, (errors.get(key) ?? 0) + 1);
  }
  const failed = records.filter((record) => !record.ok).length;
  return {
    operations: records.length,
    succeeded: records.length - failed,
    failed,
    errors: [...errors].map(([error, count]) => ({ error, count })).sort((a, b) => b.count - a.count),
  };
}

/** Numbers in error lines (ports, counts, ms) vary run to run; group errors by their shape. */
function normaliseError(error: string): string {
  return error.replace(/\d+(\.\d+)?/g, 'N').slice(0, 400);
}

/** Records whose operation overlapped the interval [from, to]. */
export function overlapping(
  records: readonly OperationRecord[],
  from: number,
  to: number,
): OperationRecord[] {
  return records.filter((record) => record.startedAt <= to && record.endedAt >= from);
}
