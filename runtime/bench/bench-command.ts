/**
 * `runBenchCommand(argv)`: parses the bench flags, runs the suite and prints
 * the report as Markdown (and writes JSON / Markdown files when asked). The
 * runtime's `bench/run.ts` and the repository root's `test/bench/run.ts`
 * (which adds the generator section) both call it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseBenchArguments, type BenchOptions } from './bench-options.js';
import { runBenchmarks, type DatabaseChoice } from './bench-suite.js';
import { reportMarkdown } from './report-markdown.js';

function write(path: string, text: string): void {
  const absolute = resolve(path);
  mkdirSync(dirname(absolute), { recursive: true });
  writeFileSync(absolute, text);
}

/** Runs the suite for `argv`; sets `process.exitCode` (2 on bad flags, 1 when the suite fails). */
export async function runBenchCommand(argv: readonly string[], choice: DatabaseChoice = {}): Promise<void> {
  let options: BenchOptions;
  try {
    options = parseBenchArguments(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  try {
    const report = await runBenchmarks(options, choice);
    const markdown = reportMarkdown(report);
    process.stdout.write(`${markdown}\n`);
    if (options.jsonPath !== undefined) write(options.jsonPath, `${JSON.stringify(report, null, 2)}\n`);
    if (options.markdownPath !== undefined) write(options.markdownPath, `${markdown}\n`);
  } catch (error) {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  }
}
