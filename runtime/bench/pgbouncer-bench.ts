/**
 * Benchmark: the runtime's pool through PgBouncer (transaction mode) against
 * direct connections, in one session on one private PostgreSQL 17:
 *
 * - equal backends: one pool of 10 → 10 backends directly, or → a bouncer
 *   with default_pool_size 10 → 10 backends (the cost of the extra hop);
 * - 200 clients: 20 pools of 10 (what 20 pods open) → 200 backends directly,
 *   or → one bouncer → 10 backends (what the bouncer buys).
 *
 * Contenders alternate within each repetition (A B A B …) so machine drift
 * touches both; the report gives medians and min–max over repetitions, and
 * the peak of the role's client backends sampled in pg_stat_activity.
 *
 *   npx tsx runtime/bench/pgbouncer-bench.ts [--seconds 5] [--reps 3] [--json FILE]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { loadSettings } from '../src/contract/index.js';
import { createPool } from '../src/pool/create-pool.js';
import type { ClientAtsPool } from '../src/pool/pool-types.js';
import {
  createBouncerRole,
  hasPgbouncer,
  PGBOUNCER_BINARY,
  startPgbouncer,
} from '../test/support/pgbouncer.js';
import { startTestDatabase } from '../test/support/test-database.js';

interface Scenario {
  readonly name: string;
  readonly pools: number;
  readonly poolSize: number;
  /** Concurrent callers per pool. */
  readonly callersPerPool: number;
}

interface Trial {
  readonly scenario: string;
  readonly contender: 'direct' | 'pgbouncer';
  readonly queriesPerSecond: number;
  readonly p50Millis: number;
  readonly p99Millis: number;
  readonly failed: number;
  readonly peakBackends: number;
  /** CPU time per answered query over the window, in µs: this Node process, the bouncer, the role's backends. */
  readonly nodeCpuMicros: number;
  readonly bouncerCpuMicros: number;
  readonly postgresCpuMicros: number;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'equal backends: 1 pool of 10, 64 callers', pools: 1, poolSize: 10, callersPerPool: 64 },
  { name: '200 clients: 20 pools of 10, 10 callers each', pools: 20, poolSize: 10, callersPerPool: 10 },
];

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? fallback : Number(process.argv[index + 1]);
}

async function main(): Promise<void> {
  if (!hasPgbouncer) throw new Error(`no PgBouncer at ${PGBOUNCER_BINARY}: apt-get install pgbouncer`);
  const seconds = option('seconds', 5);
  const reps = option('reps', 3);
  const jsonIndex = process.argv.indexOf('--json');
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg()[0]!;
  const database = await startTestDatabase({ maxConnections: 300 });
  // Two roles, so the bouncer's idle server connections never count as the direct contender's backends.
  const directRole = await createBouncerRole(database.url, 'bench_direct');
  const bouncerRole = await createBouncerRole(database.url, 'bench_pgbouncer');
  const bouncer = await startPgbouncer({
    serverUrl: bouncerRole.url,
    defaultPoolSize: 10,
    maxClientConn: 400,
  });
  const trials: Trial[] = [];
  const run = (scenario: Scenario, contender: Trial['contender'], windowSeconds: number): Promise<Trial> =>
    contender === 'direct'
      ? runTrial(scenario, contender, directRole.url, database.url, directRole.name, windowSeconds, undefined)
      : runTrial(
          scenario,
          contender,
          bouncer.url,
          database.url,
          bouncerRole.name,
          windowSeconds,
          bouncer.pid(),
        );
  try {
    // One unrecorded round first: the JIT warms up on both paths before anything counts.
    for (const contender of ['direct', 'pgbouncer'] as const) await run(SCENARIOS[0]!, contender, 1);
    for (const scenario of SCENARIOS) {
      for (let rep = 0; rep < reps; rep += 1) {
        for (const contender of ['direct', 'pgbouncer'] as const) {
          const trial = await run(scenario, contender, seconds);
          trials.push(trial);
          process.stderr.write(`${JSON.stringify(trial)}\n`);
        }
      }
    }
  } finally {
    await bouncer.close();
    await bouncerRole.close();
    await directRole.close();
    await database.close();
  }
  const report = {
    startedAt,
    finishedAt: new Date().toISOString(),
    loadAtStart,
    loadAtEnd: loadavg()[0]!,
    seconds,
    reps,
    trials,
  };
  if (jsonIndex >= 0) writeFileSync(process.argv[jsonIndex + 1]!, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(markdown(report));
}

/**
 * CPU time of a process in µs from /proc/<pid>/schedstat (nanoseconds on the CPU, exact; the tick counts in
 * /proc/<pid>/stat round each of 200 backends' few ms down to 0). 0 when it cannot be read.
 */
function processCpuMicros(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
  } catch {
    return 0;
  }
}

