/**
 * What a pool itself costs, with no database: 64 borrowers cycle
 * acquire + release over 10 stub clients, in our pool, pg.Pool (holding the
 * stub client), tarn and generic-pool.
 */
import { compare, defined, type BenchSection, type Measurement } from './bench-report.js';
import { alternate, type BenchContext, type Cell } from './bench-context.js';
import { openPoolContender, POOL_CONTENDERS, type PoolContenderName } from './contenders/pool-contenders.js';
import { ourPoolUnavailable } from './contenders/our-runtime.js';
import { StubClientClass } from './contenders/stub-client.js';
import { measureLoop, type LoopResult } from './measure-loop.js';
import { summarize } from './statistics.js';

/** A pool-overhead trial, run in a child. */
export interface PoolOverheadTask {
  readonly kind: 'pool-overhead';
  readonly contender: PoolContenderName;
  readonly borrowers: number;
  readonly resources: number;
  readonly warmupMillis: number;
  readonly measureMillis: number;
}

const BORROWERS = 64;
const RESOURCES = 10;
const CYCLES = 'cycles/s';
const CPU = 'CPU µs/cycle';

/** Worker side. */
export async function runPoolOverheadTrial(task: PoolOverheadTask): Promise<LoopResult> {
  const pool = await openPoolContender(task.contender, {
    databaseUrl: 'postgres://stub:stub@127.0.0.1:1/stub',
    connections: task.resources,
    timeoutMillis: 5_000,
    applicationName: 'clientats-bench-stub',
    Client: StubClientClass,
  });
  try {
    return await measureLoop({
      callers: task.borrowers,
      warmupMillis: task.warmupMillis,
      measureMillis: task.measureMillis,
      clockEvery: 64,
      operation: async () => {
        const client = await pool.acquire();
        pool.release(client);
      },
    });
  } finally {
    await pool.close();
  }
}

/** Parent side: the section. */
export async function benchPoolOverhead(context: BenchContext): Promise<BenchSection> {
  const oursMissing = ourPoolUnavailable();
  const contenders = POOL_CONTENDERS.filter((name) => !name.startsWith('ours') || oursMissing === undefined);
  const cells: Cell<LoopResult>[] = contenders.map((contender) => ({
    label: contender,
    run: () =>
      context.trial<LoopResult>(
        {
          kind: 'pool-overhead',
          contender,
          borrowers: BORROWERS,
          resources: RESOURCES,
          warmupMillis: context.warmupMillis,
          measureMillis: context.measureMillis,
        } satisfies PoolOverheadTask,
        contender,
      ),
  }));
  const results = await alternate(context, cells);
  const measurements: Measurement[] = [...results].map(([label, runs]) => ({
    label,
    metrics: {
      [CYCLES]: summarize(runs.map((run) => run.operationsPerSecond)),
      [CPU]: summarize(runs.map((run) => run.cpuMicrosPerOperation)),
    },
    facts: { failures: runs.reduce((sum, run) => sum + run.failures, 0) },
  }));
  const comparisons = defined([
    compare(measurements, 'ours', 'generic-pool', CYCLES, { target: { operator: '>=', value: 1.0 } }),
    compare(measurements, 'ours+metrics', 'generic-pool', CYCLES),
    compare(measurements, 'ours', 'pg-pool', CYCLES),
    compare(measurements, 'ours', 'tarn', CYCLES),
    compare(measurements, 'generic-pool', 'pg-pool', CYCLES),
    compare(measurements, 'tarn', 'pg-pool', CYCLES),
  ]);
  const notes = [
    `${BORROWERS} borrowers, ${RESOURCES} stub clients (connect/query/end resolve at once); ` +
      'one cycle = await acquire, then release.',
  ];
  if (oursMissing !== undefined) notes.push(`ours skipped: ${oursMissing}`);
  return {
    name: 'pool-overhead',
    title: 'Pool-only overhead (stub client, no database)',
    measurements,
    comparisons,
    notes,
  };
}
