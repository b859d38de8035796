/**
 * Fault: PostgreSQL stops for a few seconds during load and starts again.
 * Readiness turns 503 and back to 200, callers during the outage get clear
 * errors within POOL_TIMEOUT, no acknowledged write is lost, every operation
 * started after recovery succeeds, and the pool refills on its own.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEALTH_PATHS, loadSettings } from '../../src/contract/index.js';
import { createHealthServer, type HealthServer } from '../../src/health/health-server.js';
import { createPool } from '../../src/pool/create-pool.js';
import { startTestDatabase, type TestDatabase } from '../support/test-database.js';
import { ms, recordFigures } from './support/figures.js';
import { overlapping, startLoad, summarise } from './support/load-driver.js';
import { createLedger, serverBackendCount, waitUntil } from './support/server-view.js';

const APPLICATION_NAME = 'reliability-restart';
const POOL_SIZE = 3;
const POOL_TIMEOUT = 1000;
const OUTAGE_MILLIS = 3000;

describe('PostgreSQL stopped and started during load', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await startTestDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  it('reports 503 then 200, fails only work during the outage, loses no acknowledged write and refills the pool', async () => {
    const ledger = await createLedger(database.url, 'ledger_restart');
    const settings = loadSettings({
      DATABASE_URL: database.url,
      POOL_SIZE: String(POOL_SIZE),
      POOL_TIMEOUT: String(POOL_TIMEOUT),
      POOL_CONNECT_TIMEOUT_MS: '1000',
      READINESS_INTERVAL_MS: '200',
      READINESS_TIMEOUT_MS: '500',
    });
    const pool = createPool(settings, { applicationName: APPLICATION_NAME });
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
      await waitUntil(
        'readiness 200 before the fault',
        async () => (await fetch(readyUrl)).status === 200,
        10_000,
      );
      readinessSeen.push(200);

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
        await waitUntil('load running before the fault', () => load.records.length >= 100, 10_000);
        stoppedAt = performance.now();
        await database.stop();
        await waitUntil(
          'readiness 503 while the server is down',
          async () => (await readyStatus()) === 503,
          10_000,
        );
        const remaining = OUTAGE_MILLIS - (performance.now() - stoppedAt);
        if (remaining > 0) await sleep(remaining);
        await database.start();
        startedAgainAt = performance.now();
        await waitUntil(
          'pool and readiness recovered',
          async () =>
            (await readyStatus()) === 200 &&
            pool.totalCount === POOL_SIZE &&
            (await serverBackendCount(database.url, APPLICATION_NAME)) === POOL_SIZE,
          20_000,
        );
        recoveredAt = performance.now();
        await waitUntil(
          'load running after recovery',
          () => load.records.filter((record) => record.startedAt > recoveredAt).length >= 100,
          10_000,
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
      const poolTimeouts = failures.filter((record) => record.code === 'POOL_TIMEOUT');
      for (const timeout of poolTimeouts)
        expect(timeout.endedAt - timeout.startedAt).toBeGreaterThanOrEqual(POOL_TIMEOUT - 1);
      const stored = await ledger.stored();
      expect(records.filter((record) => record.ok && !stored.has(record.id))).toEqual([]);

      await waitUntil('pool idle and prefilled', () => pool.idleCount === POOL_SIZE, 10_000);
      expect({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }).toEqual({
        total: POOL_SIZE,
        idle: POOL_SIZE,
        waiting: 0,
      });

      const summary = summarise(records);
      recordFigures('server-restart', {
        outageMillis: ms(startedAgainAt - stoppedAt),
        recoveryAfterStartMillis: ms(recoveredAt - startedAgainAt),
        operations: summary.operations,
        operationsDuringOutage: overlapping(records, stoppedAt, recoveredAt).length,
        failed: summary.failed,
        longestFailedWaitMillis: ms(
          Math.max(0, ...failures.map((record) => record.endedAt - record.startedAt)),
        ),
        acknowledgedLost: 0,
        failedButCommitted: failures.filter((record) => stored.has(record.id)).length,
        readinessSeen,
        errors: summary.errors,
      });
    } finally {
      await health?.shutdown({ delayMillis: 0 });
      await pool.end({ drainMillis: 1000 });
    }
  });
});