async function runTrial(
  scenario: Scenario,
  contender: Trial['contender'],
  url: string,
  adminUrl: string,
  role: string,
  seconds: number,
  bouncerPid: number | undefined,
): Promise<Trial> {
  const settings = loadSettings({
    DATABASE_URL: url,
    DATABASE_POOLER: contender === 'pgbouncer' ? 'pgbouncer' : 'none',
    POOL_SIZE: String(scenario.poolSize),
    POOL_TIMEOUT: '30000',
  });
  const pools: ClientAtsPool[] = Array.from({ length: scenario.pools }, () =>
    createPool(settings, { applicationName: 'bench' }),
  );
  const admin = new pg.Client({ connectionString: adminUrl, application_name: 'bench-admin' });
  await admin.connect();
  let peakBackends = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const result = await admin.query<{ count: number }>(
        "SELECT count(*)::int AS count FROM pg_stat_activity WHERE backend_type = 'client backend' AND usename = $1",
        [role],
      );
      peakBackends = Math.max(peakBackends, result.rows[0]!.count);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  try {
    await Promise.all(pools.map((pool) => pool.ready));
    const backendPids = (
      await admin.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND usename = $1",
        [role],
      )
    ).rows.map((row) => row.pid);
    const cpuNow = () => ({
      node: process.cpuUsage(),
      bouncer: processCpuMicros(bouncerPid),
      postgres: backendPids.reduce((sum, pid) => sum + processCpuMicros(pid), 0),
    });
    let cpuAtOpen = cpuNow();
    let cpuAtClose = cpuAtOpen;
    const warmUpEnds = performance.now() + 1000;
    const windowEnds = warmUpEnds + seconds * 1000;
    const latencies: number[] = [];
    let failed = 0;
    const caller = async (pool: ClientAtsPool): Promise<void> => {
      // Bounded by the clock and by a count, whichever comes first.
      for (let operation = 0; operation < 10_000_000; operation += 1) {
        const begin = performance.now();
        if (begin >= windowEnds) return;
        try {
          await pool.query('SELECT 1');
          if (begin >= warmUpEnds) latencies.push(performance.now() - begin);
        } catch {
          if (begin >= warmUpEnds) failed += 1;
        }
      }
    };
    const windowOpens = setTimeout(
      () => {
        cpuAtOpen = cpuNow();
      },
      Math.max(0, warmUpEnds - performance.now()),
    );
    await Promise.all(
      pools.flatMap((pool) => Array.from({ length: scenario.callersPerPool }, () => caller(pool))),
    );
    clearTimeout(windowOpens);
    cpuAtClose = cpuNow();
    const answered = Math.max(1, latencies.length);
    const nodeMicros =
      cpuAtClose.node.user - cpuAtOpen.node.user + (cpuAtClose.node.system - cpuAtOpen.node.system);
    latencies.sort((a, b) => a - b);
    const at = (fraction: number): number =>
      round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * fraction))] ?? 0, 2);
    return {
      scenario: scenario.name,
      contender,
      queriesPerSecond: Math.round(latencies.length / seconds),
      p50Millis: at(0.5),
      p99Millis: at(0.99),
      failed,
      peakBackends,
      nodeCpuMicros: round(nodeMicros / answered, 1),
      bouncerCpuMicros: round((cpuAtClose.bouncer - cpuAtOpen.bouncer) / answered, 1),
      postgresCpuMicros: round((cpuAtClose.postgres - cpuAtOpen.postgres) / answered, 1),
    };
  } finally {
    sampling = false;
    await sampler;
    await admin.end();
    await Promise.all(pools.map((pool) => pool.end({ drainMillis: 1000 })));
  }
}

function round(value: number, digits: number): number {
  return Math.round(value * 10 ** digits) / 10 ** digits;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function markdown(report: {
  startedAt: string;
  finishedAt: string;
  loadAtStart: number;
  loadAtEnd: number;
  seconds: number;
  reps: number;
  trials: Trial[];
}): string {
  const lines = [
    `PgBouncer bench ${report.startedAt} – ${report.finishedAt}, ${report.seconds} s windows, ` +
      `${report.reps} repetitions, ` +
      `load ${report.loadAtStart.toFixed(2)} → ${report.loadAtEnd.toFixed(2)}`,
    '',
    '| scenario | contender | queries/s (median, min–max) | p50 ms | p99 ms | CPU µs/query: Node, ' +
      'bouncer, PostgreSQL | peak backends | failed |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const scenario of SCENARIOS) {
    const medians: Record<string, number> = {};
    for (const contender of ['direct', 'pgbouncer'] as const) {
      const trials = report.trials.filter(
        (trial) => trial.scenario === scenario.name && trial.contender === contender,
      );
      const qps = trials.map((trial) => trial.queriesPerSecond);
      medians[contender] = median(qps);
      lines.push(
        `| ${scenario.name} | ${contender} | ${median(qps)} (${Math.min(...qps)}–${Math.max(...qps)}) | ` +
          `${median(trials.map((trial) => trial.p50Millis))} | ${median(trials.map((trial) => trial.p99Millis))} | ` +
          `${median(trials.map((trial) => trial.nodeCpuMicros))}, ` +
          `${median(trials.map((trial) => trial.bouncerCpuMicros))}, ` +
          `${median(trials.map((trial) => trial.postgresCpuMicros))} | ` +
          `${Math.max(...trials.map((trial) => trial.peakBackends))} | ` +
          `${trials.reduce((sum, trial) => sum + trial.failed, 0)} |`,
      );
    }
    const of = (contender: string) =>
      report.trials.filter((trial) => trial.scenario === scenario.name && trial.contender === contender);
    // Repetition i of one contender against repetition i of the other: they ran back to back.
    const paired = of('pgbouncer').map(
      (trial, index) => trial.queriesPerSecond / (of('direct')[index]?.queriesPerSecond ?? Number.NaN),
    );
    lines.push(
      `| ${scenario.name} | pgbouncer / direct | ${round(medians.pgbouncer! / medians.direct!, 2)} ` +
        `(paired ${round(Math.min(...paired), 2)}–${round(Math.max(...paired), 2)}) | | | | | |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
