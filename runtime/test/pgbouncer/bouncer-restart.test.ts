/**
 * Fault: the PgBouncer in front of PostgreSQL is shut down immediately
 * (SIGTERM cuts every client connection) during load and started again. The
 * runtime treats it like a database restart: readiness, answered through the
 * bouncer, turns 503 and back to 200, only work during the outage fails, no
 * acknowledged write is lost, and the pool refills on its own.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HEALTH_PATHS, loadSettings } from '../../src/contract/index.js';
import { createHealthServer, type HealthServer } from '../../src/health/health-server.js';
import { createPool } from '../../src/pool/create-pool.js';
import { ms, recordFigures } from '../reliability/support/figures.js';
import { startLoad, summarise } from '../reliability/support/load-driver.js';
import { createLedger, waitUntil } from '../reliability/support/server-view.js';
import {
  createBouncerRole,
  hasPgbouncer,
  PGBOUNCER_SKIP_REASON,
  startPgbouncer,
  type BouncerRole,
  type TestPgbouncer,
} from '../support/pgbouncer.js';

const POOL_SIZE = 3;
const POOL_TIMEOUT = 1000;
const OUTAGE_MILLIS = 1500;

describe.skipIf(!hasPgbouncer)(`PgBouncer restarted during load${PGBOUNCER_SKIP_REASON}`, () => {
  const adminUrl = inject('databaseUrl');
  let role: BouncerRole;
  let bouncer: TestPgbouncer;
  beforeAll(async () => {
    role = await createBouncerRole(adminUrl, 'bouncer_restart');
    bouncer = await startPgbouncer({ serverUrl: role.url, defaultPoolSize: 2 });
  });
  afterAll(async () => {
    await bouncer?.close();
    await role?.close();
  });

  it('answers readiness through the bouncer: 200, 503 while it is down, 200 again; loses no acknowledged write', async () => {
    const ledger = await createLedger(role.url, 'ledger_bouncer_restart');
    const settings = loadSettings({
      DATABASE_URL: bouncer.url,
      DATABASE_POOLER: 'pgbouncer',
      POOL_SIZE: String(POOL_SIZE),
      POOL_TIMEOUT: String(POOL_TIMEOUT),
      POOL_CONNECT_TIMEOUT_MS: '1000',
      READINESS_INTERVAL_MS: '200',
      READINESS_TIMEOUT_MS: '500',
    });
    const pool = createPool(settings, { applicationName: 'bouncer-restart' });
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
        'readiness 200 through the bouncer',
        async () => (await fetch(readyUrl)).status === 200,
        10_000,
      );
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
        await waitUntil('load running before the fault', () => load.records.length >= 100, 10_000);
        stoppedAt = performance.now();
        await bouncer.stop();
        await waitUntil(
          'readiness 503 while the bouncer is down',
          async () => (await readyStatus()) === 503,
          10_000,
        );
        const remaining = OUTAGE_MILLIS - (performance.now() - stoppedAt);
        if (remaining > 0) await sleep(remaining);
        await bouncer.start();
        startedAgainAt = performance.now();
        await waitUntil(
          'pool and readiness recovered',
          async () => (await readyStatus()) === 200 && pool.totalCount === POOL_SIZE,
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
      const stored = await ledger.stored();
      expect(records.filter((record) => record.ok && !stored.has(record.id))).toEqual([]);
      await waitUntil('pool idle and prefilled', () => pool.idleCount === POOL_SIZE, 10_000);
      expect({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }).toEqual({
        total: POOL_SIZE,
        idle: POOL_SIZE,
        waiting: 0,
      });
      const summary = summarise(records);
      recordFigures('pgbouncer-restart', {
        outageMillis: ms(startedAgainAt - stoppedAt),
        recoveryAfterStartMillis: ms(recoveredAt - startedAgainAt),
        operations: summary.operations,
        failed: summary.failed,
        readinessSeen,
        errors: summary.errors,
      });
    } finally {
      await health?.shutdown({ delayMillis: 0 });
      await pool.end({ drainMillis: 1000 });
    }
  });
});
