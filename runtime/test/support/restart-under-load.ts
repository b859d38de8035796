/**
 * The restart scenario shared by the PostgreSQL and the PgBouncer restart
 * tests: a pool and a health server under write load, the server behind
 * DATABASE_URL stopped, kept down for a while and started again. Asserts what
 * every such restart must keep: readiness 200 → 503 → 200, no failure before
 * the fault or after recovery, a message on every failure, no acknowledged
 * write lost, and the pool prefilled again. The caller adds its own checks on
 * the returned records and writes its figures.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { HEALTH_PATHS, loadSettings, type Settings } from '../../src/contract/index.js';
import { createHealthServer, type HealthServer } from '../../src/health/health-server.js';
import { createPool } from '../../src/pool/create-pool.js';
import type { ClientAtsPool } from '../../src/pool/pool-types.js';
import { startLoad, summarise, type OperationRecord } from '../reliability/support/load-driver.js';
import { ms } from '../reliability/support/figures.js';
import { createLedger, waitUntil } from '../reliability/support/server-view.js';

/** POOL_SIZE of the scenario's pool: what must refill after the restart. */
export const RESTART_POOL_SIZE = 3;
/** POOL_TIMEOUT of the scenario's pool: callers during the outage fail after it. */
export const RESTART_POOL_TIMEOUT = 1000;

/** The pool's settings for a restart of the server at `databaseUrl`: short timeouts, readiness every 200 ms. */
export function restartSettings(databaseUrl: string, more: Record<string, string> = {}): Settings {
  return loadSettings({
    DATABASE_URL: databaseUrl,
    POOL_SIZE: String(RESTART_POOL_SIZE),
    POOL_TIMEOUT: String(RESTART_POOL_TIMEOUT),
    POOL_CONNECT_TIMEOUT_MS: '1000',
    READINESS_INTERVAL_MS: '200',
    READINESS_TIMEOUT_MS: '500',
    ...more,
  });
}

/** One restart scenario. */
export interface RestartScenario {
  /** The pool's settings (`restartSettings`): DATABASE_URL points at the server that is restarted. */
  readonly settings: Settings;
  readonly applicationName: string;
  /** Where the ledger of acknowledged writes is created and read back (a direct URL, up while the fault lasts). */
  readonly ledgerUrl: string;
  readonly ledgerTable: string;
  /** What is restarted, for the wait messages: `the server`, `the bouncer`. */
  readonly subject: string;
  /** How long the server stays down, counted from the stop. */
  readonly outageMillis: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** More that must hold for the pool to count as recovered (readiness 200 and POOL_SIZE connections always must). */
  recovered?(pool: ClientAtsPool): Promise<boolean>;
}

/** What happened, for the caller's own checks and figures; times are `performance.now()` ms. */
export interface RestartOutcome {
  readonly records: readonly OperationRecord[];
  readonly failures: readonly OperationRecord[];
  /** The ids the server kept. */
  readonly stored: ReadonlySet<number>;
  readonly stoppedAt: number;
  readonly startedAgainAt: number;
  readonly recoveredAt: number;
  /** `/health/ready` statuses in the order they changed. */
  readonly readinessSeen: readonly number[];
}

/** Runs the scenario, asserts what every restart must keep, and returns what happened. */
export async function restartUnderLoad(scenario: RestartScenario): Promise<RestartOutcome> {
  const { settings, subject } = scenario;
  const poolSize = settings.poolSize;
  const ledger = await createLedger(scenario.ledgerUrl, scenario.ledgerTable);
  const pool = createPool(settings, { applicationName: scenario.applicationName });
  let health: HealthServer | undefined;
  const readinessSeen: number[] = [];
  try {
    await pool.ready;
    health = await createHealthServer({ pool, settings, port: 0, host: '127.0.0.1' });
    const readyUrl = `${health.url}${HEALTH_PATHS.readiness}`;
    const readyStatus = async (): Promise<number> => {
      const status = (await fetch(readyUrl)).status;
      if (readinessSeen.at(-1) !== status) readinessSeen.push(status);
      return status;
    };
    await waitUntil(`readiness 200 through ${subject}`, async () => (await fetch(readyUrl)).status === 200);
    readinessSeen.push(200);
    const body = (await (await fetch(readyUrl)).json()) as { status: string; database: { status: string } };
    expect(body).toMatchObject({ status: 'healthy', database: { status: 'healthy' } });

    const load = startLoad({
      callers: 6,
      pauseMillis: 5,
      maxMillis: 40_000,
      operation: (id) => pool.query(ledger.insert, [id]).then(() => undefined),
    });
    let stoppedAt = 0;
    let startedAgainAt = 0;
    let recoveredAt = 0;
    try {
      await waitUntil('load running before the fault', () => load.records.length >= 100);
      stoppedAt = performance.now();
      await scenario.stop();
      await waitUntil(`readiness 503 while ${subject} is down`, async () => (await readyStatus()) === 503);
      const remaining = scenario.outageMillis - (performance.now() - stoppedAt);
      if (remaining > 0) await sleep(remaining);
      await scenario.start();
      startedAgainAt = performance.now();
      await waitUntil(
        'pool and readiness recovered',
        async () =>
          (await readyStatus()) === 200 &&
          pool.totalCount === poolSize &&
          (scenario.recovered === undefined || (await scenario.recovered(pool))),
      );
      recoveredAt = performance.now();
      await waitUntil(
        'load running after recovery',
        () => load.records.filter((record) => record.startedAt > recoveredAt).length >= 100,
      );
    } finally {
      await load.stop();
    }
    const records = load.records;
    const failures = records.filter((record) => !record.ok);
    expect(readinessSeen).toEqual([200, 503, 200]);
    expect(records.filter((record) => record.startedAt > recoveredAt && !record.ok)).toEqual([]);
    expect(failures.filter((record) => record.endedAt < stoppedAt)).toEqual([]);
    for (const failure of failures) expect(failure.error).toMatch(/\S/);
    const stored = await ledger.stored();
    expect(records.filter((record) => record.ok && !stored.has(record.id))).toEqual([]);
    await waitUntil('pool idle and prefilled', () => pool.idleCount === poolSize);
    expect({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }).toEqual({
      total: poolSize,
      idle: poolSize,
      waiting: 0,
    });
    return { records, failures, stored, stoppedAt, startedAgainAt, recoveredAt, readinessSeen };
  } finally {
    await health?.shutdown({ delayMillis: 0 });
    await pool.end({ drainMillis: 1000 });
  }
}

/** The figures every restart scenario records (`recordFigures`); a scenario adds its own. */
export function restartFigures(outcome: RestartOutcome): Record<string, unknown> {
  const summary = summarise(outcome.records);
  return {
    outageMillis: ms(outcome.startedAgainAt - outcome.stoppedAt),
    recoveryAfterStartMillis: ms(outcome.recoveredAt - outcome.startedAgainAt),
    operations: summary.operations,
    failed: summary.failed,
    readinessSeen: outcome.readinessSeen,
    errors: summary.errors,
  };
}
