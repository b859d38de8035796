/**
 * What every section of the suite gets: the options, the database, a way to
 * run a trial in a fresh child (profiled when asked), alternation over
 * repetitions, and a progress log.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BenchOptions } from './bench-options.js';
import { runTrial, startServerChild, type ChildOptions, type ServerChild } from './trial-runner.js';

/** Shared by the sections of one run. */
export interface BenchContext {
  readonly options: BenchOptions;
  /** Superuser URL of the database the run uses. */
  readonly databaseUrl: string;
  readonly warmupMillis: number;
  readonly measureMillis: number;
  /** Runs `task` in a fresh child; `contender` decides whether it is profiled. */
  trial<Result>(task: object, contender: string): Promise<Result>;
  /** Starts a server child; `contender` decides whether it is profiled. */
  server(task: object, contender: string): Promise<ServerChild>;
  log(line: string): void;
}

/** Builds the context of a run. */
export function createBenchContext(options: BenchOptions, databaseUrl: string): BenchContext {
  const warmupMillis = options.warmupSeconds * 1000;
  const measureMillis = options.seconds * 1000;
  const childOptions = (contender: string, timeoutMillis: number): ChildOptions => {
    if (options.profile !== contender) return { timeoutMillis };
    const directory = resolve(options.profileDirectory);
    mkdirSync(directory, { recursive: true });
    return { timeoutMillis, cpuProfileDirectory: directory };
  };
  return {
    options,
    databaseUrl,
    warmupMillis,
    measureMillis,
    trial: (task, contender) =>
      runTrial(task, childOptions(contender, 60_000 + 3 * (warmupMillis + measureMillis))),
    server: (task, contender) => startServerChild(task, childOptions(contender, 60_000)),
    log: (line) => {
      if (options.verbose) process.stderr.write(`[bench] ${line}\n`);
    },
  };
}

/** One contender (or configuration) of an alternated comparison. */
export interface Cell<Result> {
  readonly label: string;
  run(repetition: number): Promise<Result>;
}

/**
 * Runs every cell once per repetition, in the same order each time (A B C A B C …),
 * so slow drift of the machine touches every contender alike.
 */
export async function alternate<Result>(
  context: BenchContext,
  cells: readonly Cell<Result>[],
): Promise<Map<string, Result[]>> {
  const results = new Map<string, Result[]>(cells.map((cell) => [cell.label, []]));
  for (let repetition = 0; repetition < context.options.repetitions; repetition += 1) {
    for (const cell of cells) {
      const result = await cell.run(repetition);
      results.get(cell.label)!.push(result);
      context.log(`rep ${repetition + 1}/${context.options.repetitions} ${cell.label}: ${describe(result)}`);
    }
  }
  return results;
}

function describe(result: unknown): string {
  if (typeof result !== 'object' || result === null) return String(result);
  return Object.entries(result)
    .filter(([, value]) => typeof value === 'number')
    .slice(0, 4)
    .map(([key, value]) => `${key}=${Number.isInteger(value) ? value : (value as number).toFixed(2)}`)
    .join(' ');
}
