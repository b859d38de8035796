/**
 * Fault: PostgreSQL stops for a few seconds during load and starts again.
 * Readiness turns 503 and back to 200, callers during the outage get clear
 * errors within POOL_TIMEOUT, no acknowledged write is lost, every operation
 * started after recovery succeeds, and the pool refills on its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RESTART_POOL_SIZE,
  RESTART_POOL_TIMEOUT,
  restartFigures,
  restartSettings,
  restartUnderLoad,
} from '../support/restart-under-load.js';
import { startTestDatabase, type TestDatabase } from '../support/test-database.js';
import { ms, recordFigures } from './support/figures.js';
import { overlapping } from './support/load-driver.js';
import { serverBackendCount } from './support/server-view.js';

const APPLICATION_NAME = 'reliability-restart';
const OUTAGE_MILLIS = 3000;

describe('PostgreSQL stopped and started during load', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await startTestDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  it(
    'reports 503 then 200, fails only work during the outage, ' +
      'loses no acknowledged write and refills the pool',
    async () => {
      const settings = restartSettings(database.url);
      const outcome = await restartUnderLoad({
        settings,
        applicationName: APPLICATION_NAME,
        ledgerUrl: database.url,
        ledgerTable: 'ledger_restart',
        subject: 'the server',
        outageMillis: OUTAGE_MILLIS,
        stop: () => database.stop(),
        start: () => database.start(),
        recovered: async () =>
          (await serverBackendCount(database.url, APPLICATION_NAME)) === RESTART_POOL_SIZE,
      });
      const { records, failures, stored } = outcome;
      // Callers during the outage get PoolTimeoutError no earlier than POOL_TIMEOUT.
      for (const timeout of failures.filter((record) => record.code === 'POOL_TIMEOUT'))
        expect(timeout.endedAt - timeout.startedAt).toBeGreaterThanOrEqual(RESTART_POOL_TIMEOUT - 1);
      recordFigures('server-restart', {
        ...restartFigures(outcome),
        operationsDuringOutage: overlapping(records, outcome.stoppedAt, outcome.recoveredAt).length,
        longestFailedWaitMillis: ms(
          Math.max(0, ...failures.map((record) => record.endedAt - record.startedAt)),
        ),
        acknowledgedLost: 0,
        failedButCommitted: failures.filter((record) => stored.has(record.id)).length,
      });
    },
  );
});
