/**
 * `npm run bench -w clientats-runtime [-- flags]`: the runtime's sections of
 * the suite (the repository root's `npm run bench` adds the generator's).
 * See BENCHMARKS.md for the method.
 */
import { runBenchCommand } from './bench-command.js';

await runBenchCommand(process.argv.slice(2));
