/**
 * Throughput on a real database: `SELECT 1` through our pool, pg.Pool,
 * tarn + pg.Client and generic-pool + pg.Client (64 and 10 callers on 10
 * connections), 10 raw pg.Clients each driven by one loop (the Node ceiling),
 * and pgbench (the server ceiling), in the simple and the extended protocol.
 * Node CPU per query is the steadier figure: queries/s on two cores moves with
 * whatever else the machine does.
 */
import pg from 'pg';
import { compare, defined, type BenchSection, type Comparison, type Measurement } from './bench-report.js';
import { alternate, type BenchContext, type Cell } from './bench-context.js';
import { openPoolContender, type BenchPool, type PoolContenderName } from './contenders/pool-contenders.js';
import { ourPoolUnavailable } from './contenders/our-runtime.js';
import { measureLoop, type LoopResult } from './measure-loop.js';
import { pgbenchVersion, runPgbench } from './pgbench.js';
import { summarize } from './statistics.js';

/** Simple (one Query message) or extended (Parse/Bind/Execute, unnamed statement) protocol. */
export type Protocol = 'simple' | 'extended';

/** A throughput trial, run in a child. */
export interface ThroughputTask {
  readonly kind: 'throughput';
  readonly contender: PoolContenderName | 'raw';
  readonly protocol: Protocol;
  readonly callers: number;
  readonly connections: number;
  readonly warmupMillis: number;
  readonly measureMillis: number;
  readonly databaseUrl: string;
}

const CONNECTIONS = 10;
/** pgbench with --quick: a count per client, not a duration, so a loaded machine cannot make it process nothing. */
const QUICK_PGBENCH_TRANSACTIONS = 100;
const CALLERS = [64, 10] as const;
const QPS = 'queries/s';
const CPU = 'Node CPU µs/query';

/** The query of a protocol: pg sends text without values as a simple query unless told `queryMode: 'extended'`. */
export function selectOne(protocol: Protocol): string | pg.QueryConfig {
  if (protocol === 'simple') return 'SELECT 1';
  const config: pg.QueryConfig & { queryMode: 'extended' } = { text: 'SELECT 1', queryMode: 'extended' };
  return config;
}

