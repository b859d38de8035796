/**
 * `npm run bench [-- flags]`: runs the suite and prints the report as Markdown
 * (and JSON / Markdown files when asked). See BENCHMARKS.md for the method.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseBenchArguments, type BenchOptions } from './bench-options.js';
import { runBenchmarks } from './bench-suite.js';
import { reportMarkdown } from './report-markdown.js';

function write(path: string, text: string): void {
  const absolute = resolve(path);
  mkdirSync(dirname(absolute), { recursive: true });
  writeFileSync(absolute, text);
}

async function main(): Promise<void> {
  let options: BenchOptions;
  try {
    options = parseBenchArguments(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const report = await runBenchmarks(options);
  const markdown = reportMarkdown(report);
  process.stdout.write(`${markdown}\n`);
  if (options.jsonPath !== undefined) write(options.jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  if (options.markdownPath !== undefined) write(options.markdownPath, `${markdown}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
