/**
 * Oversubscription: 200 callers on a pool of 10 connections with a 5000 ms
 * checkout timeout, each checking out, running `SELECT 1` and releasing. Reports
 * the checkout wait (p50, p99), timeouts, and the peak connection count seen by
 * the pool (`totalCount`) and by the server (`pg_stat_activity` rows with the
 * contender's `application_name`), which must never pass the bound.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { compare, defined, type BenchSection, type Measurement } from './bench-report.js';
import { alternate, type BenchContext, type Cell } from './bench-context.js';
import { openPoolContender, POOL_CONTENDERS, type PoolContenderName } from './contenders/pool-contenders.js';
import { ourPoolUnavailable } from './contenders/our-runtime.js';
import { measureLoop } from './measure-loop.js';
import { percentiles, summarize } from './statistics.js';

/** An oversubscription trial, run in a child. */
export interface OversubscriptionTask {
  readonly kind: 'oversubscription';
  readonly contender: PoolContenderName;
  readonly callers: number;
  readonly connections: number;
  readonly timeoutMillis: number;
  readonly warmupMillis: number;
  readonly measureMillis: number;
  readonly databaseUrl: string;
  readonly applicationName: string;
}

/** What one trial saw. */
export interface OversubscriptionResult {
  readonly checkoutsPerSecond: number;
  readonly waitP50Millis: number;
  readonly waitP99Millis: number;
  readonly waitMaxMillis: number;
  readonly timeouts: number;
  readonly otherFailures: number;
  readonly firstFailure: string | undefined;
  readonly peakTotalCount: number;
}

const CALLERS = 200;
const POOL_SIZE = 10;
const POOL_TIMEOUT = 5_000;
const MAX_RECORDED_WAITS = 4_000_000;

/** Worker side. */
export async function runOversubscriptionTrial(task: OversubscriptionTask): Promise<OversubscriptionResult> {
  const pool = await openPoolContender(task.contender, {
    databaseUrl: task.databaseUrl,
    connections: task.connections,
    timeoutMillis: task.timeoutMillis,
    applicationName: task.applicationName,
  });
  const waits = new Float64Array(MAX_RECORDED_WAITS);
  let recorded = 0;
  let timeouts = 0;
  let peakTotalCount = pool.totalCount();
  const sampler = setInterval(() => {
    peakTotalCount = Math.max(peakTotalCount, pool.totalCount());
  }, 5);
  sampler.unref();
  let measuring = false;
  const warmupTimer = setTimeout(() => {
    measuring = true;
  }, task.warmupMillis);
  try {
    const loop = await measureLoop({
      callers: task.callers,
      warmupMillis: task.warmupMillis,
      measureMillis: task.measureMillis,
      operation: async () => {
        const start = performance.now();
        let client;
        try {
          client = await pool.acquire();
        } catch (error) {
          if (isTimeout(error)) timeouts += 1;
          else throw error;
          return;
        }
        const wait = performance.now() - start;
        if (measuring && recorded < MAX_RECORDED_WAITS) waits[recorded++] = wait;
        peakTotalCount = Math.max(peakTotalCount, pool.totalCount());
        try {
          await client.query('SELECT 1');
        } finally {
          pool.release(client);
        }
      },
    });
    const [p50, p99, max] = percentiles(waits, recorded, [0.5, 0.99, 1]);
    return {
      checkoutsPerSecond: loop.operationsPerSecond,
      waitP50Millis: p50!,
      waitP99Millis: p99!,
      waitMaxMillis: max!,
      timeouts,
      otherFailures: loop.failures,
      firstFailure: loop.firstFailure,
      peakTotalCount,
    };
  } finally {
    clearTimeout(warmupTimer);
    clearInterval(sampler);
    await pool.close();
  }
}

/**
 * Our PoolTimeoutError, pg.Pool's "timeout exceeded when trying to connect", tarn's and generic-pool's
 * TimeoutError.
 */
function isTimeout(error: unknown): boolean {
  const { code, name, message } = error as { code?: string; name?: string; message?: string };
  return code === 'POOL_TIMEOUT' || name === 'TimeoutError' || /timeout/i.test(message ?? '');
}

