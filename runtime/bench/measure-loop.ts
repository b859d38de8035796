/**
 * The load loop every in-process contender runs under: `callers` concurrent
 * loops repeat one operation; after a warm-up the window opens, and the
 * operations completed and the Node process's CPU time (user + system) inside
 * the window are counted. Phases are decided by reading the clock every
 * `clockEvery` operations instead of by timers, so loops whose operations
 * resolve in microtasks only (stub pools) end on time too.
 */
import { performance } from 'node:perf_hooks';

/** What `measureLoop` runs. */
export interface LoopOptions {
  /** Concurrent loops. */
  readonly callers: number;
  readonly warmupMillis: number;
  readonly measureMillis: number;
  /** One operation of loop `caller` (0-based). */
  readonly operation: (caller: number) => Promise<void>;
  /** Read the clock every this many operations of a loop. @default 1 */
  readonly clockEvery?: number;
  /** Hard stop after this many operations in all, whatever the clock says. @default 50_000_000 */
  readonly maxOperations?: number;
}

/** Counts inside the measured window. */
export interface LoopResult {
  readonly operations: number;
  readonly elapsedMillis: number;
  /** CPU time of the whole Node process (user + system) inside the window, µs. */
  readonly cpuMicros: number;
  readonly operationsPerSecond: number;
  readonly cpuMicrosPerOperation: number;
  /** Operations that threw (they count as done: the loop goes on). */
  readonly failures: number;
  readonly firstFailure: string | undefined;
}

/** Runs the loops through warm-up and the window; resolves when every loop has stopped. */
export async function measureLoop(options: LoopOptions): Promise<LoopResult> {
  const clockEvery = Math.max(1, options.clockEvery ?? 1);
  const maxOperations = options.maxOperations ?? 50_000_000;
  const begin = performance.now();
  const windowStart = begin + options.warmupMillis;
  let done = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  let started: { operations: number; time: number; cpu: NodeJS.CpuUsage } | undefined;
  let ended: { operations: number; time: number; cpu: NodeJS.CpuUsage } | undefined;

  const observe = (): void => {
    const now = performance.now();
    if (started === undefined) {
      // The window lasts measureMillis from when it actually opened, however late the first clock read was.
      if (now >= windowStart) started = { operations: done, time: now, cpu: process.cpuUsage() };
      return;
    }
    if (ended === undefined && now >= started.time + options.measureMillis) {
      ended = { operations: done, time: now, cpu: process.cpuUsage(started.cpu) };
    }
  };

  const loop = async (caller: number): Promise<void> => {
    let sinceClock = 0;
    while (ended === undefined && done < maxOperations) {
      try {
        await options.operation(caller);
      } catch (error) {
        failures += 1;
        firstFailure ??= (error as Error).message;
      }
      done += 1;
      sinceClock += 1;
      if (sinceClock >= clockEvery) {
        sinceClock = 0;
        observe();
      }
    }
  };

  await Promise.all(Array.from({ length: options.callers }, (_, caller) => loop(caller)));
  observe();
  if (started === undefined) started = { operations: done, time: performance.now(), cpu: process.cpuUsage() };
  ended ??= { operations: done, time: performance.now(), cpu: process.cpuUsage(started.cpu) };
  const operations = ended.operations - started.operations;
  const elapsedMillis = ended.time - started.time;
  const cpuMicros = ended.cpu.user + ended.cpu.system;
  return {
    operations,
    elapsedMillis,
    cpuMicros,
    operationsPerSecond: elapsedMillis > 0 ? (operations * 1000) / elapsedMillis : 0,
    cpuMicrosPerOperation: operations > 0 ? cpuMicros / operations : Number.NaN,
    failures,
    firstFailure,
  };
}