/** Worker side: opens the contender, runs the loops, closes it. */
export async function runThroughputTrial(task: ThroughputTask): Promise<LoopResult> {
  const query = selectOne(task.protocol);
  const applicationName = `clientats-bench-${task.contender}`;
  if (task.contender === 'raw') {
    const clients = Array.from(
      { length: task.connections },
      () => new pg.Client({ connectionString: task.databaseUrl, application_name: applicationName }),
    );
    await Promise.all(clients.map((client) => client.connect()));
    try {
      return await measureLoop({
        callers: task.connections,
        warmupMillis: task.warmupMillis,
        measureMillis: task.measureMillis,
        operation: async (caller) => {
          await clients[caller]!.query(query);
        },
      });
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  }
  const pool: BenchPool = await openPoolContender(task.contender, {
    databaseUrl: task.databaseUrl,
    connections: task.connections,
    timeoutMillis: 5_000,
    applicationName,
  });
  try {
    return await measureLoop({
      callers: task.callers,
      warmupMillis: task.warmupMillis,
      measureMillis: task.measureMillis,
      operation: async () => {
        await pool.query(query);
      },
    });
  } finally {
    await pool.close();
  }
}

interface CellResult {
  readonly queriesPerSecond: number;
  readonly cpuMicrosPerQuery: number | undefined;
  readonly failures: number;
}

/** Parent side: the section. */
export async function benchDatabaseThroughput(context: BenchContext): Promise<BenchSection> {
  const oursMissing = ourPoolUnavailable();
  const pgbench = await pgbenchVersion();
  // --quick only checks that the scripts run: one caller count is enough for that.
  const callerCounts = context.options.quick ? CALLERS.slice(0, 1) : CALLERS;
  const measurements: Measurement[] = [];
  const comparisons: Comparison[] = [];
  const notes: string[] = [
    `${CONNECTIONS} connections; ${callerCounts.join(' and ')} concurrent callers each looping on ` +
      `one query; raw = ${CONNECTIONS} pg.Client, one loop each.`,
    'ours and pg-pool: `pool.query(...)`; tarn and generic-pool: acquire, `client.query(...)`, ' +
      'release. ours+metrics: our pool with the Prometheus observer attached, ' +
      'as the runtime process runs it.',
    "Node CPU = process.cpuUsage() (user + system) of the contender's own Node process over the " +
      'window, divided by the queries.',
  ];
  if (oursMissing !== undefined) notes.push(`ours skipped: ${oursMissing}`);
  if (pgbench === undefined) notes.push('pgbench skipped: not on PATH');
  else
    notes.push(
      `pgbench: ${pgbench}, \`-n -f select-1.sql -M <protocol> -c ${CONNECTIONS} -j 2 ` +
        `${context.options.quick ? `-t ${QUICK_PGBENCH_TRANSACTIONS}` : '-T <seconds>'}\` (script: ` +
        `\`SELECT 1;\`)`,
    );

  for (const protocol of ['simple', 'extended'] as const) {
    const cells: Cell<CellResult>[] = [];
    const nodeCell = (
      label: string,
      contender: PoolContenderName | 'raw',
      callers: number,
    ): Cell<CellResult> => ({
      label,
      run: async () => {
        const result = await context.trial<LoopResult>(
          {
            kind: 'throughput',
            contender,
            protocol,
            callers,
            connections: CONNECTIONS,
            warmupMillis: context.warmupMillis,
            measureMillis: context.measureMillis,
            databaseUrl: context.databaseUrl,
          } satisfies ThroughputTask,
          contender,
        );
        return {
          queriesPerSecond: result.operationsPerSecond,
          cpuMicrosPerQuery: result.cpuMicrosPerOperation,
          failures: result.failures,
        };
      },
    });
    cells.push(nodeCell(`raw ×${CONNECTIONS} (${protocol})`, 'raw', CONNECTIONS));
    for (const callers of callerCounts) {
      for (const contender of ['pg-pool', 'ours', 'ours+metrics', 'tarn', 'generic-pool'] as const) {
        if (contender.startsWith('ours') && oursMissing !== undefined) continue;
        if (contender === 'ours+metrics' && callers !== CALLERS[0]) continue;
        cells.push(nodeCell(`${contender} ${callers} callers (${protocol})`, contender, callers));
      }
    }
    if (pgbench !== undefined) {
      cells.push({
        label: `pgbench -c ${CONNECTIONS} -j 2 (${protocol})`,
        run: async () => ({
          queriesPerSecond: await runPgbench({
            databaseUrl: context.databaseUrl,
            protocol,
            clients: CONNECTIONS,
            threads: 2,
            seconds: context.options.seconds,
            transactionsPerClient: context.options.quick ? QUICK_PGBENCH_TRANSACTIONS : undefined,
          }),
          cpuMicrosPerQuery: undefined,
          failures: 0,
        }),
      });
    }
    const results = await alternate(context, cells);
    const section: Measurement[] = [];
    for (const [label, runs] of results) {
      const metrics: Record<string, ReturnType<typeof summarize>> = {
        [QPS]: summarize(runs.map((run) => run.queriesPerSecond)),
      };
      const cpu = runs
        .map((run) => run.cpuMicrosPerQuery)
        .filter((value): value is number => value !== undefined);
      if (cpu.length > 0) metrics[CPU] = summarize(cpu);
      section.push({ label, metrics, facts: { failures: runs.reduce((sum, run) => sum + run.failures, 0) } });
    }
    measurements.push(...section);
    const raw = `raw ×${CONNECTIONS} (${protocol})`;
    for (const callers of callerCounts) {
      const name = (contender: string): string => `${contender} ${callers} callers (${protocol})`;
      comparisons.push(
        ...defined([
          compare(section, name('ours'), name('pg-pool'), QPS, { target: { operator: '>=', value: 1.0 } }),
          compare(section, name('ours'), raw, QPS, { target: { operator: '>=', value: 0.95 } }),
          compare(section, name('ours'), raw, CPU, {
            kind: 'difference',
            target: { operator: '<=', value: 2 },
          }),
          compare(section, name('ours+metrics'), name('pg-pool'), QPS),
          compare(section, name('ours+metrics'), raw, CPU, { kind: 'difference' }),
          compare(section, name('ours'), name('generic-pool'), QPS),
          compare(section, name('ours'), name('tarn'), QPS),
          compare(section, name('pg-pool'), raw, QPS),
          compare(section, name('generic-pool'), name('pg-pool'), QPS),
          compare(section, name('tarn'), name('pg-pool'), QPS),
          compare(section, name('pg-pool'), raw, CPU, { kind: 'difference' }),
        ]),
      );
    }
    comparisons.push(
      ...defined([compare(section, raw, `pgbench -c ${CONNECTIONS} -j 2 (${protocol})`, QPS)]),
    );
  }
  return {
    name: 'throughput',
    title: 'Throughput on a real database (SELECT 1, 10 connections)',
    measurements,
    comparisons,
    notes,
  };
}