/** Parent side: samples `pg_stat_activity` for the trial's application_name while `work` runs. */
async function withServerPeak<T>(
  databaseUrl: string,
  applicationName: string,
  work: Promise<T>,
): Promise<{ result: T; peak: number }> {
  const client = new pg.Client({
    connectionString: databaseUrl,
    application_name: 'clientats-bench-sampler',
  });
  await client.connect();
  let peak = 0;
  let finished = false;
  const sampling = (async () => {
    for (let sample = 0; sample < 100_000 && !finished; sample += 1) {
      const { rows } = await client.query<{ count: number }>(
        'SELECT count(*)::int AS count FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      );
      peak = Math.max(peak, rows[0]!.count);
      await sleep(20);
    }
  })();
  try {
    const result = await work;
    return { result, peak };
  } finally {
    finished = true;
    await sampling.catch(() => undefined);
    await client.end();
  }
}

/** Parent side: the section. */
export async function benchOversubscription(context: BenchContext): Promise<BenchSection> {
  const oursMissing = ourPoolUnavailable();
  const contenders = POOL_CONTENDERS.filter(
    (name) => name !== 'ours+metrics' && (name !== 'ours' || oursMissing === undefined),
  );
  const cells: Cell<OversubscriptionResult & { serverPeak: number }>[] = contenders.map((contender) => ({
    label: contender,
    run: async (repetition) => {
      const applicationName = `clientats-bench-over-${contender}-${repetition}`;
      const task: OversubscriptionTask = {
        kind: 'oversubscription',
        contender,
        callers: CALLERS,
        connections: POOL_SIZE,
        timeoutMillis: POOL_TIMEOUT,
        warmupMillis: context.warmupMillis,
        measureMillis: context.measureMillis,
        databaseUrl: context.databaseUrl,
        applicationName,
      };
      const { result, peak } = await withServerPeak(
        context.databaseUrl,
        applicationName,
        context.trial<OversubscriptionResult>(task, contender),
      );
      return { ...result, serverPeak: peak };
    },
  }));
  const results = await alternate(context, cells);
  const measurements: Measurement[] = [...results].map(([label, runs]) => {
    const peakPool = Math.max(...runs.map((run) => run.peakTotalCount));
    const peakServer = Math.max(...runs.map((run) => run.serverPeak));
    return {
      label,
      metrics: {
        'checkout wait p50 ms': summarize(runs.map((run) => run.waitP50Millis)),
        'checkout wait p99 ms': summarize(runs.map((run) => run.waitP99Millis)),
        'checkouts/s': summarize(runs.map((run) => run.checkoutsPerSecond)),
      },
      facts: {
        'wait max ms': Math.max(...runs.map((run) => run.waitMaxMillis)),
        timeouts: runs.reduce((sum, run) => sum + run.timeouts, 0),
        'other failures': runs.reduce((sum, run) => sum + run.otherFailures, 0),
        'peak pool.totalCount': peakPool,
        'peak pg_stat_activity': peakServer,
        'within bound': peakPool <= POOL_SIZE && peakServer <= POOL_SIZE ? 'yes' : 'NO',
      },
    };
  });
  const comparisons = defined([
    compare(measurements, 'ours', 'pg-pool', 'checkout wait p99 ms', { kind: 'difference' }),
    compare(measurements, 'ours', 'pg-pool', 'checkouts/s'),
  ]);
  const notes = [
    `${CALLERS} callers, pool of ${POOL_SIZE} connections, checkout timeout ${POOL_TIMEOUT} ms; ` +
      'each caller: check out, SELECT 1, release.',
    'Waits are recorded after the warm-up; peaks are over every repetition, warm-up and prefill included.',
  ];
  if (oursMissing !== undefined) notes.push(`ours skipped: ${oursMissing}`);
  return {
    name: 'oversubscription',
    title: `Oversubscription (${CALLERS} callers on POOL_SIZE ${POOL_SIZE}, POOL_TIMEOUT ${POOL_TIMEOUT})`,
    measurements,
    comparisons,
    notes,
  };
}
