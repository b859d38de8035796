/**
 * The generator: wall time of `npm run synth` for the repository's
 * environments (into a temporary CDK8S_OUTDIR, so dist/ is untouched), and of
 * `synth-services.ts` synthesizing 50 generated services with the connection
 * budget registered. Both are timed end to end as a user runs them, process
 * start-up and TypeScript loading included.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { compare, defined, type BenchSection, type Measurement } from '../../runtime/bench/bench-report.js';
import { alternate, type BenchContext, type Cell } from '../../runtime/bench/bench-context.js';
import { summarize } from '../../runtime/bench/statistics.js';

const run = promisify(execFile);
const REPOSITORY_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GENERATOR_MAIN = join(REPOSITORY_ROOT, 'src/main.ts');
const SERVICES_SCRIPT = fileURLToPath(new URL('./synth-services.ts', import.meta.url));
const WALL = 'wall time s';
/** Bound on one synth. */
const SYNTH_TIMEOUT_MILLIS = 600_000;

/** Runs a command in a fresh temporary output directory; resolves with its wall time in seconds. */
async function timed(
  command: string,
  args: readonly string[],
  env: (outdir: string) => NodeJS.ProcessEnv,
  extraArgs: (outdir: string) => string[],
): Promise<number> {
  const outdir = mkdtempSync(join(tmpdir(), 'clientats-bench-synth-'));
  try {
    const start = performance.now();
    await run(command, [...args, ...extraArgs(outdir)], {
      cwd: REPOSITORY_ROOT,
      env: env(outdir),
      timeout: SYNTH_TIMEOUT_MILLIS,
      maxBuffer: 16 * 2 ** 20,
    });
    return (performance.now() - start) / 1000;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Parent side: the section. */
export async function benchGenerator(context: BenchContext): Promise<BenchSection> {
  if (!existsSync(GENERATOR_MAIN)) {
    return {
      name: 'generator',
      title: 'Generator synth wall time',
      skipped: `${GENERATOR_MAIN} does not exist yet`,
      measurements: [],
      comparisons: [],
      notes: [],
    };
  }
  const services = context.options.quick ? 5 : 50;
  const synthLabel = "npm run synth (the repository's environments)";
  const servicesLabel = `${services} generated services`;
  const cells: Cell<{ seconds: number }>[] = [
    {
      label: synthLabel,
      run: async () => ({
        seconds: await timed(
          'npm',
          ['run', '--silent', 'synth'],
          (outdir) => ({ ...process.env, CDK8S_OUTDIR: outdir }),
          () => [],
        ),
      }),
    },
    {
      label: servicesLabel,
      run: async () => ({
        seconds: await timed(
          process.execPath,
          ['--conditions=clientats-source', '--import', 'tsx', SERVICES_SCRIPT],
          () => process.env,
          (outdir) => [outdir, String(services)],
        ),
      }),
    },
  ];
  // A synth of 50 services takes tens of seconds: three repetitions bound the section's time.
  const results = await alternate(
    { ...context, options: { ...context.options, repetitions: Math.min(3, context.options.repetitions) } },
    cells,
  );
  const measurements: Measurement[] = [...results].map(([label, runs]) => ({
    label,
    metrics: { [WALL]: summarize(runs.map((result) => result.seconds)) },
  }));
  return {
    name: 'generator',
    title: 'Generator synth wall time',
    measurements,
    comparisons: defined([compare(measurements, servicesLabel, synthLabel, WALL)]),
    notes: [
      '`npm run synth` runs with CDK8S_OUTDIR set to a temporary directory; dist/ is not touched.',
      `\`${services} generated services\`: \`node --conditions=clientats-source --import tsx ` +
        `test/bench/synth-services.ts <outdir> ${services}\` (PostgresBackedService × ${services}, ` +
        'each on its own 100-connection database, connection budget registered, budget report written).',
      'Wall time includes Node start-up and TypeScript loading through tsx.',
    ],
  };
}
