/**
 * `npm run bench [-- flags]` at the repository root: the runtime's benchmark
 * suite plus the generator's section (`generator-synth.ts`), which lives here
 * because the runtime package does not depend on the generator.
 */
import { runBenchCommand } from '../../runtime/bench/bench-command.js';
import { benchGenerator } from './generator-synth.js';

await runBenchCommand(process.argv.slice(2), { sections: { generator: benchGenerator } });
