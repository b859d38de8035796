/**
 * The generator: wall time of `npm run synth` for the repository's
 * environments, and of a synth of 50 generated services.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchSection } from './bench-report.js';
import type { BenchContext } from './bench-context.js';

const GENERATOR_MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** Parent side: the section. */
export async function benchGenerator(context: BenchContext): Promise<BenchSection> {
  void context;
  const skipped = existsSync(GENERATOR_MAIN) ? 'the generator is not wired into the bench yet' : `${GENERATOR_MAIN} does not exist yet`;
  return { name: 'generator', title: 'Generator synth wall time', skipped, measurements: [], comparisons: [], notes: [] };
}
