/**
 * Focused A/B: our pool against pg.Pool on the extended protocol, 64 callers,
 * 10 connections, `SELECT 1`, alternating 3 s windows in one process — to tell
 * a real gap from the full suite's noise. Run: `npx tsx runtime/bench/extended-ab.ts [pairs]`.
 */
import pg from 'pg';
import { loadSettings } from '../src/contract/index.js';
import { createPool } from '../src/pool/create-pool.js';
import { startTestDatabase } from '../test/support/test-database.js';
import { summarize } from './statistics.js';

const median = (values: readonly number[]): number => summarize(values).median;

interface Queryable {
  query(text: pg.QueryConfig): Promise<unknown>;
}

const CALLERS = 64;
const WINDOW_MILLIS = 3000;
const EXTENDED_SELECT_1 = { text: 'SELECT 1', queryMode: 'extended' } as pg.QueryConfig;

async function measure(
  pool: Queryable,
  millis: number,
): Promise<{ queriesPerSecond: number; cpuMicrosPerQuery: number }> {
  let queries = 0;
  let stop = false;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const timer = setTimeout(() => {
    stop = true;
  }, millis);
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      // Bounded by the window (stop) and by a generous count.
      for (let i = 0; !stop && i < 10_000_000; i++) {
        await pool.query(EXTENDED_SELECT_1);
        queries++;
      }
    }),
  );
  clearTimeout(timer);
  const used = process.cpuUsage(cpu);
  return {
    queriesPerSecond: (queries * 1000) / (performance.now() - started),
    cpuMicrosPerQuery: (used.user + used.system) / queries,
  };
}

const pairs = Number(process.argv[2] ?? 6);
const database =
  process.env.DATABASE_URL === undefined ? await startTestDatabase({ maxConnections: 100 }) : undefined;
const url = process.env.DATABASE_URL ?? (database as { url: string }).url;
const ours = createPool(loadSettings({ DATABASE_URL: url, POOL_SIZE: '10' }), {
  applicationName: 'bench-ab-ours',
});
const theirs = new pg.Pool({ connectionString: url, max: 10 });
// pg.Pool re-emits idle errors; without a listener the process would crash at shutdown
theirs.on('error', () => undefined);
try {
  await ours.ready;
  await Promise.all(Array.from({ length: 10 }, () => theirs.query('SELECT 1')));
  await measure(ours, 1000);
  await measure(theirs, 1000);
  const results = {
    ours: [] as { queriesPerSecond: number; cpuMicrosPerQuery: number }[],
    'pg.Pool': [] as { queriesPerSecond: number; cpuMicrosPerQuery: number }[],
  };
  for (let pair = 0; pair < pairs; pair++) {
    const order: ['ours' | 'pg.Pool', Queryable][] =
      pair % 2 === 0
        ? [
            ['ours', ours],
            ['pg.Pool', theirs],
          ]
        : [
            ['pg.Pool', theirs],
            ['ours', ours],
          ];
    for (const [name, pool] of order) results[name].push(await measure(pool, WINDOW_MILLIS));
  }
  const runFigures = (run: { queriesPerSecond: number; cpuMicrosPerQuery: number }): string =>
    `${Math.round(run.queriesPerSecond)}/${run.cpuMicrosPerQuery.toFixed(1)}`;
  for (const [name, runs] of Object.entries(results)) {
    console.log(
      `${name}: ${Math.round(median(runs.map((run) => run.queriesPerSecond)))} q/s, ` +
        `${median(runs.map((run) => run.cpuMicrosPerQuery)).toFixed(1)} µs CPU/query ` +
        `(runs: ${runs.map(runFigures).join(' ')})`,
    );
  }
  const ratio =
    median(results.ours.map((run) => run.queriesPerSecond)) /
    median(results['pg.Pool'].map((run) => run.queriesPerSecond));
  console.log(`ours / pg.Pool queries/s: ${ratio.toFixed(2)}×`);
} finally {
  await ours.end({ drainMillis: 0 });
  await theirs.end();
  await database?.close();
}
