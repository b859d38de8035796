/**
 * Fault: every backend of the pool is terminated (`pg_terminate_backend`) while
 * callers keep writing. Only work on the terminated connections may fail, no
 * acknowledged write is lost, and the pool returns to its prefilled state on its
 * own, with no `error` listener attached (an idle client error must not crash).
 */
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/contract/index.js';
import { createPool } from '../../src/pool/create-pool.js';
import { startTestDatabase, type TestDatabase } from '../support/test-database.js';
import { recordFigures, ms } from './support/figures.js';
import { startLoad, summarise } from './support/load-driver.js';
import { createLedger, serverBackendCount, terminateBackends, waitUntil } from './support/server-view.js';

const APPLICATION_NAME = 'reliability-terminate';
const POOL_SIZE = 4;
const POOL_COUNT = 2;
const PREFILLED = POOL_SIZE * POOL_COUNT;
const FAULTS = 3;

describe('every pool backend terminated during load', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await startTestDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  it(
    'fails at most one operation per terminated connection, ' +
      'loses no acknowledged write and refills the pool, three times over',
    async () => {
      const ledger = await createLedger(database.url, 'ledger_terminate');
      const settings = loadSettings({
        DATABASE_URL: database.url,
        POOL_SIZE: String(POOL_SIZE),
        POOL_COUNT: String(POOL_COUNT),
        POOL_TIMEOUT: '5000',
      });
      const pool = createPool(settings, { applicationName: APPLICATION_NAME });
      const rounds: Array<{
        terminated: number;
        failed: number;
        recoveryMillis: number;
        operationsDuringFault: number;
      }> = [];
      try {
        await pool.ready;
        const load = startLoad({
          callers: 12,
          maxMillis: 40_000,
          operation: (id) => pool.query(ledger.insert, [id]).then(() => undefined),
        });
        try {
          for (let round = 0; round < FAULTS; round += 1) {
            const before = load.records.length;
            await waitUntil('load running between faults', () => load.records.length >= before + 150, 20_000);
            const faultAt = performance.now();
            const failedBefore = load.records.filter((record) => !record.ok).length;
            const terminated = await terminateBackends(database.url, APPLICATION_NAME);
            expect(terminated).toBe(PREFILLED);
            const recoveryMillis = await waitUntil(
              'pool refilled after termination',
              async () =>
                pool.totalCount === PREFILLED &&
                (await serverBackendCount(database.url, APPLICATION_NAME)) === PREFILLED &&
                load.records.some((record) => record.ok && record.startedAt > faultAt),
              20_000,
            );
            const recoveredAt = faultAt + recoveryMillis;
            const failedNow = load.records.filter((record) => !record.ok);
            rounds.push({
              terminated,
              failed: failedNow.length - failedBefore,
              recoveryMillis: ms(recoveryMillis),
              operationsDuringFault: load.records.filter(
                (record) => record.startedAt >= faultAt && record.startedAt <= recoveredAt,
              ).length,
            });
            expect(failedNow.length - failedBefore).toBeLessThanOrEqual(terminated);
          }
          const after = load.records.length;
          await waitUntil(
            'load running after the last fault',
            () => load.records.length >= after + 150,
            20_000,
          );
        } finally {
          await load.stop();
        }
        const records = load.records;
        const failures = records.filter((record) => !record.ok);
        expect(failures.filter((record) => record.code === 'POOL_TIMEOUT')).toEqual([]);
        const stored = await ledger.stored();
        const acknowledged = records.filter((record) => record.ok).map((record) => record.id);
        expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);

        await waitUntil(
          'pool idle and prefilled',
          () => pool.idleCount === PREFILLED && pool.totalCount === PREFILLED,
          10_000,
        );
        expect({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }).toEqual({
          total: PREFILLED,
          idle: PREFILLED,
          waiting: 0,
        });
        expect(await serverBackendCount(database.url, APPLICATION_NAME)).toBe(PREFILLED);

        const summary = summarise(records);
        recordFigures('terminate-backends', {
          faults: FAULTS,
          connectionsPerFault: PREFILLED,
          rounds,
          operations: summary.operations,
          failed: summary.failed,
          acknowledgedLost: 0,
          failedButCommitted: failures.filter((record) => stored.has(record.id)).length,
          errors: summary.errors,
        });
      } finally {
        await pool.end({ drainMillis: 1000 });
      }
    },
  );
});
